# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""In-process module runs: a module's real ``main()`` against the in-process simulator.

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
