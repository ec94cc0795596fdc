# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""LXD's pools beside ours: listed by alletra_info (lxd_pools), copied from by alletra_volume, and protected from
every change by every module. The pool is set up exactly as LXD's driver sets one up (tests/lxd_pool.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from lxd_pool import LXD_COMMENT, LXD_HOST, LXD_NQN, make_lxd_pool
from outcomes import assert_array_unchanged, assert_clean_failure, data_ids

POOL = "our-pool"
COPY_UUID = "3f0e2d1c-4b5a-4697-8877-665544332211"
WHY = ("is LXD's pool", "LXD keeps its own records of it (volumes, snapshots, exports)", "change it through LXD",
       "only reads it", "copies from it")


@pytest.fixture
def lxd(sim, sim_admin, cpg):
    sim_admin.config(task_seconds=0.05)
    return make_lxd_pool(sim, sim_admin)


@pytest.fixture
def ours(run_module, cpg):
    """Our pool beside LXD's, with one volume."""
    assert run_module("alletra_pool", dict(name=POOL, cpg=cpg))["changed"]
    assert run_module("alletra_volume", dict(pool=POOL, name="ours01", size="256MiB"))["changed"]
    return POOL


def reads_of(sim_admin):
    return dict((key, count) for key, count in sim_admin.counters()["requests"].items() if "/credentials" not in key)


def test_lxd_pools_lists_lxds_volume_sets_decoded_with_snapshots_and_parents_in_3_requests(run_module, array, lxd, ours, sim_admin):
    # A member LXD's scheme did not name, and LXD's temporary snapshot of a refresh, are listed undecoded.
    array.call("POST", "/volumes", {"name": "legacy01", "cpg": "SSD_r6", "sizeMiB": 256, "tpvv": True})
    array.call("PUT", "/volumesets/" + lxd["pool"], {"action": 1, "setmembers": ["legacy01"]})
    container = lxd["volumes"]["container"]["name"]
    array.call("POST", "/volumes/" + container, {"action": "createSnapshot", "parameters": {"name": "lxd-reverter-snapshot"}})
    sim_admin.reset_counters()
    result = run_module("alletra_info", dict(gather_subset=["lxd_pools", "pools"]))
    assert not result.get("failed"), result.get("msg")
    assert sum(reads_of(sim_admin).values()) <= 3, reads_of(sim_admin)
    assert [pool["name"] for pool in result["info"]["pools"]] == [POOL]
    [pool] = result["info"]["lxd_pools"]
    assert (pool["name"], pool["comment"], pool["volume_count"]) == (lxd["pool"], LXD_COMMENT, len(lxd["volumes"]) + 1)
    members = dict((member["name"], member) for member in pool["members"])
    assert [member["name"] for member in pool["members"]] == sorted(members)
    assert members["legacy01"]["decoded"] is None and members["legacy01"]["snapshots"] == []
    for volume in lxd["volumes"].values():
        member = members[volume["name"]]
        assert member["decoded"] == dict(volume_type=volume["volume_type"], content_type=volume["content_type"], uuid=volume["uuid"])
        assert member["size_mib"] == volume["size_mib"] and member["cpg"] == "SSD_r6" and len(member["nguid"]) == 32
        expected = [snapshot for snapshot in lxd["snapshots"] if snapshot["parent"] == volume["name"]]
        listed = [snapshot for snapshot in member["snapshots"] if snapshot["decoded"]]
        assert [(s["name"], s["parent"], s["decoded"]["uuid"], s["decoded"]["volume_type"]) for s in listed] == [
            (s["name"], s["parent"], s["uuid"], s["volume_type"]) for s in expected]
    assert [(s["name"], s["decoded"], s["parent"]) for s in members[container]["snapshots"]][-1] == (
        "lxd-reverter-snapshot", None, container)


