# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""alletra_pool in-process plays, asserting on the simulated array."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from outcomes import assert_clean_failure


def pool_task(name="pool", **options):
    options.setdefault("name", "lxd-pool")
    return {"name": name, "alletra.storage.alletra_pool": options, "register": "result"}


def test_create_is_idempotent_and_marks_the_set(play, array, cpg, sim_admin):
    first = play([pool_task(cpg=cpg)], diff=True)
    assert first.failures == 0 and first.changed == 1
    result = first["pool"]
    assert result["pool"]["name"] == "lxd-pool" and result["pool"]["cpg"] == cpg
    assert result["pool"]["naming"] == "lxd"  # the default persona is Alletra MP (OS 10.x)
    assert result["pool"]["members"] == [] and result["pool"]["capacity"]["usable_free_mib"] > 0
    assert result["diff"] == {"before": {}, "after": {"name": "lxd-pool", "cpg": cpg, "naming": "lxd", "members": [], "volume_count": 0}}
    volume_set = array.volume_sets()["lxd-pool"]
    assert volume_set["comment"] == "alletra.storage:v1 cpg=%s naming=lxd" % cpg
    assert sim_admin.counters()["sessions_open"] == 0


def test_check_mode_creates_nothing(play, array, cpg):
    run = play([pool_task(cpg=cpg)], check=True, diff=True)
    assert run.changed == 1
    assert run["pool"]["diff"]["after"]["cpg"] == cpg
    assert "lxd-pool" not in array.volume_sets()


def test_compact_naming_on_arrays_limited_to_31_characters(play, sim_admin, array):
    sim_admin.reset("primera")
    sim_admin.seed({"cpgs": [{"name": "FC_r6", "capacityMiB": 1024 * 1024}]})
    run = play([pool_task(cpg="FC_r6")])
    assert run["pool"]["pool"]["naming"] == "compact"
    assert array.volume_sets()["lxd-pool"]["comment"].endswith("naming=compact")


def test_unknown_cpg_names_the_field_and_creates_nothing(play, array, cpg):
    run = play([dict(pool_task(cpg="NO_SUCH_CPG"), ignore_errors=True)])
    assert_clean_failure(run["pool"], "cpg", "NO_SUCH_CPG", cpg)
    assert array.volume_sets() == {}


def test_a_foreign_volume_set_is_never_adopted_or_deleted(play, array, cpg):
    array.call("POST", "/volumesets", {"name": "lxd-pool", "comment": "made by someone else"})
    run = play([
        dict(pool_task("adopt", cpg=cpg), ignore_errors=True),
        dict(pool_task("delete", state="absent", force=True), ignore_errors=True),
    ])
    assert_clean_failure(run["adopt"], "not created by alletra.storage")
    assert_clean_failure(run["delete"], "not created by alletra.storage")
    assert array.volume_sets()["lxd-pool"]["comment"] == "made by someone else"


def test_absent_refuses_a_pool_with_volumes_unless_forced(play, array, cpg):
    play([
        pool_task(cpg=cpg),
        {"name": "volume", "alletra.storage.alletra_volume": {"pool": "lxd-pool", "name": "vol1", "size": "1GiB"}},
        {"name": "snapshot", "alletra.storage.alletra_snapshot": {"pool": "lxd-pool", "volume": "vol1", "name": "snap0"}},
    ])
    refused = play([dict(pool_task(state="absent"), ignore_errors=True)])
    assert_clean_failure(refused["pool"], "still has 1 volume", "vol1", "force")
    assert "vol1" in array.volumes() and "lxd-pool" in array.volume_sets()

    checked = play([pool_task(state="absent", force=True)], check=True)
    assert checked.changed == 1 and len(checked["pool"]["deleted_volumes"]) == 2
    assert "vol1" in array.volumes()

    forced = play([pool_task(state="absent", force=True)], diff=True)
    assert forced.changed == 1
    assert forced["pool"]["deleted_volumes"][-1] == "vol1"
    assert forced["pool"]["diff"]["after"] == {}
    assert array.volumes() == {} and array.volume_sets() == {}


def test_absent_removes_an_export_of_the_whole_pool_only_when_forced(play, array, cpg):
    play([pool_task(cpg=cpg),
          {"name": "volume", "alletra.storage.alletra_volume": {"pool": "lxd-pool", "name": "vol1", "size": "1GiB"}}])
    array.call("POST", "/hosts", {"name": "host01-iscsi", "iSCSINames": ["iqn.1993-08.org.debian:01:abcdef"]})
    array.call("POST", "/vluns", {"volumeName": "set:lxd-pool", "hostname": "host01-iscsi", "lun": 0, "autoLun": True})
    refused = play([dict(pool_task(state="absent", force=False), ignore_errors=True)])
    assert_clean_failure(refused["pool"], "exported as a volume set", "host01-iscsi", "force")
    assert array.vluns() and "lxd-pool" in array.volume_sets()
    forced = play([pool_task(state="absent", force=True)])
    assert forced.changed == 1 and forced["pool"]["deleted_volumes"] == ["vol1"]
    assert array.vluns() == [] and array.volume_sets() == {} and array.volumes() == {}
    assert [host["name"] for host in array.members("/hosts")] == ["host01-iscsi"]


def test_cpg_of_an_empty_pool_can_move_but_not_of_a_full_one(play, array, cpg, sim_admin):
    sim_admin.seed({"cpgs": [{"name": "NL_r6", "capacityMiB": 1024 * 1024}]})
    run = play([pool_task("create", cpg=cpg), pool_task("move", cpg="NL_r6")], rerun=False)
    assert run["move"]["changed"] and run["move"]["pool"]["cpg"] == "NL_r6"
    assert array.volume_sets()["lxd-pool"]["comment"] == "alletra.storage:v1 cpg=NL_r6 naming=lxd"
    run = play([
        {"name": "volume", "alletra.storage.alletra_volume": {"pool": "lxd-pool", "name": "vol1"}},
        dict(pool_task("move back", cpg=cpg), ignore_errors=True),
    ])
    assert array.volumes()["vol1"]["userCPG"] == "NL_r6"
    assert_clean_failure(run["move back"], "cpg", "NL_r6")
