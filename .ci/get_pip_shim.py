# Offline stand-in for ansible-test's get-pip bootstrap (ci-files.testing.ansible.com is unreachable).
# `make sanity` copies it to ~/.ansible/test/cache/get_pip_<version>.py. ansible-test runs it as
# __main__ in a venv created --without-pip, with pip's install arguments (pip==<version> ...).
import subprocess
import sys

subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)
