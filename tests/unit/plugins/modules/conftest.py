# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""In-process module runs: a module's real ``main()`` against the in-process simulator.

``play(tasks)`` runs a list of playbook-style tasks the same way, with the idempotence and
session checks of tests/playbooks' ``playbook`` fixture, so logic tests need no ansible-playbook.

``run_module("alletra_volume", dict(pool=..., name=...), check=False, diff=True)`` runs the
module as Ansible would (arguments through ``patch_module_args``, the JSON it prints on exit)
and returns its result dict, with ``failed`` set when it failed. No canned answers: the module
talks HTTPS to the ``sim`` fixture. These runs take milliseconds; tests that need the engine
itself (action groups, check mode through the engine, examples) live in tests/playbooks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import importlib
import io
import json

import pytest

from unittest import mock

from ansible.module_utils import _internal as ansible_internal
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args
from outcomes import PlayResults

MODULES = "ansible_collections.alletra.storage.plugins.modules."


def connection_args(sim):
    return dict(wsapi_url=sim.url, username=sim.user, password=sim.password, ca_path=sim.ca_path, timeout=10)


def run_in_process(name, args, check=False, diff=True):
    """Run module ``name`` with ``args``; return the result it printed (a dict)."""
    module = importlib.import_module(MODULES + name)
    full_args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    # Warnings are process-global in ansible-core: one run's must not leak into the next.
    ansible_warnings._global_warnings.clear()
    ansible_warnings._global_deprecations.clear()
    printed = io.StringIO()
    # Once a test imported controller code, ansible-core sends module warnings to its display
    # instead of the result; a module run is never on the controller.
    with patch_module_args(full_args), contextlib.redirect_stdout(printed), \
            mock.patch.object(ansible_internal, "is_controller", False):
        try:
            module.main()
        except SystemExit:
            pass
        else:
            raise AssertionError("module %s returned without exit_json or fail_json" % name)
    text = printed.getvalue()
    try:
        return json.loads(text)
    except ValueError:
        raise AssertionError("module %s printed no JSON result: %r" % (name, text[-2000:]))


@pytest.fixture
def run_module(sim):
    """``run_module(name, args, check=False, diff=True)`` against the test's simulator."""

    def run(name, args, check=False, diff=True):
        return run_in_process(name, dict(connection_args(sim), **args), check=check, diff=diff)

    return run


class Play(PlayResults):
    """Tasks run in-process one after the other, as one play on localhost would run them: a failed
    task ends the play unless it has ``ignore_errors``; stats count ok, changed, failures, ignored."""

    TASK_KEYS = frozenset(["name", "register", "ignore_errors"])

    def __init__(self, tasks, connection, check, diff):
        self.results = []
        self.stats = dict(ok=0, changed=0, failures=0, ignored=0)
        for task in tasks:
            modules = [key for key in task if key not in self.TASK_KEYS]
            assert len(modules) == 1 and modules[0].startswith("alletra.storage."), "not an in-process task: %r" % (task,)
            result = run_in_process(modules[0].split(".")[-1], dict(connection, **task[modules[0]]), check=check, diff=diff)
            self.results.append((task.get("name", modules[0]), result))
            if result.get("failed") and task.get("ignore_errors"):
                self.stats["ignored"] += 1
            elif result.get("failed"):
                self.stats["failures"] += 1
                break
            else:
                self.stats["ok"] += 1
                self.stats["changed"] += 1 if result.get("changed") else 0

    @property
    def rc(self):
        return 2 if self.stats["failures"] else 0


@pytest.fixture
def play(sim, sim_admin):
    """``play(tasks, check=False, diff=False, rerun=None, check_sessions=True)``: the tasks in-process.

    Like tests/playbooks' ``playbook`` fixture: every play must leave no WSAPI session open and,
    unless ``rerun=False`` (or in check mode), runs a second time and must report no change.
    """

    def run(tasks, check=False, diff=False, rerun=None, check_sessions=True):
        first = Play(tasks, connection_args(sim), check, diff)
        if check_sessions:
            assert sim_admin.counters()["sessions_open"] == 0, "a WSAPI session was left open by %r" % (tasks,)
        if rerun is None:
            rerun = not check
        if rerun:
            second = Play(tasks, connection_args(sim), check, diff)
            changed = [name for name, result in second.results if result.get("changed")]
            assert second.changed == 0 and not changed, "second run of the play changed: %s" % changed
            assert second.failures == first.failures, "second run of the play failed differently"
        return first

    return run
