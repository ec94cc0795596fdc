"""Volumes: create, read, query, modify, grow, delete, metadata, names, personas, capacity."""

from urllib.parse import quote

import pytest

from sim_support import Api, assert_error

LXD_NAME = "v-5a2504b06a6c48498ee7ddb0b674fd14-b"     # 36 characters


def test_create_and_read_back_all_fields(api):
    resp = api.create_volume("vol1", 2048, comment="hello", expirationHours=2, retentionHours=1,
                             objectKeyValues=[{"key": "owner", "value": "ansible"}])
    assert resp.headers["Location"] == "/api/v1/volumes/vol1"
    vol = api.get("/volumes/vol1").json()
    for field in ("id", "uuid", "name", "wwn", "nguid", "sizeMiB", "userCPG", "snapCPG", "provisioningType",
                  "copyType", "baseId", "readOnly", "state", "comment", "policies", "creationTime8601",
                  "creationTimeSec", "expirationTime8601", "expirationTimeSec", "retentionTime8601",
                  "totalUsedMiB", "userSpace", "snapshotSpace", "adminSpace"):
        assert field in vol, field
    assert vol["sizeMiB"] == 2048 and vol["userCPG"] == "SSD_r6" and vol["snapCPG"] == "SSD_r6"
    assert vol["copyType"] == 1 and vol["provisioningType"] == 2 and vol["readOnly"] is False
    assert vol["baseId"] == vol["id"] and vol["comment"] == "hello"
    assert len(vol["wwn"]) == 32 and len(vol["nguid"]) == 32 and "copyOf" not in vol
    assert vol["expirationTimeSec"] - vol["creationTimeSec"] == 7200
    assert api.get("/volumes/vol1/objectKeyValues").json() == {"total": 1, "members": [
        {"key": "owner", "value": "ansible"}]}
    listing = api.get("/volumes").json()
    assert listing["total"] == 1 and listing["members"][0]["name"] == "vol1"


