# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""alletra_volume's bulk form (volumes: [...]) in-process: each item as the single form, one session,
per-item failures undone and reported, every item checked before any change, few requests per item."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from bulk_support import counted, refused_before_any_change, request_counts
from outcomes import assert_clean_failure

POOL = "lxd-pool"
UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
BLOCK = "u-5a2504b06a6c48498ee7ddb0b674fd14-b"
VOLUME = "alletra.storage.alletra_volume"


def volumes_task(volumes, task_name="volumes", **options):
    return {"name": task_name, VOLUME: dict(dict(pool=POOL, size="1GiB"), volumes=volumes, **options), "ignore_errors": True}


@pytest.fixture
def pool(run_module, cpg):
    """Pool lxd-pool with v1 and v2 (1 GiB each) and, outside it, the volume foreign."""
    assert run_module("alletra_pool", dict(name=POOL, cpg=cpg))["changed"]
    assert run_module("alletra_volume", dict(pool=POOL, volumes=[dict(name="v1"), dict(name="v2")], size="1GiB"))["changed"]
    return POOL


def sizes(array):
    return dict((name, volume["sizeMiB"]) for name, volume in array.volumes().items())


MIXED = [dict(name="v1", size="2GiB"),                                   # grow
         dict(name="v2", state="absent"),                                # delete
         dict(name="v3"),                                                # create, the task's size
         dict(uuid=UUID, content_type="block", size="512MiB"),           # create by LXD identity
         dict(name="v4", state="absent")]                                # absent already


def test_a_list_grows_deletes_and_creates_as_the_single_form_in_one_session(play, array, pool, sim_admin):
    before = array.snapshot()
    sim_admin.reset_counters()
    checked = play([volumes_task(MIXED)], check=True, diff=True)
    assert sim_admin.counters()["logins"] == 1 and array.snapshot() == before
    predicted = checked["volumes"]
    assert [entry["changed"] for entry in predicted["volumes"]] == [True, True, True, True, False]

    sim_admin.reset_counters()
    run = play([volumes_task(MIXED)], diff=True)
    result = run["volumes"]
    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert sim_admin.counters()["logins"] == 2 and sim_admin.counters()["sessions_open"] == 0  # the run and its re-run
    assert [entry["changed"] for entry in result["volumes"]] == [True, True, True, True, False]
    assert [entry["failed"] for entry in result["volumes"]] == [False] * 5
    assert [entry["item"] for entry in result["volumes"]] == MIXED
    assert sizes(array) == {"v1": 2048, "v3": 1024, BLOCK: 512}
    assert sorted(array.volume_sets()[POOL]["setmembers"]) == sorted(["v1", "v3", BLOCK])
    # Each entry is the single form's result; the diff holds the changed volumes by name.
    assert result["volumes"][0]["volume"]["size_mib"] == 2048 and result["volumes"][1]["volume"] == {}
    assert result["volumes"][3]["volume"]["uuid"] == UUID and result["volumes"][3]["volume"]["wwn"]
    assert sorted(result["diff"]["after"]) == sorted(["v1", "v2", "v3", BLOCK])
    assert result["diff"]["before"]["v1"]["size_mib"] == 1024 and result["diff"]["after"]["v2"] == {}
    assert result["diff"] == predicted["diff"]
    # ``play`` ran it again: no item changed (per item, changed false).
    again = play([volumes_task(MIXED)], rerun=False)
    assert [entry["changed"] for entry in again["volumes"]["volumes"]] == [False] * 5


