# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Copies in alletra_volume: with their snapshots, in order, undone on failure, side by side."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from outcomes import assert_clean_failure, data_ids, marked_name, volume_with_snapshots

SOURCE_UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
SOURCE = "u-5a2504b06a6c48498ee7ddb0b674fd14-b"
DEST_UUID = "0c6f1d1e-8a47-4a39-9d55-3b0c1f6a2e11"
DEST = "u-0c6f1d1e8a474a399d553b0c1f6a2e11-b"


def identity(uuid):
    return dict(uuid=uuid, volume_type="custom", content_type="block")


def copy_task(task="copy", uuid=DEST_UUID, **options):
    options.setdefault("pool", "lxd-pool")
    options.setdefault("source", identity(SOURCE_UUID))
    options.update(identity(uuid))
    return {"name": task, "alletra.storage.alletra_volume": options, "register": "result"}


def snapshots_of(array, parent):
    return sorted((v for v in array.volumes().values() if v.get("copyOf") == parent), key=lambda v: (v["creationTimeSec"], v["id"]))


@pytest.fixture
def pool(play, cpg):
    assert play([{"name": "pool", "alletra.storage.alletra_pool": {"name": "lxd-pool", "cpg": cpg}}]).failures == 0
    return "lxd-pool"


@pytest.mark.parametrize("count", [0, 1, 3])
def test_copy_carries_the_snapshots_in_order(play, array, pool, sim_admin, count):
    source = volume_with_snapshots(array, sim_admin, count, SOURCE_UUID)
    before = array.volumes()
    run = play([copy_task(copy_snapshots=True)], diff=True)
    assert run.failures == 0 and run.changed == 1
    result = run["copy"]
    names = ["snap%d" % number for number in range(count)]
    assert result["copied_from"] == {"volume": source, "snapshot": None, "snapshots": names}
    assert result["volume"]["name"] == DEST and result["volume"]["snapshots"] == names
    assert result["diff"]["after"]["snapshots"] == names

    after = array.volumes()
    created = sorted(set(after) - set(before))
    dest_snapshots = snapshots_of(array, DEST)
    assert created == sorted([DEST] + [s["name"] for s in dest_snapshots])
    assert [marked_name(s) for s in dest_snapshots] == names
    assert [s["readOnly"] for s in dest_snapshots] == [number % 2 == 0 for number in range(count)]
    ids = data_ids(sim_admin)
    assert [ids[s["name"]] for s in dest_snapshots] == [ids[s["name"]] for s in snapshots_of(array, source)]
    assert ids[DEST] == ids[source]
    assert after[DEST]["sizeMiB"] == 1024 and DEST in array.volume_sets()[pool]["setmembers"]
    assert dict((n, after[n]) for n in before) == before

    assert sim_admin.counters()["sessions_open"] == 0


def test_copy_without_snapshots_and_from_a_snapshot(play, array, pool, sim_admin):
    source = volume_with_snapshots(array, sim_admin, 2, SOURCE_UUID)
    run = play([
        copy_task("plain"),
        copy_task("from snap0", uuid="11111111-2222-4333-8444-555555555555", source_snapshot="snap0", size="2GiB"),
    ])
    ids = data_ids(sim_admin)
    assert run["plain"]["volume"]["snapshots"] == [] and ids[DEST] == ids[source]
    from_snap = run["from snap0"]["volume"]
    assert from_snap["size_mib"] == 2048 and from_snap["snapshots"] == []
    assert ids[from_snap["name"]] == ids[snapshots_of(array, source)[0]["name"]]


def test_check_mode_and_diff_of_a_copy_create_nothing(play, array, pool, sim_admin):
    volume_with_snapshots(array, sim_admin, 2, SOURCE_UUID)
    before = array.volumes()
    run = play([copy_task(copy_snapshots=True)], check=True, diff=True)
    assert run.changed == 1
    assert run["copy"]["diff"]["after"]["snapshots"] == ["snap0", "snap1"]
    assert run["copy"]["diff"]["after"]["size_mib"] == 1024
    assert array.volumes() == before


def test_a_copy_is_never_smaller_than_its_source(play, array, pool, sim_admin):
    volume_with_snapshots(array, sim_admin, 0, SOURCE_UUID)
    run = play([dict(copy_task(size="512MiB"), ignore_errors=True)])
    assert_clean_failure(run["copy"], "size", "never smaller")
    assert DEST not in array.volumes()


