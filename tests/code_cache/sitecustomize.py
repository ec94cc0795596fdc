# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test runs only: the code that module runs compile from their AnsiballZ payloads, kept between runs.

An AnsiballZ module imports its module_utils (ansible.module_utils.basic and ours) from a zip file,
and Python compiles what it imports from a zip every time: about 0.1 s of each module run, 0.2 s
of ours. The playbook tests (tests/playbooks/conftest.py) put this folder on PYTHONPATH and name a
folder in ALLETRA_TEST_CODE_CACHE; Python then imports this file at start and compiles each source
once. The code is keyed by the source's bytes and Python's bytecode version, and each run gets it
under its own file names, so a module runs exactly the code a compile would give it. The demo, the
benchmarks, the AWX job and molecule run without it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import zipimport

ENV = "ALLETRA_TEST_CODE_CACHE"


def _named(code, filename):
    """``code`` and every code object within it, compiled as if from ``filename``."""
    constants = tuple(_named(item, filename) if isinstance(item, type(code)) else item for item in code.co_consts)
    return code.replace(co_filename=filename, co_consts=constants)


def install(folder):
    """Compile sources imported from zip files through the cache in ``folder``."""
    compile_source = getattr(zipimport, "_compile_source", None)
    if compile_source is None:
        return

    def cached(pathname, source):
        import hashlib
        import importlib.util
        import marshal

        path = os.path.join(folder, hashlib.sha256(importlib.util.MAGIC_NUMBER + source).hexdigest())
        try:
            with open(path, "rb") as handle:
                return _named(marshal.loads(handle.read()), pathname)
        except (OSError, EOFError, ValueError, TypeError):
            pass
        code = compile_source(pathname, source)
        temporary = "%s.%d.tmp" % (path, os.getpid())
        try:
            os.makedirs(folder, exist_ok=True)
            with open(temporary, "wb") as handle:
                handle.write(marshal.dumps(code))
            os.replace(temporary, path)
        except OSError:
            pass
        return code

    zipimport._compile_source = cached


if os.environ.get(ENV):
    install(os.environ[ENV])
