# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""alletra_volume in-process plays: names, sizes, grow, delete safety, check and diff."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from outcomes import assert_clean_failure

UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
VM_BLOCK = "v-5a2504b06a6c48498ee7ddb0b674fd14-b"


def volume_task(name="volume", **options):
    options.setdefault("pool", "lxd-pool")
    return {"name": name, "alletra.storage.alletra_volume": options, "register": "result"}


def by_identity(**options):
    options.setdefault("uuid", UUID)
    options.setdefault("volume_type", "virtual-machine")
    options.setdefault("content_type", "block")
    return volume_task(**options)


@pytest.fixture
def pool(play, cpg):
    run = play([{"name": "pool", "alletra.storage.alletra_pool": {"name": "lxd-pool", "cpg": cpg}}])
    assert run.failures == 0
    return "lxd-pool"


def test_create_names_the_volume_as_lxd_does_and_is_idempotent(play, array, pool, sim_admin):
    first = play([by_identity(size="700MiB")], diff=True)
    assert first.changed == 1 and first.failures == 0
    volume = first["volume"]["volume"]
    assert volume["name"] == VM_BLOCK
    assert (volume["uuid"], volume["volume_type"], volume["content_type"]) == (UUID, "virtual-machine", "block")
    assert volume["size_mib"] == 768 and volume["size"] == "768MiB"
    on_array = array.volumes()[VM_BLOCK]
    assert on_array["sizeMiB"] == 768 and on_array["userCPG"] == "SSD_r6" and on_array["snapCPG"] == "SSD_r6"
    assert on_array["provisioningType"] == 2  # thin
    assert volume["wwn"] == on_array["wwn"].upper() and volume["nguid"] == on_array["nguid"].upper()
    assert array.volume_sets()[pool]["setmembers"] == [VM_BLOCK]
    assert first["volume"]["diff"]["before"] == {}
    assert first["volume"]["diff"]["after"]["size_mib"] == 768

    assert sim_admin.counters()["sessions_open"] == 0


def test_default_size_is_10GiB(play, array, pool):
    run = play([volume_task(name="volume", uuid=UUID)])
    assert run["volume"]["volume"]["name"] == "u-5a2504b06a6c48498ee7ddb0b674fd14"
    assert array.volumes()["u-5a2504b06a6c48498ee7ddb0b674fd14"]["sizeMiB"] == 10240


def test_grow_adds_the_difference_and_shrink_is_refused(play, array, pool, sim_admin):
    play([by_identity(size="1GiB")])
    checked = play([by_identity(size="2GiB")], check=True, diff=True)
    assert checked.changed == 1
    assert checked["volume"]["diff"]["before"]["size_mib"] == 1024
    assert checked["volume"]["diff"]["after"]["size_mib"] == 2048
    assert array.volumes()[VM_BLOCK]["sizeMiB"] == 1024

    sim_admin.reset_counters()
    grown = play([by_identity(size="1.5GiB"), by_identity(name="again", size="1536MiB")])
    assert grown["volume"]["changed"] and not grown["again"]["changed"]
    assert array.volumes()[VM_BLOCK]["sizeMiB"] == 1536
    assert sim_admin.counters()["requests"]["PUT /api/v1/volumes/" + VM_BLOCK] == 1

    shrink = play([dict(by_identity(size="1GiB"), ignore_errors=True)])
    assert_clean_failure(shrink["volume"], "size", "cannot shrink", "1536MiB")
    assert array.volumes()[VM_BLOCK]["sizeMiB"] == 1536


def test_omitted_size_keeps_the_size(play, array, pool):
    play([by_identity(size="2GiB")])
    run = play([by_identity()])
    assert run.changed == 0 and run["volume"]["volume"]["size_mib"] == 2048


def test_absent_deletes_and_is_idempotent(play, array, pool):
    play([by_identity(size="1GiB")])
    checked = play([by_identity(state="absent")], check=True)
    assert checked.changed == 1 and VM_BLOCK in array.volumes()
    run = play([by_identity(state="absent")], diff=True)
    assert run.changed == 1 and run["volume"]["diff"]["before"]["name"] == VM_BLOCK
    assert VM_BLOCK not in array.volumes()
    assert array.volume_sets()[pool].get("setmembers", []) == []


def test_absent_refuses_a_volume_with_snapshots_unless_forced(play, array, pool):
    play([
        by_identity(size="1GiB"),
        {"name": "snap", "alletra.storage.alletra_snapshot": {"pool": pool, "volume": VM_BLOCK, "name": "snap0"}},
    ])
    refused = play([dict(by_identity(state="absent"), ignore_errors=True)])
    assert_clean_failure(refused["volume"], "snap0", "force")
    assert len(array.volumes()) == 2
    forced = play([by_identity(state="absent", force=True)])
    assert forced.changed == 1 and len(forced["volume"]["deleted_snapshots"]) == 1
    assert array.volumes() == {}


