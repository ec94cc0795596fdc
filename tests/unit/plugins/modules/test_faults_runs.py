# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults that strike a whole run, in-process, on the scenarios of test_convergence.py.

Every read failing once (a busy array's 503, a dropped connection): the run succeeds. The WSAPI
unreachable at the start: a clean failure naming wsapi_url, the array unchanged. A copy or restore
task that outlives task_timeout: the run ends in time, nothing half-made is left. NO_SPACE for real.
Sessions that expire between runs or while a run waits for a task. After each, the array holds
what a clean run leaves, no session is open, and a re-run converges.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import os
import socket
import time

import pytest

import test_convergence as matrix
from conftest import connection_args, run_in_process

from ansible_collections.alletra.storage.plugins.module_utils import module as module_framework
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import WsapiClient

POOL = matrix.POOL
SCENARIOS = matrix.SCENARIOS
READ_FAULTS = {"503": matrix.FAULTS["503"], "dropped": matrix.FAULTS["dropped"]}
# How long a task made long runs, and the task_timeout the run waits for it: the run must end well before.
LONG_TASK_MS = 5000
TASK_TIMEOUT = 1
# What a run may take beyond task_timeout: the requests before and after the wait, and the undo.
MARGIN = 1.5


@pytest.fixture
def quick_retries(monkeypatch):
    """The modules' client pauses 10 ms between attempts instead of 0.5 s and more: what is tested is
    that a failed read or connection is tried again, not how long the client waits before it does."""
    monkeypatch.setattr(module_framework, "WsapiClient", functools.partial(WsapiClient, backoff=0.01))


def clean_run(sim, sim_admin, scenario):
    """The scenario's clean run: the array it leaves, and the counters of its requests."""
    run = matrix.prepared(sim, sim_admin, scenario)
    matrix.ok(run(scenario.module, scenario.args))
    return matrix.array_state(sim_admin), sim_admin.counters()


def assert_converged(sim_admin, expected, where):
    state = matrix.array_state(sim_admin)
    assert not matrix.orphans(state), "orphans after " + where
    assert state == expected, "the array differs from a clean run after " + where
    assert sim_admin.counters()["sessions_open"] == 0, "session left open after " + where


def rerun_converges(run, scenario, sim_admin, expected, where, first):
    """The run once more, without faults: it succeeds and the array is as after a clean run."""
    sim_admin.clear_faults()
    sim_admin.config(task_seconds=0)
    second = run(scenario.module, scenario.args)
    assert not second.get("failed"), "re-run after %s failed: %s (first run: %s)" % (where, second.get("msg"), first.get("msg"))
    assert_converged(sim_admin, expected, where)


def reads(counters):
    """Every read of a run as (path, matches to let pass first), in the order of the counters."""
    found = []
    for key, count in sorted(counters["requests"].items()):
        method, path = key.split(" ", 1)
        if method == "GET":
            found.extend((path, skip) for skip in range(count))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(READ_FAULTS))
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_read_failing_once_is_tried_again_and_the_run_succeeds(sim, sim_admin, quick_retries, name, fault):
    scenario = SCENARIOS[name]
    expected, counters = clean_run(sim, sim_admin, scenario)
    steps = reads(counters)
    assert len(steps) >= 3
    run = matrix.prepared(sim, sim_admin, scenario)
    # The k-th read of a path is the fault with skip k: the first attempt of each read is its fault's
    # match, and each retry is a match that every later fault of the path lets pass.
    for path, skip in steps:
        sim_admin.faults(dict(READ_FAULTS[fault], method="GET", path=path, count=1, skip=skip))
    first = run(scenario.module, scenario.args)
    where = "every read failing once with " + fault
    assert not first.get("failed"), "%s failed the run: %s" % (where, first.get("msg"))
    assert not sim_admin.armed_faults(), "reads of the clean run that this run never sent"
    assert_converged(sim_admin, expected, where)