def test_a_failed_item_is_undone_and_named_while_the_others_stay_done(play, array, pool, sim_admin):
    array.call("POST", "/volumes", {"name": "foreign", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
    # The second add to the pool (v6's) fails: v6, created just before, is deleted again.
    sim_admin.faults(method="PUT", path="/api/v1/volumesets/" + POOL, count=1, skip=1, status=400, code=12, desc="refused")
    items = [dict(name="v5"), dict(name="foreign", size="2GiB"), dict(name="huge", size="8TiB"), dict(name="v6"),
             dict(name="v1", size="3GiB")]
    run = play([volumes_task(items)], rerun=False)
    result = run["volumes"]
    assert_clean_failure(result, "3 of 5 volumes failed", "foreign: ", "not in pool", "huge: size:", "no space",
                         "v6: adding v6 to pool lxd-pool failed", "deleted again (v6)")
    assert result["changed"] and [entry["failed"] for entry in result["volumes"]] == [False, True, True, True, False]
    assert result["volumes"][1]["msg"].startswith("name: volume 'foreign' exists") and result["volumes"][3]["failed_step"]
    assert sorted(result["diff"]["after"]) == ["v1", "v5"]
    assert sizes(array) == {"v1": 3072, "v2": 1024, "v5": 1024, "foreign": 1024}
    assert sorted(array.volume_sets()[POOL]["setmembers"]) == ["v1", "v2", "v5"]
    assert sim_admin.counters()["sessions_open"] == 0


BAD_ITEMS = [
    ([dict(name="v5"), dict(name="v6"), dict(name="v7", size="10XB")], {}, ["volumes[2]: size:", "10XB"]),
    ([dict(name="v5"), dict(uuid="not-a-uuid")], {}, ["volumes[1]: uuid", "not-a-uuid"]),
    ([dict(name="v5"), dict(name="bad name!")], {}, ["volumes[1]: name", "bad name!"]),
    ([dict(name="v5"), dict(name="v1", uuid=UUID)], {}, ["volumes[1]: parameters are mutually exclusive: name|uuid"]),
    ([dict(name="v5"), dict(name="v6", copy_snapshots=True)], {}, ["volumes[1]:", "copy_snapshots", "source"]),
    ([dict(uuid=UUID, content_type="block"), dict(name=BLOCK)], {}, ["volumes[0] and volumes[1] both name " + BLOCK]),
    ([dict(name="v5", source=dict(name="v2")), dict(name="v2", state="absent")], {},
     ["volumes[0]: source: volume 'v2' is deleted by volumes[1]"]),
    ([dict(name="v5")], dict(name="v6"), ["mutually exclusive", "name|volumes"]),
    ([dict(name="v5"), dict(name="v6", state="gone")], {}, ["volumes[1]: value of state must be one of: present, absent, got: gone"]),
    ([dict(name="v5"), dict(name="v6", pool="other")], {}, ["volumes[1]: pool: not an option of an item"]),
]


def test_a_bad_item_fails_the_task_before_any_change_naming_it(play, array, pool, sim_admin):
    refused_before_any_change(play, array, sim_admin, [(volumes_task(items, **options), words) for items, options, words in BAD_ITEMS])


def test_an_item_takes_its_own_options_over_the_tasks(run_module, array, pool):
    # size and state are the task's defaults; an item's own replace them, the others keep them.
    result = run_module("alletra_volume", dict(pool=POOL, size="2GiB", state="present",
                                               volumes=[dict(name="v5"), dict(name="v6", size="768MiB"), dict(name="v2", state="absent")]))
    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert sizes(array) == {"v1": 1024, "v5": 2048, "v6": 768}
    assert run_module("alletra_volume", dict(pool=POOL, volumes=[]))["volumes"] == []


def test_an_item_that_loses_a_create_race_is_read_again_and_settled_alone(run_module, array, pool, sim_admin):
    # The array answers v6's create "already exists", as when another run made it first: v6 alone is
    # read again and compared (here: made), the items before it are not run again.
    sim_admin.reset_counters()
    sim_admin.faults(method="POST", path="/api/v1/volumes", count=1, skip=1, status=409, code=22, desc="volume exists")
    result = run_module("alletra_volume", dict(pool=POOL, size="1GiB", volumes=[dict(name="v5"), dict(name="v6"), dict(name="v1")]))
    assert [entry["changed"] for entry in result["volumes"]] == [True, True, False] and not result.get("failed")
    assert sim_admin.counters()["requests"]["POST /api/v1/volumes"] == 3 and sorted(sizes(array)) == ["v1", "v2", "v5", "v6"]


def test_requests_per_item_stay_few(run_module, pool, sim_admin):
    args = dict(pool=POOL, size="256MiB", volumes=[dict(name="b%02d" % number) for number in range(20)])
    created, no_op, one = request_counts(sim_admin, run_module, "alletra_volume", args, dict(pool=POOL, name="b00", size="256MiB"))
    # Per created volume: the create, the add to the pool and the read back; the reads before, once.
    assert created["requests_total"] <= 3 * 20 + 6, created["requests"]
    # B2: a no-op of the single form takes 5 requests (the WSAPI version, login, pool, one query of the
    # volume and its snapshots, logout); 20 volumes in one task take hardly more than one.
    assert one["requests_total"] == 5 and one["requests"]["GET /api"] == 1, one["requests"]
    assert no_op["requests_total"] <= 6, no_op["requests"]
    deleted, counters = counted(sim_admin, lambda: run_module("alletra_volume", dict(args, state="absent")))
    # Per deleted volume: out of the pool and the delete; every volume and the exports read once.
    assert deleted["changed"] and counters["requests_total"] <= 2 * 20 + 8, counters["requests"]