def test_absent_refuses_an_exported_volume_unless_forced(play, array, pool):
    play([by_identity(size="1GiB")])
    array.call("POST", "/hosts", {"name": "host01-nvme", "NQN": "nqn.2014-08.org.nvmexpress:uuid:5b71928e-0000-4000-8000-000000000001"})
    array.call("POST", "/vluns", {"volumeName": VM_BLOCK, "hostname": "host01-nvme", "lun": 0, "autoLun": True})
    refused = play([dict(by_identity(state="absent"), ignore_errors=True)])
    assert_clean_failure(refused["volume"], "exported", "host01-nvme")
    assert VM_BLOCK in array.volumes() and array.vluns()
    forced = play([by_identity(state="absent", force=True)])
    assert forced.changed == 1
    assert VM_BLOCK not in array.volumes() and array.vluns() == []
    assert [host["name"] for host in array.members("/hosts")] == ["host01-nvme"]


def test_an_export_of_the_whole_pool_counts_and_stays(play, array, pool):
    play([by_identity(size="1GiB"), by_identity(name="other", uuid="22222222-3333-4444-8555-666666666666", size="1GiB")])
    array.call("POST", "/hosts", {"name": "host01-iscsi", "iSCSINames": ["iqn.1993-08.org.debian:01:abcdef"]})
    array.call("POST", "/vluns", {"volumeName": "set:" + pool, "hostname": "host01-iscsi", "lun": 0, "autoLun": True})
    refused = play([dict(by_identity(state="absent"), ignore_errors=True)])
    assert_clean_failure(refused["volume"], "exported with its pool's volume set", "host01-iscsi", "force")
    assert VM_BLOCK in array.volumes()
    forced = play([by_identity(state="absent", force=True)])
    assert forced.changed == 1 and VM_BLOCK not in array.volumes()
    assert [vlun["volumeName"] for vlun in array.vluns() if not vlun["active"]] == ["set:" + pool]


def test_a_volume_whose_delete_fails_goes_back_into_its_pool(play, array, pool, sim_admin):
    play([by_identity(size="1GiB")])
    sim_admin.faults({"method": "DELETE", "path": "/api/v1/volumes/" + VM_BLOCK, "count": 1,
                      "status": 409, "code": 151, "desc": "volume is busy in a task"})
    run = play([dict(by_identity(state="absent"), ignore_errors=True)], rerun=False)
    assert_clean_failure(run["volume"], "delete volume", "busy", "back in pool")
    assert VM_BLOCK in array.volumes() and array.volume_sets()[pool]["setmembers"] == [VM_BLOCK]
    assert play([by_identity(state="absent")]).changed == 1 and VM_BLOCK not in array.volumes()


def test_a_volume_outside_the_pool_is_never_touched(play, array, pool, cpg):
    array.call("POST", "/volumes", {"name": "foreign", "cpg": cpg, "sizeMiB": 1024, "tpvv": True})
    run = play([
        {"name": "grow", "alletra.storage.alletra_volume": dict(pool=pool, name="foreign", size="2GiB"), "ignore_errors": True},
        {"name": "delete", "alletra.storage.alletra_volume": dict(pool=pool, name="foreign", state="absent", force=True),
         "ignore_errors": True},
    ])
    assert_clean_failure(run["grow"], "not in pool", "left alone")
    assert_clean_failure(run["delete"], "not in pool", "left alone")
    assert array.volumes()["foreign"]["sizeMiB"] == 1024


def test_compact_names_fit_31_characters(play, array, sim_admin):
    sim_admin.reset("3par")
    sim_admin.seed({"cpgs": [{"name": "FC_r1", "capacityMiB": 1024 * 1024}]})
    run = play([
        {"name": "pool", "alletra.storage.alletra_pool": {"name": "old-pool", "cpg": "FC_r1"}},
        volume_task(pool="old-pool", uuid=UUID, volume_type="virtual-machine", content_type="block", size="1GiB"),
        {"name": "info", "alletra.storage.alletra_info": {"gather_subset": ["volumes"], "pool": "old-pool"}},
    ])
    volume = run["volume"]["volume"]
    assert len(volume["name"]) <= 31 and volume["name"].startswith("v-") and volume["name"].endswith("-b")
    assert volume["uuid"] == UUID
    assert run["info"]["info"]["volumes"][0]["uuid"] == UUID
    assert list(array.volumes()) == [volume["name"]]
