# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""alletra_info: every subset, the pool filter, JMESPath queries, one request per collection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

CONTAINER = "c-5a2504b06a6c48498ee7ddb0b674fd14"
VM_BLOCK = "v-0c6f1d1e8a474a399d553b0c1f6a2e11-b"
OTHER = "u-11111111222243338444555555555555"
NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-0000-4000-8000-000000000001"


@pytest.fixture
def inventory(play, array, cpg):
    play([
        {"name": "pool", "alletra.storage.alletra_pool": {"name": "lxd-pool", "cpg": cpg}},
        {"name": "other", "alletra.storage.alletra_pool": {"name": "other-pool", "cpg": cpg}},
        {"name": "c1", "alletra.storage.alletra_volume": {"pool": "lxd-pool", "name": CONTAINER, "size": "1GiB"}},
        {"name": "vm", "alletra.storage.alletra_volume": {"pool": "lxd-pool", "name": VM_BLOCK, "size": "2GiB"}},
        {"name": "u1", "alletra.storage.alletra_volume": {"pool": "other-pool", "name": OTHER}},
        {"name": "s0", "alletra.storage.alletra_snapshot": {"pool": "lxd-pool", "volume": CONTAINER, "name": "snap0"}},
    ])
    array.call("POST", "/volumesets", {"name": "foreign-set", "comment": "not ours"})
    array.call("POST", "/hosts", {"name": "host01-nvme", "NQN": NQN})
    array.call("POST", "/vluns", {"volumeName": VM_BLOCK, "hostname": "host01-nvme", "lun": 0, "autoLun": True})


def info_task(task="info", **options):
    return {"name": task, "alletra.storage.alletra_info": options, "register": "result"}


def test_all_subsets_with_decoded_identities(play, inventory, sim_admin):
    sim_admin.reset_counters()
    run = play([info_task(gather_subset=["all"])], rerun=False)
    info = run["info"]["info"]
    assert run["info"]["changed"] is False
    assert set(info) == {"system", "wsapi", "cpgs", "pools", "lxd_pools", "volumes", "snapshots", "hosts", "vluns", "targets"}
    assert info["lxd_pools"] == []
    assert info["wsapi"]["version"]["major"] == 1 and info["wsapi"]["configuration"]["sessionsInUse"] >= 1
    assert "SSD_r6" in [c["name"] for c in info["cpgs"]]
    assert [p["name"] for p in info["pools"]] == ["lxd-pool", "other-pool"]
    volumes = dict((v["name"], v) for v in info["volumes"])
    assert set(volumes) == {CONTAINER, VM_BLOCK, OTHER}
    assert (volumes[CONTAINER]["uuid"], volumes[CONTAINER]["volume_type"], volumes[CONTAINER]["content_type"]) == (
        "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14", "container", "filesystem")
    assert (volumes[VM_BLOCK]["volume_type"], volumes[VM_BLOCK]["content_type"], volumes[VM_BLOCK]["pool"]) == (
        "virtual-machine", "block", "lxd-pool")
    assert volumes[OTHER]["pool"] == "other-pool" and volumes[OTHER]["size_mib"] == 10240
    [snapshot] = info["snapshots"]
    assert snapshot["snapshot_name"] == "snap0" and snapshot["parent"] == CONTAINER and snapshot["name"].startswith("sc-")
    [host] = info["hosts"]
    assert host == dict(host, name="host01-nvme", protocol="nvme", initiators=[NQN])
    templates = [v for v in info["vluns"] if not v["active"]]
    assert [(v["volume"], v["host"]) for v in templates] == [(VM_BLOCK, "host01-nvme")]
    assert set(t["protocol"] for t in info["targets"]) >= {"nvme", "iscsi"}
    assert all(t["address"] for t in info["targets"] if t["protocol"] in ("nvme", "iscsi"))

    requests = sim_admin.counters()["requests"]
    gets = dict((key, count) for key, count in requests.items() if key.startswith("GET "))
    assert all(count == 1 for count in gets.values()), gets
    # One request per collection and none per object.
    assert sorted(gets) == ["GET /api", "GET /api/v1/cpgs", "GET /api/v1/hosts", "GET /api/v1/ports", "GET /api/v1/system",
                            "GET /api/v1/vluns", "GET /api/v1/volumes", "GET /api/v1/volumesets", "GET /api/v1/wsapiconfiguration"]
    assert sim_admin.counters()["sessions_open"] == 0


def test_pool_filter_and_query(play, inventory):
    run = play([
        info_task("pool", gather_subset=["volumes", "snapshots", "vluns"], pool="lxd-pool"),
        info_task("query", gather_subset=["volumes"], pool="lxd-pool", query="volumes[?volume_type=='virtual-machine'].name"),
        dict(info_task("missing", pool="no-such-pool"), ignore_errors=True),
        dict(info_task("foreign", pool="foreign-set"), ignore_errors=True),
    ])
    info = run["pool"]["info"]
    assert sorted(v["name"] for v in info["volumes"]) == [CONTAINER, VM_BLOCK]
    assert [s["parent"] for s in info["snapshots"]] == [CONTAINER]
    assert set(v["volume"] for v in info["vluns"]) == {VM_BLOCK}
    assert run["query"]["query_result"] == [VM_BLOCK]
    assert "pool" in run["missing"]["msg"] and "no-such-pool" in run["missing"]["msg"]
    assert "foreign-set" in run["foreign"]["msg"]


def test_default_subsets(play, inventory):
    info = play([info_task()])["info"]["info"]
    assert set(info) == {"system", "pools"}