def test_copy_to_another_pool(play, array, pool, sim_admin, cpg):
    source = volume_with_snapshots(array, sim_admin, 1, SOURCE_UUID)
    run = play([
        {"name": "pool", "alletra.storage.alletra_pool": {"name": "other-pool", "cpg": cpg}},
        copy_task(pool="other-pool", source=dict(pool="lxd-pool", **identity(SOURCE_UUID)), copy_snapshots=True),
    ])
    assert run.failures == 0
    assert DEST in array.volume_sets()["other-pool"]["setmembers"]
    assert source in array.volume_sets()["lxd-pool"]["setmembers"]


def test_an_existing_destination_without_the_snapshots_is_not_overwritten(play, array, pool, sim_admin):
    volume_with_snapshots(array, sim_admin, 1, SOURCE_UUID)
    play([{"name": "dest", "alletra.storage.alletra_volume": dict(pool="lxd-pool", size="1GiB", **identity(DEST_UUID))}])
    dest_data = data_ids(sim_admin)[DEST]
    run = play([dict(copy_task(copy_snapshots=True), ignore_errors=True)])
    assert_clean_failure(run["copy"], "lacks", "snap0", "not overwritten")
    assert data_ids(sim_admin)[DEST] == dest_data and snapshots_of(array, DEST) == []


def test_a_failure_mid_way_undoes_the_copy_and_names_the_step(play, array, pool, sim_admin):
    source = volume_with_snapshots(array, sim_admin, 3, SOURCE_UUID)
    second_snapshot = snapshots_of(array, source)[1]["name"]
    before = array.volumes()
    sim_admin.faults({"method": "POST", "path": "/api/v1/volumes/" + second_snapshot, "count": 1,
                      "status": 500, "code": 1, "desc": "injected failure"})
    run = play([dict(copy_task(copy_snapshots=True), ignore_errors=True)], rerun=False)
    assert_clean_failure(run["copy"], "copy snapshot snap1", "injected failure", "deleted again")
    assert run["copy"]["failed_step"].startswith("copy snapshot snap1")
    assert array.volumes() == before
    assert DEST not in array.volume_sets()[pool].get("setmembers", [])
    assert sim_admin.counters()["sessions_open"] == 0


def test_a_copy_that_outlives_its_timeout_is_cancelled_and_undone(play, array, pool, sim_admin):
    volume_with_snapshots(array, sim_admin, 0, SOURCE_UUID)
    before = array.volumes()
    sim_admin.config({"task_seconds": 60})
    run = play([dict(copy_task(task_timeout=1), ignore_errors=True)], rerun=False)
    assert_clean_failure(run["copy"], "still running", "deleted again")
    assert array.volumes() == before
    tasks = array.members("/tasks")
    assert [task["status"] for task in tasks if task["type"] == 1] == [3]


def test_a_copy_with_snapshots_to_a_plainly_named_destination(play, array, pool, sim_admin):
    volume_with_snapshots(array, sim_admin, 2, SOURCE_UUID)
    task = {"name": "copy", "alletra.storage.alletra_volume": {
        "pool": pool, "name": "plain-copy", "source": identity(SOURCE_UUID), "copy_snapshots": True}}
    run = play([task])
    assert run.failures == 0 and run["copy"]["volume"]["snapshots"] == ["snap0", "snap1"]
    copies = snapshots_of(array, "plain-copy")
    assert [marked_name(copy) for copy in copies] == ["snap0", "snap1"]
    # The module's own volume_type and content_type (custom, filesystem) shape the snapshot names.
    assert all(copy["name"].startswith("su-") and not copy["name"].endswith("-b") for copy in copies)


def test_a_copy_stays_done_when_its_source_is_gone(play, array, pool, sim_admin):
    source = volume_with_snapshots(array, sim_admin, 1, SOURCE_UUID)
    task = copy_task(copy_snapshots=True)
    assert play([task], rerun=False).changed == 1
    array.call("DELETE", "/volumes/" + snapshots_of(array, source)[0]["name"])
    array.call("PUT", "/volumesets/" + pool, {"action": 2, "setmembers": [source]})
    array.call("DELETE", "/volumes/" + source)
    again = play([task])
    assert again.failures == 0 and again.changed == 0 and again["copy"]["volume"]["snapshots"] == ["snap0"]
    elsewhere = play([dict(copy_task(uuid="22222222-3333-4444-8555-666666666666"), ignore_errors=True)])
    assert_clean_failure(elsewhere["copy"], "source", "has no volume", source)