def test_pool_may_name_an_lxd_pool_for_its_volumes_and_the_hosts_subset_lists_lxds_host_entity(run_module, lxd, ours):
    result = run_module("alletra_info", dict(gather_subset=["volumes", "lxd_pools", "pools", "hosts"], pool=lxd["pool"]))
    info = result["info"]
    assert info["pools"] == [] and [pool["name"] for pool in info["lxd_pools"]] == [lxd["pool"]]
    assert sorted(volume["name"] for volume in info["volumes"]) == sorted(v["name"] for v in lxd["volumes"].values())
    assert set(volume["pool"] for volume in info["volumes"]) == {lxd["pool"]}
    [host] = [host for host in info["hosts"] if host["name"] == LXD_HOST]
    assert (host["protocol"], host["initiators"], host["comment"]) == ("nvme", [LXD_NQN], LXD_COMMENT)
    ours_only = run_module("alletra_info", dict(gather_subset=["lxd_pools", "volumes"], pool=POOL))["info"]
    assert ours_only["lxd_pools"] == [] and [volume["name"] for volume in ours_only["volumes"]] == ["ours01"]


def refused_changes(lxd):
    """(module, arguments) of every kind of change a task could ask of LXD's pool or its volumes."""
    pool, custom, container = lxd["pool"], lxd["volumes"]["custom"], lxd["volumes"]["container"]
    by_uuid = dict(uuid=custom["uuid"], volume_type="custom", content_type="block")
    snapshot = lxd["snapshots"][0]["name"]
    attach = dict(host_name="ansible01", nqn="nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555",
                  connect=False)
    return [
        ("alletra_pool", dict(name=pool, cpg="SSD_r6")),
        ("alletra_pool", dict(name=pool, state="absent", force=True)),
        ("alletra_volume", dict(pool=pool, name="new01", size="1GiB")),
        ("alletra_volume", dict(pool=pool, size="2GiB", **by_uuid)),
        ("alletra_volume", dict(pool=pool, state="absent", force=True, **by_uuid)),
        ("alletra_volume", dict(pool=pool, volumes=[dict(name=container["name"], state="absent", force=True)])),
        ("alletra_volume", dict(pool=pool, name="copy01", source=dict(pool=POOL, name="ours01"))),
        ("alletra_volume", dict(pool=POOL, name=container["name"], state="absent", force=True)),
        ("alletra_snapshot", dict(pool=pool, volume=container["name"], name="snap9")),
        ("alletra_snapshot", dict(pool=pool, volume=container["name"], name=snapshot, state="absent", force=True)),
        ("alletra_snapshot", dict(pool=pool, volume=container["name"], name=snapshot, state="restored")),
        ("alletra_snapshot", dict(pool=POOL, volume=container["name"], name="snap9")),
        ("alletra_host_attach", dict(pool=pool, name=container["name"], **attach)),
        ("alletra_host_attach", dict(pool=pool, name=custom["name"], state="absent", host_name="lxd01", nqn=LXD_NQN,
                                     connect=False)),
        ("alletra_host_attach", dict(pool=POOL, name=custom["name"], **attach)),
    ]


@pytest.mark.parametrize("check_mode", [False, True])
def test_every_change_to_an_lxd_pool_or_its_volumes_is_refused_saying_why_and_nothing_changes(
        run_module, sim_admin, lxd, ours, check_mode):
    before = sim_admin.state()
    for module, args in refused_changes(lxd):
        result = run_module(module, args, check=check_mode)
        assert_clean_failure(result, *WHY)
        assert lxd["pool"] in result["msg"], (module, args, result["msg"])
    assert_array_unchanged(before, sim_admin.state())
    assert sim_admin.counters()["sessions_open"] == 0


