# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every step of every lifecycle, under every fault: a re-run converges, with no orphan and no session left.

For each scenario, a clean run on a fresh array records the requests that change something (and
the task polls). Then, for each such request and each fault kind, the array is set up again, the
fault is armed on that request, the module runs (it may fail, but cleanly; after an expired session
or a busy array's 503 on a request that is safe to repeat it must succeed), and runs once more
without faults: the array must then hold exactly what the clean run left, with the same data.
Faults that strike a whole run (every read, an unreachable array, a long task, expired sessions)
are in test_faults_runs.py, on these scenarios.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from conftest import connection_args, run_in_process

POOL = "lxd-pool"
SOURCE = "u-5a2504b06a6c48498ee7ddb0b674fd14-b"
DEST_UUID = "0c6f1d1e-8a47-4a39-9d55-3b0c1f6a2e11"

# How long an array task takes in the run with a fault: still running when it is first polled.
TASK_SECONDS = 0.05
FAULTS = {
    "5xx": dict(status=500, code=1, desc="internal server error"),
    # A busy array: 503 with the code the array gives when it cannot take more (SVC_UNAVAIL; wsapi-v1.md §2).
    "503": dict(status=503, code=31, desc="the server has reached its maximum number of connections"),
    # The array's NO_SPACE (wsapi-v1.md §2.1, 400/24), whatever the step: nothing is done.
    "no_space": dict(status=400, code=24, desc="insufficient space for requested operation"),
    "dropped": dict(drop=True),
    "lost_answer": dict(lose_answer=True),
    "late_answer": dict(late_ms=1600),
    "session_expired": dict(expire_session=True),
    "reset": dict(reset=True),
}


class Scenario(object):
    """A set-up (module runs on a fresh array) and the module run under test."""

    def __init__(self, setup, module, args):
        self.setup = setup
        self.module = module
        self.args = args


def make_pool(run, sim_admin):
    run("alletra_pool", dict(name=POOL, cpg="SSD_r6"))


def make_volume(run, sim_admin):
    make_pool(run, sim_admin)
    run("alletra_volume", dict(pool=POOL, name="vol1", size="1GiB"))


def make_snapshot(run, sim_admin):
    make_volume(run, sim_admin)
    sim_admin.write("vol1")
    run("alletra_snapshot", dict(pool=POOL, volume="vol1", name="snap0"))
    sim_admin.write("vol1")


def make_source(run, sim_admin):
    make_pool(run, sim_admin)
    run("alletra_volume", dict(pool=POOL, name=SOURCE, size="1GiB"))
    for number in range(2):
        sim_admin.write(SOURCE)
        run("alletra_snapshot", dict(pool=POOL, volume=SOURCE, name="snap%d" % number, read_only=number == 0))
    sim_admin.write(SOURCE)


def make_full_pool(run, sim_admin):
    make_snapshot(run, sim_admin)
    run("alletra_volume", dict(pool=POOL, name="vol2", size="512MiB"))


NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10"
ATTACH = dict(pool=POOL, name="vol1", host_name="host01", connect=False, nqn=NQN)


def make_attached(run, sim_admin):
    make_volume(run, sim_admin)
    run("alletra_host_attach", ATTACH)


SCENARIOS = {
    "volume_create": Scenario(make_pool, "alletra_volume", dict(pool=POOL, name="vol1", size="1GiB")),
    "volume_grow": Scenario(make_volume, "alletra_volume", dict(pool=POOL, name="vol1", size="2GiB")),
    "snapshot": Scenario(make_volume, "alletra_snapshot", dict(pool=POOL, volume="vol1", name="snap0")),
    "restore": Scenario(make_snapshot, "alletra_snapshot", dict(pool=POOL, volume="vol1", name="snap0", state="restored")),
    "copy_with_snapshots": Scenario(make_source, "alletra_volume", dict(
        pool=POOL, uuid=DEST_UUID, content_type="block", source=dict(name=SOURCE), copy_snapshots=True)),
    "pool_delete": Scenario(make_full_pool, "alletra_pool", dict(name=POOL, state="absent", force=True)),
    "host_attach": Scenario(make_volume, "alletra_host_attach", ATTACH),
    "detach": Scenario(make_attached, "alletra_host_attach", dict(ATTACH, state="absent")),
}
# Faults after which the run itself succeeds, not only the re-run: the array did not act on the request,
# and the client logs in again (an expired session) or repeats what is safe to repeat (a busy array).
TRANSPARENT = {"session_expired": ("DELETE", "GET", "POST", "PUT"), "503": ("DELETE", "GET")}


def array_state(sim_admin):
    """What the array holds, without what differs between equal runs (ids, times, run marks, data ids).

    Data identity is kept as groups: the names of the volumes that hold the same data.
    """
    state = sim_admin.state()
    volumes = {}
    data = {}
    for name, volume in state["volumes"].items():
        words = dict(word.partition("=")[::2] for word in (volume.get("comment") or "").split()[1:])
        volumes[name] = dict(size_mib=volume["sizeMiB"], copy_type=volume["copyType"], copy_of=volume.get("copyOf"),
                             read_only=volume.get("readOnly"), cpg=volume.get("userCPG"),
                             marks=dict((key, words[key]) for key in ("pool", "snapshot", "copy") if key in words))
        data.setdefault(volume["dataId"], []).append(name)
    sets = dict((name, sorted(item.get("setmembers") or [])) for name, item in state["volumesets"].items())
    shared = sorted(sorted(names) for names in data.values() if len(names) > 1)
    vluns = sorted((vlun["volumeName"], vlun.get("hostname"), vlun["lun"]) for vlun in state.get("vlun_templates") or [])
    hosts = dict((name, sorted(path["NQN"] for path in host.get("NVMETCPPaths") or [])) for name, host in state["hosts"].items())
    return dict(volumes=volumes, volume_sets=sets, shared_data=shared, vluns=vluns, hosts=hosts)


def orphans(state):
    """Base volumes in no volume set: managed by nothing."""
    members = set(name for names in state["volume_sets"].values() for name in names)
    return sorted(name for name, volume in state["volumes"].items() if volume["copy_type"] != 3 and name not in members)


def prepared(sim, sim_admin, scenario):
    """A fresh array with the scenario's set-up; returns the run function for the test's module.

    Array tasks end at once in the set-up, the clean run and the re-run (no poll waits); the run
    with a fault gets tasks that take TASK_SECONDS, so its fault meets copies and restores in progress.
    """
    args = connection_args(sim)

    def run(module, module_args, timeout=10):
        return run_in_process(module, dict(args, timeout=timeout, **module_args))

    sim_admin.reset()
    sim_admin.config(task_seconds=0)
    sim_admin.seed({"cpgs": [{"name": "SSD_r6", "capacityMiB": 4 * 1024 * 1024}]})
    scenario.setup(lambda module, module_args: ok(run(module, module_args)), sim_admin)
    sim_admin.reset_counters()
    return run


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def steps_of(counters):
    """The requests of a run that a fault is armed on, as (method, path, matches to let pass first):
    every request that changes something, each time it is sent, and the first poll of each task."""
    steps = []
    for key, count in sorted(counters["requests"].items()):
        method, path = key.split(" ", 1)
        if "/credentials" in path:
            continue
        if method != "GET":
            steps.extend((method, path, skip) for skip in range(count))
        elif path.startswith("/api/v1/tasks/"):
            steps.append((method, path, 0))
    return steps


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_rerun_converges_after_a_fault_at_any_step(sim, sim_admin, name, fault):
    scenario = SCENARIOS[name]
    run = prepared(sim, sim_admin, scenario)
    ok(run(scenario.module, scenario.args))
    expected = array_state(sim_admin)
    assert not orphans(expected)
    steps = steps_of(sim_admin.counters())
    assert len(steps) >= 1
    for method, path, skip in steps:
        where = "%s %s (after %d) with %s" % (method, path, skip, fault)
        run = prepared(sim, sim_admin, scenario)
        sim_admin.faults(dict(FAULTS[fault], method=method, path=path, count=1, skip=skip))
        sim_admin.config(task_seconds=TASK_SECONDS)
        # The smallest timeout the module takes: a late answer is given up on after 1 s.
        first = run(scenario.module, scenario.args, timeout=1)
        assert not sim_admin.armed_faults(), "the run never sent " + where
        assert first.get("failed") or not first.get("msg"), where
        if method in TRANSPARENT.get(fault, ()):
            assert not first.get("failed"), "%s failed the run: %s" % (where, first.get("msg"))
        assert sim_admin.counters()["sessions_open"] == 0, "session left open after " + where
        sim_admin.clear_faults()
        sim_admin.config(task_seconds=0)
        second = run(scenario.module, scenario.args)
        assert not second.get("failed"), "re-run after %s failed: %s (first run: %s)" % (where, second.get("msg"), first.get("msg"))
        state = array_state(sim_admin)
        assert not orphans(state), "orphans after " + where
        assert state == expected, "the array differs from a clean run after " + where
        assert sim_admin.counters()["sessions_open"] == 0, "session left open after " + where
