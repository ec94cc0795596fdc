# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""alletra_snapshot's bulk form (volumes: [...]) in-process: snapshots of several volumes in one task,
each item as the single form, one session, failures per item, every item checked before any change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from bulk_support import refused_before_any_change, request_counts
from outcomes import assert_clean_failure, marked_name

POOL = "lxd-pool"
UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
BLOCK = "u-5a2504b06a6c48498ee7ddb0b674fd14-b"
SNAPSHOT = "alletra.storage.alletra_snapshot"


def snapshots_task(volumes, **options):
    return {"name": "snapshots", SNAPSHOT: dict(dict(pool=POOL), volumes=volumes, **options), "ignore_errors": True}


@pytest.fixture
def parents(run_module, cpg):
    """Pool lxd-pool with v1, v2 and the custom block volume of UUID; v1 has the snapshot old."""
    assert run_module("alletra_pool", dict(name=POOL, cpg=cpg))["changed"]
    volumes = [dict(name="v1"), dict(name="v2"), dict(uuid=UUID, content_type="block")]
    assert run_module("alletra_volume", dict(pool=POOL, size="1GiB", volumes=volumes))["changed"]
    assert run_module("alletra_snapshot", dict(pool=POOL, volume="v1", name="old"))["changed"]
    return POOL


def snapshots_by_parent(array):
    found = {}
    for volume in array.volumes().values():
        if volume.get("copyOf"):
            found.setdefault(volume["copyOf"], []).append(marked_name(volume))
    return dict((parent, sorted(names)) for parent, names in found.items())


def without_expiry(diff):
    return dict((side, dict((name, dict((key, value) for key, value in view.items() if key != "expires"))
                            for name, view in views.items())) for side, views in diff.items())


MIXED = [dict(volume="v1", name="nightly", expiry="1d"),             # create, its own expiry
         dict(volume="v1", name="old", state="absent"),              # delete
         dict(volume="v2"),                                          # create, the task's name
         dict(volume_uuid=UUID, content_type="block"),               # create, the parent by LXD identity
         dict(volume="v2", name="gone", state="absent")]             # absent already


def test_a_list_snapshots_and_deletes_as_the_single_form_in_one_session(play, array, parents, sim_admin):
    before = array.snapshot()
    sim_admin.reset_counters()
    checked = play([snapshots_task(MIXED, name="nightly")], check=True, diff=True)
    assert sim_admin.counters()["logins"] == 1 and array.snapshot() == before
    predicted = checked["snapshots"]

    sim_admin.reset_counters()
    run = play([snapshots_task(MIXED, name="nightly")], diff=True)
    result = run["snapshots"]
    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert sim_admin.counters()["logins"] == 2 and sim_admin.counters()["sessions_open"] == 0  # the run and its re-run
    assert [entry["changed"] for entry in result["volumes"]] == [True, True, True, True, False]
    assert [entry["changed"] for entry in predicted["volumes"]] == [True, True, True, True, False]
    assert snapshots_by_parent(array) == {"v1": ["nightly"], "v2": ["nightly"], BLOCK: ["nightly"]}
    first = result["volumes"][0]
    assert first["snapshot"]["snapshot_name"] == "nightly" and first["snapshot"]["parent"] == "v1" and first["snapshot"]["expires"]
    assert [s["snapshot_name"] for s in result["volumes"][1]["snapshots"]] == ["nightly"]
    assert sorted(result["diff"]["after"]) == ["%s/nightly" % BLOCK, "v1/nightly", "v1/old", "v2/nightly"]
    assert result["diff"]["after"]["v1/old"] == {} and result["diff"]["before"]["v1/nightly"] == {}
    # Check mode predicts what the run does, but for the expiry time the array sets at creation.
    assert without_expiry(result["diff"]) == without_expiry(predicted["diff"])
    again = play([snapshots_task(MIXED, name="nightly")], rerun=False)
    assert [entry["changed"] for entry in again["snapshots"]["volumes"]] == [False] * 5


def test_patterns_number_each_snapshot_after_the_one_before(run_module, array, parents):
    result = run_module("alletra_snapshot", dict(pool=POOL, pattern="snap%d", volumes=[dict(volume="v2"), dict(volume="v2")]))
    assert [entry["snapshot"]["snapshot_name"] for entry in result["volumes"]] == ["snap0", "snap1"]
    assert sorted(result["diff"]["after"]) == ["v2/snap0", "v2/snap1"]
    assert snapshots_by_parent(array)["v2"] == ["snap0", "snap1"]


def test_a_failed_item_is_named_while_the_others_stay_done(play, array, parents, sim_admin):
    array.call("POST", "/volumes", {"name": "foreign", "cpg": "SSD_r6", "snapCPG": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
    sim_admin.faults(method="POST", path="/api/v1/volumes/v2", count=1, status=400, code=24, desc="no space for snapshots")
    run = play([snapshots_task([dict(volume="v1"), dict(volume="foreign"), dict(volume="v2")], name="s1")], rerun=False)
    result = run["snapshots"]
    assert_clean_failure(result, "2 of 3 volumes failed", "foreign/s1: volume: 'foreign' is not a volume of pool",
                         "v2/s1: name: the snapshot CPG of 'v2' has no space")
    assert result["changed"] and [entry["failed"] for entry in result["volumes"]] == [False, True, True]
    assert list(result["diff"]["after"]) == ["v1/s1"]
    assert snapshots_by_parent(array) == {"v1": ["old", "s1"]}
    assert sim_admin.counters()["sessions_open"] == 0


BAD_ITEMS = [
    ([dict(volume="v1"), dict(volume="v2", expiry="3x")], dict(name="s1"), ["volumes[1]: expiry", "3x"]),
    ([dict(volume="v1", pattern="snap")], {}, ["volumes[0]: pattern", "%d"]),
    ([dict(volume="v1", name="my snap")], {}, ["volumes[0]: name", "my snap"]),
    ([dict(volume="v1"), dict(volume="v2", pattern="p%d", state="absent")], dict(name="s1"), ["volumes[1]: pattern"]),
    ([dict(volume="v1", name="a"), dict(volume="v2", name="b"), dict(volume="v1", name="a", expiry="1d")], {},
     ["volumes[0] and volumes[2] both name"]),
    ([dict(volume="v1")], {}, ["volumes[0]: one of the following is required: name, pattern"]),
]


def test_a_bad_item_fails_the_task_before_any_change_naming_it(play, array, parents, sim_admin):
    refused_before_any_change(play, array, sim_admin, [(snapshots_task(items, **options), words) for items, options, words in BAD_ITEMS])


def test_requests_per_item_stay_few(run_module, parents, sim_admin):
    names = ["p%02d" % number for number in range(20)]
    assert run_module("alletra_volume", dict(pool=POOL, size="256MiB", volumes=[dict(name=name) for name in names]))["changed"]
    args = dict(pool=POOL, name="snap0", volumes=[dict(volume=name) for name in names])
    created, no_op, one = request_counts(sim_admin, run_module, "alletra_snapshot", args, dict(pool=POOL, volume="p00", name="snap0"))
    # Per snapshot: the create and its read back; the parents and their snapshots read once.
    assert created["requests_total"] <= 2 * 20 + 7, created["requests"]
    # B2: a no-op of the single form takes 5 requests (the WSAPI version, login, pool, one query of the
    # parent and its snapshots, logout); 20 of them in one task take hardly more.
    assert one["requests_total"] == 5 and one["requests"]["GET /api"] == 1, one["requests"]
    assert no_op["requests_total"] <= 7, no_op["requests"]