@pytest.fixture
def closed_port():
    """A local TCP port that nothing listens on."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    return port


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_an_unreachable_array_fails_the_run_cleanly_and_a_rerun_converges(sim, sim_admin, quick_retries, closed_port, name):
    scenario = SCENARIOS[name]
    run = matrix.prepared(sim, sim_admin, scenario)
    before = matrix.array_state(sim_admin)
    url = "https://127.0.0.1:%d" % closed_port
    first = run_in_process(scenario.module, dict(connection_args(sim), wsapi_url=url, **scenario.args))
    assert first.get("failed") and url in first["msg"] and "Check wsapi_url" in first["msg"], first.get("msg")
    assert "Traceback" not in str(first) and sim.password not in str(first)
    assert sim_admin.counters()["requests_total"] == 0
    assert matrix.array_state(sim_admin) == before
    # The array is as the set-up left it, so the re-run is a clean run: it must succeed and leave no orphan.
    second = run(scenario.module, scenario.args)
    assert not second.get("failed") and second.get("changed"), second.get("msg")
    state = matrix.array_state(sim_admin)
    assert state != before and not matrix.orphans(state)
    assert sim_admin.counters()["sessions_open"] == 0


def task_starts(state):
    """The request that started each task of a run: a copy from its source, a promote at its snapshot.

    The simulator names a copy task ``<source>-><destination>`` and a promote after the snapshot.
    """
    starts = []
    for task in state["tasks"]:
        source, copy, dummy_destination = task["name"].partition("->")
        starts.append(("POST" if copy else "PUT", "/api/v1/volumes/" + source))
    return starts


def long_task_outcome(sim_admin, scenario, first, elapsed, before, path):
    """What a run whose task outlived task_timeout must leave: a clear error, in time, and nothing half-made."""
    msg = first.get("msg") or ""
    assert first.get("failed") and "array task" in msg and "task_timeout" in msg, msg
    assert elapsed < TASK_TIMEOUT + MARGIN, "the run took %.1f s with task_timeout %d" % (elapsed, TASK_TIMEOUT)
    active = [task for task in sim_admin.state()["tasks"] if task["status"] == 2]
    if scenario.module == "alletra_snapshot":
        # A restore is left to finish (stopped half way it would leave neither data): stated, and still running.
        assert "goes on on the array" in msg and "holds its data as it was" in msg, msg
        assert [task["name"] for task in active] == [path.rpartition("/")[2]]
    else:
        # A copy is stopped and undone: no destination, no snapshot of it, no task left running.
        assert "was cancelled" in msg and "was deleted again" in msg, msg
        assert not active
    assert matrix.array_state(sim_admin) == before


@pytest.mark.slow
@pytest.mark.parametrize("name", ["copy_with_snapshots", "restore"])
def test_a_task_outliving_task_timeout_ends_the_run_in_time_with_nothing_half_made(sim, sim_admin, name):
    scenario = SCENARIOS[name]
    expected, dummy_counters = clean_run(sim, sim_admin, scenario)
    starts = task_starts(sim_admin.state())
    assert len(starts) == (3 if name == "copy_with_snapshots" else 1)
    for method, path in starts:
        where = "a long task started by %s %s" % (method, path)
        run = matrix.prepared(sim, sim_admin, scenario)
        before = matrix.array_state(sim_admin)
        sim_admin.faults(method=method, path=path, task_ms=LONG_TASK_MS)
        started = time.monotonic()
        first = run(scenario.module, dict(scenario.args, task_timeout=TASK_TIMEOUT))
        long_task_outcome(sim_admin, scenario, first, time.monotonic() - started, before, path)
        assert sim_admin.counters()["sessions_open"] == 0, "session left open after " + where
        rerun_converges(run, scenario, sim_admin, expected, where, first)


@pytest.fixture
def small_cpg(run_module, sim_admin):
    """A pool on a CPG of 1.5 GiB: room for a 1 GiB volume, not for 2 GiB."""
    sim_admin.seed({"cpgs": [{"name": "small", "capacityMiB": 1536}]})
    matrix.ok(run_module("alletra_pool", dict(name=POOL, cpg="small")))
    return "small"


def test_no_space_for_a_new_volume_names_size_and_cpg_and_leaves_nothing(run_module, sim_admin, small_cpg):
    refused = run_module("alletra_volume", dict(pool=POOL, name="vol1", size="2GiB"))
    assert refused.get("failed") and refused["msg"].startswith("size: CPG small has no space for volume 'vol1' of 2GiB")
    assert "WSAPI code 24" in refused["msg"] and "Free space in CPG small or give a smaller size" in refused["msg"]
    state = sim_admin.state()
    assert state["volumes"] == {} and not state["volumesets"][POOL].get("setmembers")
    assert sim_admin.counters()["sessions_open"] == 0
    sim_admin.seed({"cpgs": [{"name": "small", "capacityMiB": 4096}]})
    made = run_module("alletra_volume", dict(pool=POOL, name="vol1", size="2GiB"))
    assert made["changed"] and sim_admin.state()["volumes"]["vol1"]["sizeMiB"] == 2048


def test_no_space_to_grow_names_both_sizes_and_the_volume_keeps_its_size(run_module, sim_admin, small_cpg):
    matrix.ok(run_module("alletra_volume", dict(pool=POOL, name="vol1", size="1GiB")))
    refused = run_module("alletra_volume", dict(pool=POOL, name="vol1", size="2GiB"))
    assert refused.get("failed") and refused["msg"].startswith(
        "size: CPG small has no space to grow volume 'vol1' from 1GiB to 2GiB; it keeps 1GiB"), refused["msg"]
    assert sim_admin.state()["volumes"]["vol1"]["sizeMiB"] == 1024
    assert sim_admin.counters()["sessions_open"] == 0
    sim_admin.seed({"cpgs": [{"name": "small", "capacityMiB": 4096}]})
    grown = run_module("alletra_volume", dict(pool=POOL, name="vol1", size="2GiB"))
    assert grown["changed"] and grown["diff"]["before"]["size_mib"] == 1024 and grown["volume"]["size_mib"] == 2048


def test_a_session_that_expires_between_two_runs_is_not_missed(run_module, sim_admin, cpg):
    matrix.ok(run_module("alletra_pool", dict(name=POOL, cpg=cpg)))
    sim_admin.faults(expire_sessions=True)
    made = run_module("alletra_volume", dict(pool=POOL, name="vol1", size="1GiB"))
    assert made["changed"] and not made.get("failed"), made.get("msg")
    counters = sim_admin.counters()
    assert counters["logins"] == counters["logouts"] == 2 and counters["sessions_open"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", ["copy_with_snapshots", "restore"])
def test_a_session_that_expires_while_the_run_waits_for_a_task_is_renewed(sim, sim_admin, name):
    """The array ends a session idle for session_idle_timeout; a task wait polls at growing intervals."""
    scenario = SCENARIOS[name]
    expected, dummy_counters = clean_run(sim, sim_admin, scenario)
    run = matrix.prepared(sim, sim_admin, scenario)
    # Polls come 0.2 s and then 0.4 s after the task starts: the second finds the session expired.
    sim_admin.config(task_seconds=0.5, session_idle_timeout=0.3)
    result = run(scenario.module, scenario.args)
    assert not result.get("failed"), result.get("msg")
    counters = sim_admin.counters()
    assert counters["sessions_expired"] >= 1 and counters["logins"] >= 2, counters
    sim_admin.config(session_idle_timeout=900)
    assert_converged(sim_admin, expected, "a session expired during a task wait")


@pytest.mark.slow
def test_attach_and_detach_through_the_fabric_settle_lost_answers(run_module, sim_admin, cpg, fabric, monkeypatch):
    """connect: true: the export whose answer was lost is read back, so the host finds the volume's device;
    a detach whose deletes lost their answers still removes the device, the export and the host entity."""
    monkeypatch.setenv("ALLETRA_FABRIC_NQN", matrix.NQN)
    sim_admin.config(task_seconds=0)
    matrix.ok(run_module("alletra_pool", dict(name=POOL, cpg=cpg)))
    matrix.ok(run_module("alletra_volume", dict(pool=POOL, name="vol1", size="256MiB")))
    attach = dict(matrix.ATTACH, connect=True, mode="nvme", device_timeout=10)
    sim_admin.faults(method="POST", path="/api/v1/vluns", lose_answer=True)
    attached = run_module("alletra_host_attach", attach)
    assert attached["changed"] and not attached.get("failed"), attached.get("msg")
    assert not sim_admin.armed_faults() and os.path.realpath(attached["by_id"]) == os.path.realpath(attached["device"])
    state = matrix.array_state(sim_admin)
    assert state["hosts"] == {"host01-nvme": [matrix.NQN]} and state["vluns"] == [("vol1", "host01-nvme", attached["lun"])]
    sim_admin.faults(method="DELETE", path="/api/v1/vluns/*", lose_answer=True)
    sim_admin.faults(method="DELETE", path="/api/v1/hosts/*", lose_answer=True)
    detached = run_module("alletra_host_attach", dict(attach, state="absent"))
    assert detached["changed"] and not detached.get("failed"), detached.get("msg")
    assert not sim_admin.armed_faults() and not os.path.exists(attached["by_id"])
    state = matrix.array_state(sim_admin)
    assert state["hosts"] == {} and state["vluns"] == []
    assert not run_module("alletra_host_attach", dict(attach, state="absent"))["changed"]
    assert sim_admin.counters()["sessions_open"] == 0
