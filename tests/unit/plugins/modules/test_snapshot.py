# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""alletra_snapshot in-process plays: names, expiry, patterns, restore, delete safety."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from outcomes import assert_clean_failure, data_ids, marked_name

UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
PARENT = "v-5a2504b06a6c48498ee7ddb0b674fd14-b"


def snapshot_task(task="snapshot", snapshot=None, **options):
    """A task of alletra_snapshot on the VM block volume; ``snapshot`` is the user-facing name."""
    if snapshot is not None:
        options["name"] = snapshot
    options.setdefault("pool", "lxd-pool")
    options.setdefault("volume_uuid", UUID)
    options.setdefault("volume_type", "virtual-machine")
    options.setdefault("content_type", "block")
    return {"name": task, "alletra.storage.alletra_snapshot": options, "register": "result"}


@pytest.fixture
def parent(play, cpg):
    run = play([
        {"name": "pool", "alletra.storage.alletra_pool": {"name": "lxd-pool", "cpg": cpg}},
        {"name": "volume", "alletra.storage.alletra_volume": {
            "pool": "lxd-pool", "uuid": UUID, "volume_type": "virtual-machine", "content_type": "block", "size": "1GiB"}},
    ])
    assert run.failures == 0
    return PARENT


def snapshots_on_array(array, parent_name):
    return sorted((v for v in array.volumes().values() if v.get("copyOf") == parent_name),
                  key=lambda v: (v["creationTimeSec"], v["id"]))


def test_create_is_lxd_shaped_stable_and_idempotent(play, array, parent):
    first = play([snapshot_task(snapshot="snap0")], diff=True)
    assert first.changed == 1
    snapshot = first["snapshot"]["snapshot"]
    assert snapshot["snapshot_name"] == "snap0" and snapshot["parent"] == parent
    assert snapshot["name"].startswith("sv-") and snapshot["name"].endswith("-b") and len(snapshot["name"]) == 37
    assert snapshot["read_only"] is True
    assert first["snapshot"]["diff"]["before"] == {}
    assert first["snapshot"]["diff"]["after"]["snapshot_name"] == "snap0"
    on_array = array.volumes()[snapshot["name"]]
    assert on_array["copyOf"] == parent and on_array["copyType"] == 3 and on_array["readOnly"] is True
    assert marked_name(on_array) == "snap0"

    assert len(snapshots_on_array(array, parent)) == 1


def test_explicit_uuid_gives_lxds_snapshot_name(play, array, parent):
    run = play([snapshot_task(snapshot="snap0", uuid="0bb1c9a2-b7a4-5d0e-8f0c-6b1f2a3d4e5f")])
    assert run["snapshot"]["snapshot"]["name"] == "sv-0bb1c9a2b7a45d0e8f0c6b1f2a3d4e5f-b"
    assert "sv-0bb1c9a2b7a45d0e8f0c6b1f2a3d4e5f-b" in array.volumes()


def test_a_snapshot_is_found_by_its_name_whatever_uuid_made_it(play, array, parent):
    snapshot_uuid = "1b4e28ba-2fa1-411d-9c6c-1c0bc4e3a3f1"
    play([snapshot_task(snapshot="snap0", uuid=snapshot_uuid)])
    again = play([snapshot_task(snapshot="snap0")])
    assert again.changed == 0 and again["snapshot"]["snapshot"]["uuid"] == snapshot_uuid
    clash = play([dict(snapshot_task(snapshot="snap0", uuid="22222222-3333-4444-8555-666666666666"), ignore_errors=True),
                  dict(snapshot_task("misnamed", snapshot="snap1", uuid=snapshot_uuid), ignore_errors=True)])
    assert_clean_failure(clash["snapshot"], "uuid", "snap0", "another UUID")
    assert_clean_failure(clash["misnamed"], "uuid", "names snapshot 'snap0'")
    assert len(snapshots_on_array(array, parent)) == 1
    gone = play([snapshot_task(snapshot="snap0", state="absent")])
    assert gone.changed == 1 and snapshots_on_array(array, parent) == []


@pytest.mark.parametrize("expiry, hours", [("2w", 336), ("1d 2H", 26), ("90M", 2), ("1H", 1)])
def test_expiry_is_sent_in_whole_hours(play, array, parent, expiry, hours):
    run = play([snapshot_task(snapshot="snap0", expiry=expiry)])
    on_array = array.volumes()[run["snapshot"]["snapshot"]["name"]]
    assert on_array["expirationTimeSec"] - on_array["creationTimeSec"] == hours * 3600
    assert run["snapshot"]["snapshot"]["expires"] == on_array["expirationTime8601"]


