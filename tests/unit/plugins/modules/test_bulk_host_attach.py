# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""alletra_host_attach's bulk form (volumes: [...]) in-process: several volumes for one host in one task,
the host entity made once and deleted with the last export, failures per item, the emulated fabric."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import os

import pytest

from bulk_support import counted, refused_before_any_change, request_counts
from outcomes import assert_clean_failure

POOL = "lxd-pool"
NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10"
FABRIC_NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-0000-4000-8000-00000000b001"
UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
ARRAY_SIDE = dict(pool=POOL, host_name="host01", nqn=NQN, connect=False)
ATTACH = "alletra.storage.alletra_host_attach"
ITEMS = [dict(name="vol1"), dict(name="vol2"), dict(name="vol3")]


def attach_task(volumes, **options):
    return {"name": "attach", ATTACH: dict(ARRAY_SIDE, volumes=volumes, **options), "ignore_errors": True}


@pytest.fixture
def volumes(run_module, sim_admin, cpg):
    """Pool lxd-pool with vol1, vol2 and vol3 (256 MiB each)."""
    sim_admin.config(task_seconds=0.05)
    assert run_module("alletra_pool", dict(name=POOL, cpg=cpg))["changed"]
    assert run_module("alletra_volume", dict(pool=POOL, size="256MiB", volumes=ITEMS))["changed"]
    return POOL


def rules(array):
    """The export rules (templates) as (volume, host), sorted."""
    return sorted((vlun["volumeName"], vlun.get("hostname")) for vlun in array.vluns() if not vlun.get("active"))


def test_a_list_exports_to_one_entity_and_the_last_detach_deletes_it(play, run_module, array, volumes, sim_admin):
    assert run_module("alletra_host_attach", dict(ARRAY_SIDE, name="vol2"))["changed"]
    before = array.snapshot()
    checked = play([attach_task(ITEMS)], check=True, diff=True)["attach"]
    assert array.snapshot() == before
    sim_admin.reset_counters()
    run = play([attach_task(ITEMS)], diff=True)
    result = run["attach"]
    assert not result.get("failed"), result.get("msg")
    assert sim_admin.counters()["logins"] == 2 and sim_admin.counters()["requests"].get("POST /api/v1/hosts") is None
    assert [entry["changed"] for entry in result["volumes"]] == [entry["changed"] for entry in checked["volumes"]] == [True, False, True]
    assert rules(array) == [("vol1", "host01-nvme"), ("vol2", "host01-nvme"), ("vol3", "host01-nvme")]
    assert [entry["host_entity"] for entry in result["volumes"]] == ["host01-nvme"] * 3
    luns = [entry["lun"] for entry in result["volumes"]]
    assert len(set(luns)) == 3 and all(entry["targets"] for entry in result["volumes"])
    assert sorted(result["diff"]["after"]) == ["vol1", "vol3"] and result["diff"]["before"]["vol1"]["exported"] is False
    assert [view["host_entity"] for view in checked["diff"]["after"].values()] == ["host01-nvme"] * 2

    checked = play([attach_task(ITEMS, state="absent")], check=True, diff=True)["attach"]
    assert rules(array) != []
    gone = play([attach_task(ITEMS, state="absent")], diff=True)["attach"]
    assert [entry["changed"] for entry in gone["volumes"]] == [True] * 3
    # Only the detach of the last export deletes the entity; check mode predicts as much.
    for result in (checked, gone):
        assert [result["diff"]["after"][name]["host_entity"] for name in ("vol1", "vol2", "vol3")] == ["host01-nvme", "host01-nvme", None]
    assert rules(array) == [] and array.members("/hosts") == []


def test_a_failed_item_is_undone_and_named_while_the_others_stay_done(play, array, volumes, sim_admin):
    # vol1's export fails after its run created the host entity: the entity goes again, and vol3 makes it anew.
    sim_admin.faults(method="POST", path="/api/v1/vluns", count=1, status=409, code=18, desc="LUN already exists")
    run = play([attach_task([dict(name="vol1"), dict(name="nosuch"), dict(name="vol3")])], rerun=False)
    result = run["attach"]
    assert_clean_failure(result, "2 of 3 volumes failed", "vol1: attaching vol1 stopped at step 'export vol1 to host01-nvme'",
                         "deleted again (host entity host01-nvme)", "nosuch: name: pool 'lxd-pool' has no volume 'nosuch'")
    assert result["changed"] and [entry["failed"] for entry in result["volumes"]] == [True, True, False]
    assert result["volumes"][0]["failed_step"] == "export vol1 to host01-nvme" and list(result["diff"]["after"]) == ["vol3"]
    assert rules(array) == [("vol3", "host01-nvme")]
    assert sim_admin.counters()["requests"]["POST /api/v1/hosts"] == 2 and sim_admin.counters()["sessions_open"] == 0


