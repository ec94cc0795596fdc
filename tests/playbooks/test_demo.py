# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lifecycle playbook `make demo` runs: it passes and leaves the array as it found it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

DEMO = os.path.join(os.path.dirname(__file__), "..", "..", "playbooks", "demo.yml")


def test_demo_lifecycle(playbook, array, cpg, sim_admin):
    before = array.snapshot()
    run = playbook(os.path.abspath(DEMO), rerun=False)
    assert run.failures == 0, [(name, result.get("msg")) for name, result in run.results if result.get("failed")]
    assert len(run["Tear the pool down with its volumes and snapshots"]["deleted_volumes"]) == 7
    assert array.snapshot() == before
    assert sim_admin.counters()["sessions_open"] == 0


def test_demo_keeps_the_pool_when_asked(playbook, array, cpg):
    run = playbook(os.path.abspath(DEMO), extra_args=["-e", "demo_cleanup=false", "-e", "demo_cpg=%s" % cpg], rerun=False)
    assert run.failures == 0
    assert array.volume_sets()["demo-pool"]["comment"] == "alletra.storage:v1 cpg=%s naming=lxd" % cpg
    assert len(array.volume_sets()["demo-pool"]["setmembers"]) == 3
