"""POST /_sim/seed with ``volumes`` and ``volumesets``: many objects in one call, all or nothing."""

import os

import pytest

from sim_support import assert_error

SEED = {
    "cpgs": [{"name": "FAST", "capacityMiB": 100000}],
    "volumes": [
        {"name": "base-a", "cpg": "FAST", "sizeMiB": 2048, "comment": "alletra.storage:v1 pool=p run=seed"},
        {"name": "base-b", "cpg": "SSD_r6", "sizeMiB": 1024, "readOnly": True},
        {"name": "snap-a", "copyOf": "base-a", "comment": "alletra.storage:v1 snapshot=snap0"},
        {"name": "snap-a-a", "copyOf": "snap-a", "readOnly": True},
    ],
    "volumesets": [{"name": "p", "comment": "alletra.storage:v1 cpg=FAST naming=lxd", "setmembers": ["base-a", "base-b"]},
                   {"name": "empty"}],
}


def test_seeded_volumes_snapshots_and_sets_are_what_the_wsapi_shows(api):
    api.create_volume("made-before")
    answer = api.sim_call("POST", "seed", SEED)
    assert answer.status_code == 200, answer.text
    assert answer.json()["volumes"] == 5 and answer.json()["volumesets"] == 2

    listed = dict((volume["name"], volume) for volume in api.get("/volumes").json()["members"])
    assert sorted(listed) == ["base-a", "base-b", "made-before", "snap-a", "snap-a-a"]
    assert len(set(volume["id"] for volume in listed.values())) == 5
    base_a = api.get("/volumes/base-a").json()
    assert base_a == dict(base_a, sizeMiB=2048, userCPG="FAST", snapCPG="FAST", copyType=1, provisioningType=2,
                          readOnly=False, comment="alletra.storage:v1 pool=p run=seed")
    assert listed["base-b"]["readOnly"] is True and "comment" not in listed["base-b"]
    snap_a, snap_a_a = listed["snap-a"], listed["snap-a-a"]
    assert snap_a == dict(snap_a, copyType=3, copyOf="base-a", sizeMiB=2048, baseId=base_a["id"], readOnly=False,
                          comment="alletra.storage:v1 snapshot=snap0")
    assert (snap_a_a["copyOf"], snap_a_a["baseId"], snap_a_a["readOnly"]) == ("snap-a", base_a["id"], True)
    assert api.get("/volumes?query=\"copyOf EQ base-a\"").json()["total"] == 1

    pool = api.get("/volumesets/p").json()
    assert (pool["setmembers"], pool["comment"]) == (["base-a", "base-b"], "alletra.storage:v1 cpg=FAST naming=lxd")
    assert "setmembers" not in api.get("/volumesets/empty").json()
    state = api.state()
    assert state["volumes"]["snap-a"]["dataId"] == state["volumes"]["base-a"]["dataId"]
    assert state["volumes"]["base-b"]["dataId"] != state["volumes"]["base-a"]["dataId"]
    assert state["cpgs"]["FAST"]["provisionedMiB"] == 2048

    # Seeded objects behave as created ones: a snapshot blocks its parent's delete, a member its volume's.
    assert_error(api.delete("/volumes/base-a"), 409, 32)
    assert_error(api.delete("/volumes/base-b"), 409, 34)
    assert api.post("/volumes", {"name": "after", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True}).status_code == 201
    assert api.get("/volumes/after").json()["id"] not in [volume["id"] for volume in listed.values()]


@pytest.mark.parametrize("body, status, code, ref", [
    ({"volumes": [{"name": "ok", "cpg": "SSD_r6", "sizeMiB": 1024}, {"name": "made-before", "cpg": "SSD_r6",
                                                                      "sizeMiB": 1024}]}, 409, 22, "made-before"),
    ({"volumes": [{"name": "ok", "cpg": "SSD_r6", "sizeMiB": 1024}, {"name": "ok", "copyOf": "made-before"}]},
     409, 22, "ok"),
    ({"volumes": [{"name": "ok", "cpg": "NOPE", "sizeMiB": 1024}]}, 404, 15, "NOPE"),
    ({"volumes": [{"name": "ok", "cpg": "SSD_r6"}]}, 400, 40, "sizeMiB"),
    ({"volumes": [{"name": "ok", "cpg": "SSD_r6", "sizeMiB": 10}]}, 400, 43, "sizeMiB"),
    ({"volumes": [{"name": "ok", "copyOf": "made-before", "sizeMiB": 1024}]}, 400, 44, "copyOf,sizeMiB"),
    ({"volumes": [{"name": "ok", "copyOf": "later"}, {"name": "later", "cpg": "SSD_r6", "sizeMiB": 1024}]},
     404, 23, "later"),
    ({"volumes": [{"name": "bad name", "cpg": "SSD_r6", "sizeMiB": 1024}]}, 400, 69, "name"),
    ({"volumes": [{"name": "ok", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True}]}, 400, 12, "tpvv"),
    ({"cpgs": [{"name": "TINY", "capacityMiB": 1500}],
      "volumes": [{"name": "v%d" % number, "cpg": "TINY", "sizeMiB": 1024} for number in range(2)]}, 400, 24, "TINY"),
    ({"volumes": [{"name": "ok", "cpg": "SSD_r6", "sizeMiB": 1024}],
      "volumesets": [{"name": "set", "setmembers": ["ok", "missing"]}]}, 404, 23, "missing"),
    ({"volumes": [{"name": "ok", "cpg": "SSD_r6", "sizeMiB": 1024}],
      "volumesets": [{"name": "set", "setmembers": ["ok", "ok"]}]}, 409, 104, "ok"),
    ({"volumes": [{"name": "ok", "cpg": "SSD_r6", "sizeMiB": 1024}], "volumesets": [{"name": "taken"}]}, 400, 101, "taken"),
])
def test_a_refused_seed_stores_no_volume_and_no_set(api, body, status, code, ref):
    api.create_volume("made-before")
    assert api.post("/volumesets", {"name": "taken"}).status_code == 201
    before = api.state()
    answer = api.sim_call("POST", "seed", body)
    assert_error(answer, status, code, ref)
    after = api.state()
    assert (sorted(after["volumes"]), sorted(after["volumesets"])) == (sorted(before["volumes"]), sorted(before["volumesets"]))


def test_seeded_volumes_have_data_files_a_snapshot_a_copy_of_its_parents(make_sim, tmp_path):
    from sim_support import Api

    sim = make_sim(data_dir=str(tmp_path / "data"))
    api = Api(sim)
    try:
        assert api.sim_call("POST", "seed", SEED).status_code == 200
        state = api.state()["volumes"]
        for name in ("base-a", "snap-a", "snap-a-a"):
            assert os.path.getsize(state[name]["dataFile"]) == 2048 * 1024 * 1024
        assert os.path.getsize(state["base-b"]["dataFile"]) == 1024 * 1024 * 1024
    finally:
        api.http.close()
