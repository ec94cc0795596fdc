# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parallel plays on one array: "already exists" means another run won, never a failure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import subprocess

import yaml

from outcomes import data_ids, marked_name, volume_with_snapshots
from playbook_support import ANSIBLE_PLAYBOOK, Run

# Enough runs for every create to race; more only cost start-up time.
PARALLEL = 3
# How long the first reads of an object wait for their answer: more than the runs' usual spread.
RACE_WINDOW_MS = 5000


def run_in_parallel(tmp_path, ansible_env, tasks, count=PARALLEL):
    """Start ``count`` ansible-playbook runs of the same play at once; return their Runs."""
    return run_plays_at_once(tmp_path, ansible_env, [tasks] * count)


def run_plays_at_once(tmp_path, ansible_env, plays):
    """Start one ansible-playbook run of each play (a list of tasks) at once; return their Runs."""
    processes = []
    for number, tasks in enumerate(plays):
        path = str(tmp_path / ("race%d.yml" % number))
        with open(path, "w") as handle:
            yaml.safe_dump([dict(name="race", hosts="localhost", connection="local", gather_facts=False, tasks=tasks)], handle)
        processes.append((path, subprocess.Popen([ANSIBLE_PLAYBOOK, "-i", "localhost,", path], env=ansible_env,
                                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    runs = []
    for path, process in processes:
        stdout, stderr = process.communicate(timeout=300)
        process.stdout, process.stderr = stdout, stderr
        runs.append(Run(process, path))
    return runs


def assert_all_succeeded(runs):
    for run in runs:
        assert run.rc == 0 and run.failures == 0, [result.get("msg") for name, result in run.results if result.get("failed")]


def test_parallel_plays_of_one_lifecycle_make_each_object_once(tmp_path, ansible_env, array, sim_admin, cpg):
    tasks = [{"name": "pool", "alletra.storage.alletra_pool": {"name": "race-pool", "cpg": cpg}},
             {"name": "volume", "alletra.storage.alletra_volume": {"pool": "race-pool", "name": "race-vol", "size": "1GiB"}},
             {"name": "pattern", "alletra.storage.alletra_snapshot": {"pool": "race-pool", "volume": "race-vol", "pattern": "snap%d"}},
             {"name": "nightly", "alletra.storage.alletra_snapshot": {"pool": "race-pool", "volume": "race-vol", "name": "nightly"}}]
    # The first reads of the pool and the volume are answered late, with what the array held when
    # asked, so runs that read within RACE_WINDOW_MS of each other all find them missing and all send
    # the create: a real race, not luck. The test fails unless one happened.
    # (The volume is read with its snapshots in one query of /volumes.)
    for path in ("/api/v1/volumesets/race-pool", "/api/v1/volumes"):
        sim_admin.faults(method="GET", path=path, late_ms=RACE_WINDOW_MS, count=PARALLEL)
    runs = run_in_parallel(tmp_path, ansible_env, tasks)
    assert_all_succeeded(runs)
    requests = sim_admin.counters()["requests"]
    assert requests["POST /api/v1/volumesets"] + requests["POST /api/v1/volumes"] > 2, "no create raced another"
    volume_sets = array.volume_sets()
    assert list(volume_sets) == ["race-pool"] and volume_sets["race-pool"]["setmembers"] == ["race-vol"]
    volumes = array.volumes()
    assert sorted(name for name, volume in volumes.items() if not volume.get("copyOf")) == ["race-vol"]
    assert len(volumes) == 1 + PARALLEL + 1
    # A pattern makes one snapshot per run; one name is made once, by whichever run came first.
    assert all(run["pattern"]["changed"] for run in runs)
    assert sum(1 for run in runs if run["nightly"]["changed"]) >= 1
    names = sorted(marked_name(v) for v in volumes.values() if v.get("copyOf") == "race-vol")
    assert names == sorted(["nightly"] + ["snap%d" % number for number in range(PARALLEL)])
    assert sim_admin.counters()["sessions_open"] == 0


def test_two_copies_at_once_do_not_collide(tmp_path, ansible_env, array, playbook, sim_admin, cpg):
    # A set-up play, run once: the lifecycle play of test_engine.py proves it idempotent.
    playbook([{"alletra.storage.alletra_pool": {"name": "lxd-pool", "cpg": cpg}}], rerun=False)
    copies = {}
    for source_uuid, dest_uuid in (("5a2504b0-6a6c-4849-8ee7-ddb0b674fd14", "aaaaaaaa-0000-4000-8000-000000000001"),
                                   ("22222222-3333-4444-8555-666666666666", "bbbbbbbb-0000-4000-8000-000000000002")):
        source = volume_with_snapshots(array, sim_admin, 2, source_uuid)
        copies[source] = [{"alletra.storage.alletra_volume": dict(
            pool="lxd-pool", uuid=dest_uuid, volume_type="custom", content_type="block", copy_snapshots=True,
            source=dict(uuid=source_uuid, volume_type="custom", content_type="block"))}]
    sim_admin.config({"task_seconds": 0.5})
    assert_all_succeeded(run_plays_at_once(tmp_path, ansible_env, list(copies.values())))
    ids = data_ids(sim_admin)
    volumes = array.volumes()
    for source, tasks in copies.items():
        dest = "u-%s-b" % tasks[0]["alletra.storage.alletra_volume"]["uuid"].replace("-", "")
        assert ids[dest] == ids[source]
        assert [ids[s] for s in snapshot_names(volumes, dest)] == [ids[s] for s in snapshot_names(volumes, source)]
    assert len(volumes) == 12
    assert sim_admin.counters()["sessions_open"] == 0


def snapshot_names(volumes, parent):
    """The snapshots of ``parent``, oldest first."""
    children = (v for v in volumes.values() if v.get("copyOf") == parent)
    return [v["name"] for v in sorted(children, key=lambda v: (v["creationTimeSec"], v["id"]))]
