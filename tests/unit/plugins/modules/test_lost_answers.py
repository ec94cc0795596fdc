# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lost answers, late answers, stray volumes, unfinished copies and names, run in-process.

Each test arms a fault on the simulator's control plane, runs a module's main() and checks the
array: no copy passes for done without the data, no volume is left outside its pool.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

POOL = "lxd-pool"
SOURCE = "u-5a2504b06a6c48498ee7ddb0b674fd14-b"
DEST = "u-0c6f1d1e8a474a399d553b0c1f6a2e11-b"
COPY = dict(pool=POOL, uuid="0c6f1d1e-8a47-4a39-9d55-3b0c1f6a2e11", content_type="block", source=dict(name=SOURCE),
            copy_snapshots=True)


@pytest.fixture
def pool(run_module, sim_admin):
    sim_admin.config(task_seconds=0.05)
    sim_admin.seed({"cpgs": [{"name": "SSD_r6", "capacityMiB": 4 * 1024 * 1024}]})
    assert run_module("alletra_pool", dict(name=POOL, cpg="SSD_r6"))["changed"]
    return POOL


@pytest.fixture
def source(run_module, sim_admin, pool):
    """A 1 GiB source with snapshots snap0 and snap1, each holding other data than the volume."""
    assert run_module("alletra_volume", dict(pool=POOL, name=SOURCE, size="1GiB"))["changed"]
    for number in range(2):
        sim_admin.write(SOURCE)
        assert run_module("alletra_snapshot", dict(pool=POOL, volume=SOURCE, name="snap%d" % number))["changed"]
    sim_admin.write(SOURCE)
    return SOURCE


def volumes(sim_admin):
    return sim_admin.state()["volumes"]


def members(sim_admin, pool_name=POOL):
    return sorted(sim_admin.state()["volumesets"][pool_name].get("setmembers") or [])


def children(sim_admin, parent):
    return sorted((v for v in volumes(sim_admin).values() if v.get("copyOf") == parent and v["copyType"] == 3),
                  key=lambda v: v["comment"])


def warnings(result):
    """The text of a result's warnings (ansible-core 2.19 returns them as dicts)."""
    return " ".join(str(warning) for warning in result.get("warnings") or [])


def assert_full_copy(sim_admin):
    """The destination and each of its snapshots hold the data of the source and its snapshots."""
    state = volumes(sim_admin)
    assert state[DEST]["dataId"] == state[SOURCE]["dataId"]
    assert [s["dataId"] for s in children(sim_admin, DEST)] == [s["dataId"] for s in children(sim_admin, SOURCE)]
    assert "copy=" not in state[DEST]["comment"]
    assert DEST in members(sim_admin)


def test_lost_answer_to_add_to_pool_during_a_copy_still_copies(run_module, sim_admin, source):
    sim_admin.faults(method="PUT", path="/api/v1/volumesets/" + POOL, lose_answer=True)
    result = run_module("alletra_volume", COPY)
    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert_full_copy(sim_admin)


def unfinished_copy(run_module, sim_admin):
    """A copy whose last step and whose undo both failed: the destination is left marked unfinished."""
    sim_admin.faults(method="POST", path="/api/v1/volumes/" + SOURCE, status=500, code=1)
    sim_admin.faults(method="DELETE", path="/api/v1/volumes/" + DEST, status=500, code=1, count=5)
    failed = run_module("alletra_volume", COPY)
    assert failed["failed"] and "undo could not delete" in failed["msg"]
    sim_admin.clear_faults()
    assert "copy=" + SOURCE in volumes(sim_admin)[DEST]["comment"]
    assert DEST in members(sim_admin)


def test_an_unfinished_copy_is_finished_by_the_next_run_not_accepted(run_module, sim_admin, source):
    unfinished_copy(run_module, sim_admin)
    assert volumes(sim_admin)[DEST]["dataId"] != volumes(sim_admin)[SOURCE]["dataId"]
    finished = run_module("alletra_volume", COPY)
    assert finished["changed"] and not finished.get("failed"), finished.get("msg")
    assert finished["diff"]["before"]["copy_pending"] == SOURCE and finished["diff"]["after"]["copy_pending"] is None
    assert_full_copy(sim_admin)
    again = run_module("alletra_volume", COPY)
    assert not again["changed"] and "nothing was copied" in warnings(again)