def test_an_entity_deleted_under_the_run_is_looked_up_again_for_the_next_volume(run_module, array, volumes, monkeypatch):
    module = importlib.import_module("ansible_collections.alletra.storage.plugins.modules.alletra_host_attach")
    real_ensure_vlun = module.ensure_vlun

    def after_a_parallel_detach(client, volume_name, host_entity):
        if volume_name == "vol2":
            # Another run detaches vol1, the entity's last export, and deletes the entity this run found.
            monkeypatch.setattr(module, "ensure_vlun", real_ensure_vlun)
            rule = [vlun for vlun in array.vluns() if vlun["volumeName"] == "vol1" and not vlun["active"]][0]
            array.call("DELETE", "/vluns/vol1,%d,host01-nvme" % rule["lun"])
            array.call("DELETE", "/hosts/host01-nvme")
        return real_ensure_vlun(client, volume_name, host_entity)

    monkeypatch.setattr(module, "ensure_vlun", after_a_parallel_detach)
    result = run_module("alletra_host_attach", dict(ARRAY_SIDE, volumes=ITEMS))
    assert not result.get("failed"), result.get("msg")
    assert rules(array) == [("vol2", "host01-nvme"), ("vol3", "host01-nvme")]


def test_a_bad_item_fails_the_task_before_any_change_naming_it(play, array, volumes, sim_admin):
    refused_before_any_change(play, array, sim_admin, [
        (attach_task([dict(name="vol1"), dict(uuid="not-a-uuid")]), ["volumes[1]: uuid", "not-a-uuid"]),
        (attach_task([dict(name="vol1"), dict(name="vol2"), dict(name="vol1")]), ["volumes[0] and volumes[2] both name vol1"]),
        (attach_task([dict(uuid=UUID), dict(name="u-5a2504b06a6c48498ee7ddb0b674fd14")]), ["volumes[0] and volumes[1] both name"]),
        (attach_task([dict(name="vol1", state="absent")]), ["volumes[0]: state: not an option of an item"])])


def test_requests_per_item_stay_few(run_module, volumes, sim_admin):
    names = ["a%02d" % number for number in range(20)]
    assert run_module("alletra_volume", dict(pool=POOL, size="256MiB", volumes=[dict(name=name) for name in names]))["changed"]
    args = dict(ARRAY_SIDE, volumes=[dict(name=name) for name in names])
    attached, no_op, one = request_counts(sim_admin, run_module, "alletra_host_attach", args, dict(ARRAY_SIDE, name="a00"))
    # One entity, made once; per export: the check, the create and the read back of its LUN.
    assert attached["requests"]["POST /api/v1/hosts"] == 1 and attached["requests"]["GET /api/v1/ports"] == 1
    assert attached["requests_total"] <= 3 * 20 + 13, attached["requests"]
    # B2: a no-op of the single form reads the vLUNs once, and no host: a live path of the export
    # names the initiator's entity. The ports stay: the result's targets come from them.
    assert one["requests"].get("GET /api/v1/hosts") is None and one["requests"]["GET /api/v1/vluns"] == 1, one["requests"]
    # 7 with the WSAPI version read before the login.
    assert one["requests_total"] == 7 and one["requests"]["GET /api"] == 1, one["requests"]
    assert no_op["requests_total"] <= 9, no_op["requests"]
    detached, counters = counted(sim_admin, lambda: run_module("alletra_host_attach", dict(args, state="absent")))
    assert detached["changed"] and counters["requests"]["DELETE /api/v1/hosts/host01-nvme"] == 1
    assert counters["requests_total"] <= 20 + 11, counters["requests"]


def test_with_the_fabric_a_list_gives_a_device_each_and_its_detach_removes_them(run_module, sim_admin, fabric, volumes, monkeypatch):
    monkeypatch.setenv("ALLETRA_FABRIC_NQN", FABRIC_NQN)
    args = dict(pool=POOL, host_name="host01", mode="nvme", device_timeout=10, volumes=ITEMS)
    attached = run_module("alletra_host_attach", args)
    assert attached["changed"] and not attached.get("failed"), attached.get("msg")
    devices = [entry["device"] for entry in attached["volumes"]]
    assert len(set(devices)) == 3 and all(os.path.exists(device) for device in devices)
    assert [os.path.realpath(entry["by_id"]) for entry in attached["volumes"]] == [os.path.realpath(device) for device in devices]
    detached = run_module("alletra_host_attach", dict(args, state="absent"))
    assert detached["changed"] and not detached.get("failed"), detached.get("msg")
    assert not any(os.path.exists(entry["by_id"]) for entry in attached["volumes"])
    assert sim_admin.state()["hosts"] == {}