def test_a_copy_from_an_lxd_volume_carries_its_snapshots_and_leaves_lxds_pool_as_it_was(run_module, sim_admin, lxd, ours):
    container = lxd["volumes"]["container"]
    lxd_names = set(v["name"] for v in lxd["volumes"].values()) | set(s["name"] for s in lxd["snapshots"])
    state = sim_admin.state()
    lxd_before = dict((name, volume) for name, volume in state["volumes"].items() if name in lxd_names)
    sets_before, hosts_before, vluns_before = state["volumesets"][lxd["pool"]], state["hosts"], state["vluns"]
    args = dict(pool=POOL, uuid=COPY_UUID, volume_type="container", copy_snapshots=True,
                source=dict(pool=lxd["pool"], uuid=container["uuid"], volume_type="container"))
    result = run_module("alletra_volume", args)
    assert result["changed"] and not result.get("failed"), result.get("msg")
    snapshots = [s for s in lxd["snapshots"] if s["parent"] == container["name"]]
    # The user-facing name of an LXD snapshot is its own UUID (LXD keeps snap0 only in its database).
    assert result["copied_from"] == dict(volume=container["name"], snapshot=None, snapshots=[s["uuid"] for s in snapshots])
    assert result["volume"]["snapshots"] == [s["uuid"] for s in snapshots]
    after = sim_admin.state()
    ids = data_ids(sim_admin)
    copy = result["volume"]["name"]
    assert ids[copy] == ids[container["name"]]
    copied = sorted((v for v in after["volumes"].values() if v.get("copyOf") == copy), key=lambda v: v["id"])
    assert [ids[v["name"]] for v in copied] == [ids[s["name"]] for s in snapshots]
    assert dict((name, after["volumes"][name]) for name in lxd_names) == lxd_before
    assert (after["volumesets"][lxd["pool"]], after["hosts"], after["vluns"]) == (sets_before, hosts_before, vluns_before)
    assert not run_module("alletra_volume", args)["changed"]


@pytest.mark.parametrize("spelling", ["uuid", "hex", "array name"])
def test_a_copy_from_an_lxd_snapshot_names_it_by_its_uuid_or_array_name(run_module, sim_admin, lxd, ours, spelling):
    custom, snapshot = lxd["volumes"]["custom"], lxd["snapshots"][2]
    given = dict(uuid=snapshot["uuid"], hex=snapshot["uuid"].replace("-", "").upper(), **{"array name": snapshot["name"]})[spelling]
    result = run_module("alletra_volume", dict(pool=POOL, name="from-lxd-snap", source_snapshot=given,
                                               source=dict(pool=lxd["pool"], name=custom["name"])))
    assert result["changed"] and result["copied_from"]["snapshot"] == snapshot["uuid"], result.get("msg")
    ids = data_ids(sim_admin)
    assert ids["from-lxd-snap"] == ids[snapshot["name"]] != ids[custom["name"]]


def test_a_source_in_lxds_pool_named_without_its_pool_is_told_to_name_it(run_module, sim_admin, lxd, ours):
    before = sim_admin.state()
    result = run_module("alletra_volume", dict(pool=POOL, name="copy02", source=dict(name=lxd["volumes"]["image"]["name"])))
    assert_clean_failure(result, "source: volume", "is in LXD's pool %r" % lxd["pool"], "give source.pool: %s" % lxd["pool"])
    assert_array_unchanged(before, sim_admin.state())


def test_host_attach_uses_lxds_host_entity_found_by_its_nqn(run_module, sim_admin, lxd, ours):
    args = dict(pool=POOL, name="ours01", host_name="lxd01", nqn=LXD_NQN, connect=False)
    result = run_module("alletra_host_attach", args)
    assert result["changed"] and result["host_entity"] == LXD_HOST, result.get("msg")
    state = sim_admin.state()
    assert sorted(state["hosts"]) == [LXD_HOST] and state["hosts"][LXD_HOST]["descriptors"]["comment"] == LXD_COMMENT
    assert sorted(rule["volumeName"] for rule in state["vlun_templates"] if rule["hostname"] == LXD_HOST) == sorted(
        ["ours01", lxd["volumes"]["custom"]["name"]])
    assert not run_module("alletra_host_attach", args)["changed"]


def test_host_attach_uses_lxds_iscsi_host_entity_found_by_its_iqn(run_module, array, sim_admin, lxd, ours):
    iqn = "iqn.1993-08.org.debian:01:lxd01"
    array.call("POST", "/hosts", {"name": "lxd01-iscsi", "descriptors": {"comment": LXD_COMMENT}, "iSCSINames": [iqn]})
    args = dict(pool=POOL, name="ours01", host_name="ansible01", iqn=iqn, mode="iscsi", connect=False)
    result = run_module("alletra_host_attach", args)
    assert result["changed"] and result["host_entity"] == "lxd01-iscsi", result.get("msg")
    assert sorted(sim_admin.state()["hosts"]) == sorted([LXD_HOST, "lxd01-iscsi"])
    assert not run_module("alletra_host_attach", args)["changed"]