def test_pattern_takes_the_next_free_number(play, array, parent):
    run = play([
        snapshot_task("first", pattern="snap%d"),
        snapshot_task("second", pattern="snap%d"),
        snapshot_task("named", snapshot="snap5"),
        snapshot_task("other", snapshot="backup"),
        snapshot_task("after gap", pattern="snap%d"),
    ], rerun=False)
    assert run["first"]["snapshot"]["snapshot_name"] == "snap0"
    assert run["second"]["snapshot"]["snapshot_name"] == "snap1"
    assert run["after gap"]["snapshot"]["snapshot_name"] == "snap6"
    names = [s["snapshot_name"] for s in run["after gap"]["snapshots"]]
    assert names == ["snap0", "snap1", "snap5", "backup", "snap6"]
    assert [marked_name(v) for v in snapshots_on_array(array, parent)] == names


def test_restore_brings_the_data_back(play, array, parent, sim_admin):
    play([snapshot_task(snapshot="snap0")])
    original = data_ids(sim_admin)[parent]
    sim_admin.write(parent)
    written = data_ids(sim_admin)[parent]
    assert written != original

    checked = play([snapshot_task(snapshot="snap0", state="restored")], check=True)
    assert checked.changed == 1 and data_ids(sim_admin)[parent] == written

    run = play([snapshot_task(snapshot="snap0", state="restored")], diff=True, rerun=False)
    assert run.changed == 1 and run["snapshot"]["task"]["status"] == 1
    assert run["snapshot"]["diff"]["after"]["restored_from"] == "snap0"
    assert data_ids(sim_admin)[parent] == original
    assert sim_admin.counters()["sessions_open"] == 0


def test_restore_refuses_an_exported_parent_unless_forced(play, array, parent, sim_admin):
    play([snapshot_task(snapshot="snap0")])
    original = data_ids(sim_admin)[parent]
    sim_admin.write(parent)
    array.call("POST", "/hosts", {"name": "host01-iscsi", "iSCSINames": ["iqn.1993-08.org.debian:01:abcdef"]})
    array.call("POST", "/vluns", {"volumeName": parent, "hostname": "host01-iscsi", "lun": 0, "autoLun": True})
    refused = play([dict(snapshot_task(snapshot="snap0", state="restored"), ignore_errors=True)])
    assert_clean_failure(refused["snapshot"], "exported", "host01-iscsi", "force")
    assert data_ids(sim_admin)[parent] != original
    forced = play([snapshot_task(snapshot="snap0", state="restored", force=True)], rerun=False)
    assert forced.changed == 1 and data_ids(sim_admin)[parent] == original


def test_restore_of_a_missing_snapshot_fails(play, parent):
    run = play([dict(snapshot_task(snapshot="nope", state="restored"), ignore_errors=True)])
    assert_clean_failure(run["snapshot"], "name", "nope")


def test_absent_deletes_only_the_named_snapshot(play, array, parent):
    play([snapshot_task("a", snapshot="snap0"), snapshot_task("b", snapshot="snap1")])
    checked = play([snapshot_task(snapshot="snap0", state="absent")], check=True)
    assert checked.changed == 1 and len(snapshots_on_array(array, parent)) == 2
    run = play([snapshot_task(snapshot="snap0", state="absent")], diff=True)
    assert run.changed == 1 and run["snapshot"]["diff"]["before"]["snapshot_name"] == "snap0"
    assert [marked_name(v) for v in snapshots_on_array(array, parent)] == ["snap1"]
    assert parent in array.volumes()


def test_absent_refuses_a_snapshot_with_children_unless_forced(play, array, parent):
    run = play([snapshot_task(snapshot="snap0")])
    snap0 = run["snapshot"]["snapshot"]["name"]
    array.call("POST", "/volumes/" + snap0, {"action": "createSnapshot", "parameters": {"name": "child-of-snap0"}})
    refused = play([dict(snapshot_task(snapshot="snap0", state="absent"), ignore_errors=True)])
    assert_clean_failure(refused["snapshot"], "snapshot(s) of its own", "force")
    assert snap0 in array.volumes()
    forced = play([snapshot_task(snapshot="snap0", state="absent", force=True)])
    assert forced.changed == 1
    assert set(array.volumes()) == {parent}