def test_create_errors(api):
    api.create_volume("vol1")
    assert_error(api.post("/volumes", {"name": "vol1", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True}), 409, 22)
    assert_error(api.post("/volumes", {"name": "v2", "cpg": "nope", "sizeMiB": 1024, "tpvv": True}), 404, 15)
    assert_error(api.post("/volumes", {"name": "v2", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True,
                                       "snapCPG": "nope"}), 404, 15)
    assert_error(api.post("/volumes", {"name": "v2", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True,
                                       "bogus": 1}), 400, 12, "bogus")
    assert_error(api.post("/volumes", {"name": "v2", "cpg": "SSD_r6", "tpvv": True}), 400, 40, "sizeMiB")
    assert_error(api.post("/volumes", {"name": "v2", "cpg": "SSD_r6", "sizeMiB": "1G", "tpvv": True}),
                 400, 39, "sizeMiB")
    assert_error(api.post("/volumes", {"name": "bad name", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True}),
                 400, 69)
    assert_error(api.post("/volumes", {"name": "-lead", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True}), 400, 69)
    assert_error(api.post("/volumes", {"name": "v" * 64, "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True}), 400, 57)
    assert_error(api.post("/volumes", {"name": "v2", "cpg": "SSD_r6", "sizeMiB": 1024}), 400, 78, "tpvv,reduce")
    assert_error(api.post("/volumes", {"name": "v2", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": False,
                                       "reduce": False}), 400, 78, "tpvv,reduce")
    assert_error(api.post("/volumes", {"name": "v2", "cpg": "SSD_r6", "sizeMiB": 100, "tpvv": True}), 400, 43)
    assert_error(api.post("/volumes", {"name": "v2", "cpg": "SSD_r6", "sizeMiB": 65 * 1024 * 1024,
                                       "tpvv": True}), 400, 28)
    assert_error(api.post("/volumes", {"name": "v2", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True,
                                       "id": api.get("/volumes/vol1").json()["id"]}), 409, 59)
    assert_error(api.get("/volumes/missing"), 404, 23)
    assert_error(api.get("/volumes/bad%20name"), 400, 69)
    assert list(api.state()["volumes"]) == ["vol1"]


def test_alletra_accepts_lxd_names_and_reduce(api):
    api.create_volume(LXD_NAME, 256)
    api.post("/volumes", {"name": "dedup", "cpg": "SSD_r6", "sizeMiB": 1024, "reduce": True})
    assert api.get("/volumes/" + LXD_NAME).json()["name"] == LXD_NAME
    assert api.get("/volumes/dedup").json()["provisioningType"] == 6


@pytest.mark.parametrize("persona", ["3par", "primera"])
def test_name31_personas(make_sim, persona):
    api = Api(make_sim(persona=persona))
    assert_error(api.post("/volumes", {"name": LXD_NAME, "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True}), 400, 57)
    api.create_volume("x" * 31)
    resp = api.post("/volumes", {"name": "plain", "cpg": "SSD_r6", "sizeMiB": 1024})
    if persona == "3par":
        assert resp.status_code == 201
        assert api.get("/volumes/plain").json()["provisioningType"] == 1     # full provisioning
    else:
        assert_error(resp, 400, 78, "tpvv,reduce")
    assert_error(api.post("/volumesets", {"name": "s" * 28}), 400, 57)


def test_queries_encoded_raw_and_double_equals(api):
    api.create_volume("base")
    api.create_volume("other", snapCPG="SSD_r1")
    api.snapshot("base", "snap1")
    api.snapshot("base", "snap2")
    api.snapshot("snap1", "snap1a")

    def names(query, encode=True):
        text = quote(query) if encode else query
        resp = api.get("/volumes?query=" + text)
        assert resp.status_code == 200, resp.text
        return sorted(member["name"] for member in resp.json()["members"])

    assert names('"copyOf EQ base"') == ["snap1", "snap2"]
    assert names('"copyOf EQ base"', encode=False) == ["snap1", "snap2"]
    assert names('"copyOf==base"') == ["snap1", "snap2"]
    assert names("copyOf==snap1") == ["snap1a"]
    assert names('"snapCPG EQ SSD_r1"') == ["other"]
    wwns = [api.get("/volumes/%s" % name).json()["wwn"] for name in ("base", "other")]
    assert names('"wwn==%s OR wwn==%s"' % (wwns[0].lower(), wwns[1])) == ["base", "other"]
    assert_error(api.get("/volumes?query=" + quote('"copyOf EQ"')), 400, 12)


def test_modify_rename_comment_expiry(api):
    api.create_volume("vol1")
    api.create_volume("vol2")
    api.snapshot("vol1", "s1")
    api.post("/volumesets", {"name": "set1", "setmembers": ["vol1"]})
    assert api.put("/volumes/vol1", {"comment": "c2", "expirationHours": 5}).status_code == 200
    vol = api.get("/volumes/vol1").json()
    assert vol["comment"] == "c2" and vol["expirationTimeSec"] > vol["creationTimeSec"]
    assert api.put("/volumes/vol1", {"rmExpTime": True}).status_code == 200
    assert "expirationTimeSec" not in api.get("/volumes/vol1").json()
    assert_error(api.put("/volumes/vol1", {"newName": "vol2"}), 409, 22)
    assert_error(api.put("/volumes/vol1", {"nope": 1}), 400, 12, "nope")
    assert_error(api.put("/volumes/vol1", {"comment": 5}), 400, 39, "comment")
    assert_error(api.put("/volumes/missing", {"comment": "x"}), 404, 23)
    assert api.put("/volumes/vol1", {"newName": "renamed"}).status_code == 200
    assert_error(api.get("/volumes/vol1"), 404, 23)
    assert api.get("/volumes/s1").json()["copyOf"] == "renamed"
    assert api.get("/volumesets/set1").json()["setmembers"] == ["renamed"]


def test_grow_adds_the_amount(api):
    api.create_volume("vol1", 1024)
    assert api.put("/volumes/vol1", {"action": 3, "sizeMiB": 512}).status_code == 200
    assert api.get("/volumes/vol1").json()["sizeMiB"] == 1536
    assert_error(api.put("/volumes/vol1", {"action": 3, "sizeMiB": 0}), 400, 152)
    assert_error(api.put("/volumes/vol1", {"action": 3, "sizeMiB": -5}), 400, 152)
    assert_error(api.put("/volumes/vol1", {"action": 3}), 400, 40, "sizeMiB")
    assert_error(api.put("/volumes/vol1", {"action": 99}), 400, 46)
    assert_error(api.put("/volumes/vol1", {"action": 3, "sizeMiB": 1, "bogus": 1}), 400, 12)
    api.snapshot("vol1", "s1")
    assert_error(api.put("/volumes/s1", {"action": 3, "sizeMiB": 1024}), 403, 150)
    assert api.get("/volumes/vol1").json()["sizeMiB"] == 1536


def test_no_space_on_create_grow_and_copy_with_space_report(api):
    assert api.sim_call("POST", "seed", {"cpgs": [{"name": "tiny", "capacityMiB": 4096}]}).status_code == 200
    api.create_volume("a", 2048, cpg="tiny")
    report = api.post("/spacereporter", {"cpg": "tiny"}).json()
    assert report == {"rawFreeMiB": 5120, "usableFreeMiB": 4096, "overprovisionedUsedMiB": 2048,
                      "overProvisionedFreeMiB": 2048}
    assert_error(api.post("/volumes", {"name": "b", "cpg": "tiny", "sizeMiB": 4096, "tpvv": True}), 400, 24)
    assert_error(api.put("/volumes/a", {"action": 3, "sizeMiB": 2049}), 400, 24)
    assert api.put("/volumes/a", {"action": 3, "sizeMiB": 1024}).status_code == 200
    assert_error(api.post("/volumes/a", {"action": "createPhysicalCopy", "parameters": {
        "destVolume": "c", "destCPG": "tiny", "online": True, "tpvv": True}}), 400, 24)
    assert "c" not in api.state()["volumes"]
    assert api.sim_call("POST", "volumes/a/write", {"usedMiB": 1000}).status_code == 200
    report = api.post("/spacereporter", {"cpg": "tiny"}).json()
    assert report["usableFreeMiB"] == 3096 and report["overProvisionedFreeMiB"] == 1024
    assert api.get("/volumes/a").json()["totalUsedMiB"] == 1000
    assert_error(api.post("/spacereporter", {"cpg": "nope"}), 404, 15)
    assert_error(api.post("/spacereporter", {}), 400, 40, "cpg")


def test_delete_rules(api):
    api.create_volume("vol1")
    api.snapshot("vol1", "s1")
    assert_error(api.delete("/volumes/missing"), 404, 23)
    assert_error(api.delete("/volumes/vol1"), 409, 32)
    assert api.delete("/volumes/s1").status_code == 200
    api.post("/volumesets", {"name": "set1", "setmembers": ["vol1"]})
    assert_error(api.delete("/volumes/vol1"), 409, 34)
    api.put("/volumesets/set1", {"action": 2, "setmembers": ["vol1"]})
    api.post("/hosts", {"name": "h1", "iSCSINames": ["iqn.1993-08.org.debian:01:h1"]})
    api.post("/vluns", {"volumeName": "vol1", "hostname": "h1", "lun": 0, "autoLun": True})
    assert_error(api.delete("/volumes/vol1"), 409, 34)
    api.delete("/vluns/vol1,0,h1")
    resp = api.delete("/volumes/vol1")
    assert resp.status_code == 200 and resp.content == b""
    assert api.state()["volumes"] == {}


def test_delete_cascade_removes_snapshot_tree(api):
    api.create_volume("vol1")
    api.snapshot("vol1", "s1")
    api.snapshot("s1", "s1a")
    api.create_volume("keep")
    assert api.delete("/volumes/vol1?cascade=true").status_code == 200
    assert sorted(api.state()["volumes"]) == ["keep"]


def test_object_key_values(api):
    api.create_volume("vol1")
    assert api.post("/volumes/vol1/objectKeyValues", {"key": "k", "value": "v"}).status_code == 201
    assert_error(api.post("/volumes/vol1/objectKeyValues", {"key": "k", "value": "v"}), 409, 181)
    assert api.put("/volumes/vol1/objectKeyValues/k", {"value": "v2"}).status_code == 200
    assert api.get("/volumes/vol1/objectKeyValues/k").json() == {"key": "k", "value": "v2"}
    assert api.delete("/volumes/vol1/objectKeyValues/k").status_code == 200
    assert_error(api.get("/volumes/vol1/objectKeyValues/k"), 404, 180)
    assert api.state()["volumes"]["vol1"]["objectKeyValues"] == {}


def test_cpgs(api):
    cpgs = api.get("/cpgs").json()
    assert cpgs["total"] == 2
    cpg = api.get("/cpgs/SSD_r6").json()
    for field in ("id", "uuid", "name", "state", "numFPVVs", "numTPVVs", "UsrUsage", "SAUsage", "SDUsage",
                  "SAGrowth", "SDGrowth", "additionalStates", "degradedStates", "failedStates"):
        assert field in cpg
    assert_error(api.get("/cpgs/nope"), 404, 15)
    assert api.post("/cpgs", {"name": "new_cpg"}).status_code == 201
    assert_error(api.post("/cpgs", {"name": "new_cpg"}), 409, 14)
    api.create_volume("v", cpg="new_cpg")
    assert api.get("/cpgs/new_cpg").json()["numTPVVs"] == 1
    assert_error(api.delete("/cpgs/new_cpg"), 403, 34)