def test_an_unfinished_copy_is_not_taken_for_a_volume(run_module, sim_admin, source):
    unfinished_copy(run_module, sim_admin)
    plain = run_module("alletra_volume", dict(pool=POOL, name=DEST))
    assert plain["failed"] and "unfinished copy of %r" % SOURCE in plain["msg"] and "state: absent" in plain["msg"]
    other = run_module("alletra_volume", dict(COPY, source=dict(name="other-source"), copy_snapshots=False))
    assert other["failed"] and "unfinished copy" in other["msg"]
    assert run_module("alletra_volume", dict(pool=POOL, name=DEST, state="absent", force=True))["changed"]
    assert DEST not in volumes(sim_admin)


@pytest.mark.parametrize("fault", [dict(lose_answer=True), dict(late_ms=1500)])
def test_a_create_whose_answer_is_lost_or_late_is_this_runs(run_module, sim_admin, pool, fault):
    sim_admin.faults(dict(fault, method="POST", path="/api/v1/volumes"))
    result = run_module("alletra_volume", dict(pool=POOL, name="vol1", size="1GiB", timeout=1))
    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert members(sim_admin) == ["vol1"] and volumes(sim_admin)["vol1"]["sizeMiB"] == 1024


def test_a_stray_volume_of_the_pool_is_taken_back_and_a_foreign_one_left_alone(run_module, sim_admin, pool, sim):
    from ansible_collections.alletra.storage.plugins.module_utils.wsapi import WsapiClient

    with WsapiClient(sim.url, sim.user, sim.password, ca_path=sim.ca_path) as client:
        for name, comment in (("stray", "alletra.storage:v1 pool=%s run=0123456789ab" % POOL), ("foreign", "")):
            client.request("POST", "/volumes", {"name": name, "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True, "comment": comment})
    checked = run_module("alletra_volume", dict(pool=POOL, name="stray"), check=True)
    assert checked["changed"] and members(sim_admin) == []
    adopted = run_module("alletra_volume", dict(pool=POOL, name="stray"))
    assert adopted["changed"] and adopted["diff"]["before"] == {} and members(sim_admin) == ["stray"]
    foreign = run_module("alletra_volume", dict(pool=POOL, name="foreign"))
    assert foreign["failed"] and "not in pool" in foreign["msg"]
    assert members(sim_admin) == ["stray"] and "foreign" in volumes(sim_admin)


def test_a_stray_volume_goes_with_its_pool(run_module, sim_admin, pool, sim):
    from ansible_collections.alletra.storage.plugins.module_utils.wsapi import WsapiClient

    with WsapiClient(sim.url, sim.user, sim.password, ca_path=sim.ca_path) as client:
        client.request("POST", "/volumes", {"name": "stray", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True,
                                            "comment": "alletra.storage:v1 pool=%s run=0123456789ab" % POOL})
    refused = run_module("alletra_pool", dict(name=POOL, state="absent"))
    assert refused["failed"] and "stray" in refused["msg"]
    deleted = run_module("alletra_pool", dict(name=POOL, state="absent", force=True))
    assert deleted["changed"] and deleted["deleted_volumes"] == ["stray"]
    assert volumes(sim_admin) == {} and sim_admin.state()["volumesets"] == {}


def test_lost_answer_to_remove_from_pool_still_deletes(run_module, sim_admin, pool):
    run_module("alletra_volume", dict(pool=POOL, name="vol1", size="1GiB"))
    sim_admin.faults(method="PUT", path="/api/v1/volumesets/" + POOL, lose_answer=True)
    result = run_module("alletra_volume", dict(pool=POOL, name="vol1", state="absent"))
    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert volumes(sim_admin) == {} and members(sim_admin) == []


def test_a_refused_delete_leaves_the_volume_in_its_pool(run_module, sim_admin, pool):
    run_module("alletra_volume", dict(pool=POOL, name="vol1", size="1GiB"))
    sim_admin.faults(method="DELETE", path="/api/v1/volumes/vol1", status=500, code=1)
    result = run_module("alletra_volume", dict(pool=POOL, name="vol1", state="absent"))
    assert result["failed"] and "back in pool" in result["msg"] and result["failed_step"] == "delete volume vol1"
    assert members(sim_admin) == ["vol1"]


@pytest.mark.parametrize("step", ["snapshot", "copy"])
def test_lost_answers_inside_a_copy_are_settled(run_module, sim_admin, source, step):
    path = "/api/v1/volumes/" + (DEST if step == "snapshot" else SOURCE + "*")
    sim_admin.faults(method="POST", path=path, lose_answer=True)
    result = run_module("alletra_volume", COPY)
    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert_full_copy(sim_admin)


def test_task_polls_that_fail_for_a_while_are_waited_out(run_module, sim_admin, source):
    sim_admin.faults(method="GET", path="/api/v1/tasks/*", status=500, code=1, count=3)
    result = run_module("alletra_volume", COPY)
    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert_full_copy(sim_admin)


def test_undo_of_a_copy_stops_its_task_and_deletes_its_snapshots(run_module, sim_admin, source):
    sim_admin.config(task_seconds=30)
    sim_admin.faults(method="GET", path="/api/v1/tasks/*", status=500, code=1, count=50)
    result = run_module("alletra_volume", COPY)
    assert result["failed"] and "was deleted again" in result["msg"], result["msg"]
    assert sorted(volumes(sim_admin)) == sorted([SOURCE] + [s["name"] for s in children(sim_admin, SOURCE)])
    assert members(sim_admin) == [SOURCE]
    assert not [task for task in sim_admin.state()["tasks"] if task["status"] == 2]


@pytest.mark.parametrize("module, args, field", [
    ("alletra_pool", dict(name="pool\n", cpg="SSD_r6"), "name"),
    ("alletra_pool", dict(name="..", cpg="SSD_r6"), "name"),
    ("alletra_pool", dict(name="a/b", cpg="SSD_r6"), "name"),
    ("alletra_volume", dict(pool=".", name="vol1"), "pool"),
    ("alletra_volume", dict(pool="a?b", name="vol1"), "pool"),
    ("alletra_volume", dict(pool=POOL, name="vol1\n"), "name"),
    ("alletra_volume", dict(pool=POOL, name=".."), "name"),
    ("alletra_volume", dict(pool=POOL, name="a#b"), "name"),
    ("alletra_volume", dict(pool=POOL, name=""), "name"),
    ("alletra_volume", dict(pool=POOL, name="copy", source=dict(pool="p/q", name="vol1")), "source.pool"),
    ("alletra_volume", dict(pool=POOL, name="copy", source=dict(name="v?1")), "source"),
    ("alletra_snapshot", dict(pool="x#y", volume="vol1", name="snap0"), "pool"),
    ("alletra_snapshot", dict(pool=POOL, volume="a/b", name="snap0"), "volume"),
])
def test_bad_names_fail_before_any_request(run_module, sim_admin, module, args, field):
    result = run_module(module, args)
    assert result["failed"] and result["msg"].startswith(field + ":"), result["msg"]
    assert "None" not in result["msg"]
    assert sim_admin.counters()["requests_total"] == 0


def test_a_snapshot_given_to_alletra_volume_is_named_as_one(run_module, sim_admin, source):
    snapshot = children(sim_admin, SOURCE)[0]["name"]
    result = run_module("alletra_volume", dict(pool=POOL, name=snapshot))
    assert result["failed"] and "is a snapshot; manage it with alletra.storage.alletra_snapshot" in result["msg"]


def test_a_copy_onto_an_existing_volume_warns_that_nothing_was_copied(run_module, sim_admin, source):
    run_module("alletra_volume", dict(pool=POOL, name="dest", size="1GiB"))
    before = volumes(sim_admin)["dest"]["dataId"]
    result = run_module("alletra_volume", dict(pool=POOL, name="dest", source=dict(name=SOURCE)))
    assert not result["changed"] and not result.get("failed")
    assert "nothing was copied" in warnings(result)
    assert volumes(sim_admin)["dest"]["dataId"] == before
