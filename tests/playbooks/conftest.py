# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the playbook tests: real ansible-playbook runs against the simulator.

``playbook(tasks)`` writes one play on localhost, runs it with the JSON callback and returns a
Run. The connection options reach the modules through the ALLETRA_* environment variables, as
AWX credentials would inject them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import os
import subprocess
import sys

import pytest
import yaml

from playbook_support import ANSIBLE_PLAYBOOK, Run

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
# Module runs compile their AnsiballZ payload's code once, not at every run (tests/code_cache).
CODE_CACHE = dict(PYTHONPATH=os.path.join(REPO, "tests", "code_cache"), ALLETRA_TEST_CODE_CACHE=os.path.join(REPO, "build", "code-cache"))


@pytest.fixture
def ansible_env(sim):
    """The environment of a playbook run: collection tree, simulator credentials, JSON output."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ALLETRA_WSAPI_URL=sim.url,
        ALLETRA_USERNAME=sim.user,
        ALLETRA_PASSWORD=sim.password,
        ALLETRA_CA_PATH=sim.ca_path,
        **CODE_CACHE
    )
    return env


@pytest.fixture
def playbook(ansible_env, tmp_path, sim_admin):
    """Run tasks (a list of task dicts, or a path to a playbook) with ansible-playbook.

    Every run must leave no WSAPI session open. Unless ``rerun=False`` (or in check mode), the
    same playbook runs a second time and must report no change: every test playbook is
    proved idempotent. ``inventory`` (an inventory dict, written as YAML, or a path) replaces
    ``localhost,``; the play still targets localhost unless ``play_options`` names its hosts.
    """
    numbers = itertools.count(1)

    def execute(path, check, diff, extra_args, env, inventory):
        command = [ANSIBLE_PLAYBOOK, "-i", inventory or "localhost,", path]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        command.extend(extra_args)
        run_env = dict(ansible_env)
        run_env.update(env or {})
        run_env = dict((key, value) for key, value in run_env.items() if value is not None)
        return Run(subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=300, check=False), path)

    def run(tasks, check=False, diff=False, extra_args=(), env=None, play_options=None, rerun=None, check_sessions=True,
            inventory=None):
        if isinstance(inventory, dict):
            inventory_path = str(tmp_path / ("inventory%d.yml" % next(numbers)))
            with open(inventory_path, "w") as handle:
                yaml.safe_dump(inventory, handle, sort_keys=False)
            inventory = inventory_path
        if isinstance(tasks, str):
            path = tasks
        else:
            path = str(tmp_path / ("play%d.yml" % next(numbers)))
            play = dict(name="playbook test", hosts="localhost", connection="local", gather_facts=False, tasks=tasks)
            play.update(play_options or {})
            with open(path, "w") as handle:
                yaml.safe_dump([play], handle, sort_keys=False)
        first = execute(path, check, diff, extra_args, env, inventory)
        if check_sessions:
            assert sim_admin.counters()["sessions_open"] == 0, "a WSAPI session was left open by %s" % path
        if rerun is None:
            rerun = not check
        if rerun:
            second = execute(path, check, diff, extra_args, env, inventory)
            changed = second.changed_tasks()
            assert second.changed == 0 and not changed, "second run of %s changed: %s" % (path, changed)
            assert second.failures_by_host() == first.failures_by_host(), "second run of %s failed differently" % path
        return first

    return run


@pytest.fixture
def host_role_lock():
    """Held while a test runs the initiator role on this machine: `make molecule` (beside pytest in
    `make test`) takes the same lock, so neither sees the other's changes to the machine."""
    import fcntl

    path = os.path.join(os.path.dirname(__file__), "..", "..", "build", "host-role.lock")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
