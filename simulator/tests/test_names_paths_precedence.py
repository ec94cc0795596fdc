"""Which reply wins when a request has more than one fault, and the names, paths and ports rules behind them.

Sources: ``shared/spec/wsapi-v1.md`` (the spec: §2.1 codes, §3.2 CPGs, §3.3 volumes, §3.6 sets, §3.7 hosts,
§3.8 VLUNs, §3.9 ports, §4.1 the P3C mock's seed), python-3parclient's ``client.py`` docstrings (P3C) and
the Assumptions table of ``simulator/README.md`` for what neither gives.
"""

from urllib.parse import quote

import pytest

from sim_support import assert_error

IQN1, IQN2 = "iqn.1993-08.org.debian:01:prec1", "iqn.1993-08.org.debian:01:prec2"
WWN_COLONS, WWN_PLAIN = "50:01:43:80:23:1c:64:7a", "50014380231C647A"
EMPTY_SET = 110          # P3C names EMPTY_SET (HTTP 404) without a number: chosen (README Assumptions)
TOO_LONG = "s" * 64      # over every persona's set, volume, host and object-key limit


@pytest.mark.parametrize("kind", ["volumesets", "hostsets"])
def test_a_set_name_too_long_is_not_found_on_get_and_delete(api, kind):
    """P3C getVolumeSet/getHostSet/deleteVolumeSet/deleteHostSet list only NON_EXISTENT_SET (404/102, spec §2.1);
    a name given to be stored or changed (POST, PUT) is refused as too long, 400/57 (spec §3.6, P3C createHost)."""
    assert_error(api.get("/%s/%s" % (kind, TOO_LONG)), 404, 102)
    assert_error(api.delete("/%s/%s" % (kind, TOO_LONG)), 404, 102)
    assert_error(api.put("/%s/%s" % (kind, TOO_LONG), {"comment": "c"}), 400, 57)
    assert_error(api.post("/" + kind, {"name": TOO_LONG}), 400, 57)
    assert_error(api.get("/%s/bad%%20name" % kind), 400, 69)                  # other name rules stay


def test_a_snapshot_or_copy_action_of_an_empty_volume_set_is_empty_set(api):
    """P3C createSnapshotOfVolumeSet: HTTPNotFound EMPTY_SET "The set is empty" (number chosen, README);
    the set copy actions (3 resync, 4 stop) give the same reply on an empty set (README Assumptions)."""
    api.post("/volumesets", {"name": "vs"})
    body = {"action": "createSnapshot", "parameters": {"name": "snap-@count@"}}
    assert_error(api.post("/volumesets/vs", body), 404, EMPTY_SET, "vs")
    assert_error(api.put("/volumesets/vs", {"action": 3}), 404, EMPTY_SET)
    assert_error(api.put("/volumesets/vs", {"action": 4}), 404, EMPTY_SET)
    assert_error(api.post("/volumesets/nope", body), 404, 102)


@pytest.mark.parametrize("kind", ["volumesets", "hostsets"])
def test_a_rename_with_action_or_members_is_a_conflict(api, kind):
    """P3C modifyVolumeSet, modifyHostSet: INV_INPUT_PARAM_CONFLICT (400/44, spec §2.1) "parameters cannot be
    present at the same time"; answered before any member is looked up (the member here does not exist)."""
    api.post("/" + kind, {"name": "s1"})
    for body in ({"newName": "s2", "action": 1, "setmembers": ["missing"]},
                 {"newName": "s2", "setmembers": ["missing"]}, {"newName": "s2", "action": 2}):
        assert_error(api.put("/%s/s1" % kind, body), 400, 44)
    assert_error(api.put("/%s/s1" % kind, {"action": 1, "setmembers": ["missing"]}), 404, 23 if kind == "volumesets"
                 else 17)
    assert api.put("/%s/s1" % kind, {"newName": "s2", "comment": "c"}).status_code == 200


def test_deleting_a_vlun_on_a_port_the_array_lacks_is_a_port_error(api):
    """Spec §3.8 (P3C mock): DELETE /vluns/... with a port that does not match is 400/55; P3C deleteVLUN lists
    HTTPBadRequest INV_INPUT_PORT_SELECTION. A port that exists but has no such VLUN stays 404/19, and a GET
    of a missing VLUN stays 404/19 (spec §3.8, SDK vlunExists)."""
    api.create_volume("v")
    api.post("/hosts", {"name": "h", "iSCSINames": [IQN1]})
    assert api.post("/vluns", {"volumeName": "v", "lun": 9, "portPos": {"node": 1, "slot": 2, "cardPort": 1}}
                    ).status_code == 201
    assert api.post("/vluns", {"volumeName": "v", "lun": 3, "hostname": "h"}).status_code == 201
    assert_error(api.delete("/vluns/v,9,,7:7:7"), 400, 55, "7:7:7")
    assert_error(api.delete("/vluns/v,3,h,7:7:7"), 400, 55)
    assert_error(api.get("/vluns/v,9,,7:7:7"), 404, 19)
    assert_error(api.delete("/vluns/v,9,,0:2:1"), 404, 19)
    assert api.delete("/vluns/v,9,,1:2:1").status_code == 200
    assert api.delete("/vluns/v,3,h").status_code == 200


def test_a_host_put_checks_its_body_before_the_host(api):
    """P3C modifyHost: INV_INPUT_PARAM_CONFLICT (FC with iSCSI, 400/44), INV_INPUT_ONE_REQUIRED (paths without
    a path operation, or an operation without paths, 400/78), INV_INPUT_ILLEGAL_CHAR / EXCEEDS_LENGTH for the
    new name (400/69, 400/57). That they come before the host lookup is an assumption (README)."""
    both = {"pathOperation": 1, "FCWWNs": [WWN_PLAIN], "iSCSINames": [IQN1]}
    for host in ("nope", TOO_LONG):
        assert_error(api.put("/hosts/" + host, both), 400, 44)
        assert_error(api.put("/hosts/" + host, {"iSCSINames": [IQN1]}), 400, 78)
        assert_error(api.put("/hosts/" + host, {"pathOperation": 1}), 400, 78)
        assert_error(api.put("/hosts/" + host, {"newName": "bad name"}), 400, 69, "newName")
        assert_error(api.put("/hosts/" + host, {"newName": TOO_LONG}), 400, 57, "newName")
    assert_error(api.put("/hosts/nope", {"persona": 1}), 404, 17)
    assert_error(api.put("/hosts/" + TOO_LONG, {"persona": 1}), 400, 57)


def test_fc_wwns_with_colons_are_stored_plain(api):
    """P3C createHost: a WWN is 16 hex digits (else INV_INPUT_WRONG_TYPE, 400/39); the colon form is accepted
    and stored as those 16 digits (an assumption, README). FCPaths and ?query= use the plain form (spec §3.7)."""
    resp = api.post("/hosts", {"name": "fc1", "FCWWNs": [WWN_COLONS]})
    assert resp.status_code == 201, resp.text
    assert api.get("/hosts/fc1").json()["FCPaths"] == [{"wwn": WWN_PLAIN}]
    found = api.get("/hosts?query=" + quote('"FCPaths[wwn==%s]"' % WWN_PLAIN)).json()
    assert [host["name"] for host in found["members"]] == ["fc1"]
    for bad in ("50:01:43:80:23:1C:64", "5001:4380:231C:647A", "50:01:43:80:23:1C:64:7G", "50014380231C647"):
        assert_error(api.post("/hosts", {"name": "fc2", "FCWWNs": [bad]}), 400, 39)
    assert_error(api.post("/hosts", {"name": "fc2", "FCWWNs": [WWN_PLAIN]}), 409, 73)
    assert_error(api.post("/hosts", {"name": "fc2", "FCWWNs": [WWN_PLAIN, WWN_COLONS]}), 400, 98)
    other = "50:01:43:80:23:1C:64:7B"
    assert api.put("/hosts/fc1", {"pathOperation": 1, "FCWWNs": [other]}).status_code == 200
    assert api.get("/hosts/fc1").json()["FCPaths"] == [{"wwn": WWN_PLAIN}, {"wwn": other.replace(":", "")}]
    assert api.put("/hosts/fc1", {"pathOperation": 2, "FCWWNs": [WWN_COLONS.upper()]}).status_code == 200
    assert api.get("/hosts/fc1").json()["FCPaths"] == [{"wwn": other.replace(":", "")}]


def test_adding_another_hosts_paths_is_existent_path_first(api):
    """P3C modifyHost: EXISTENT_PATH (409/73) "WWN or iSCSI name is already claimed by other host"; it comes
    before the one-protocol-per-host rule (400/44), which no source gives (README Assumptions)."""
    api.post("/hosts", {"name": "fc1", "FCWWNs": [WWN_PLAIN]})
    api.post("/hosts", {"name": "i1", "iSCSINames": [IQN1]})
    assert_error(api.put("/hosts/fc1", {"pathOperation": 1, "iSCSINames": [IQN1]}), 409, 73, IQN1)
    assert_error(api.put("/hosts/i1", {"pathOperation": 1, "FCWWNs": [WWN_COLONS]}), 409, 73, WWN_PLAIN)
    assert_error(api.put("/hosts/fc1", {"pathOperation": 1, "iSCSINames": [IQN2]}), 400, 44)
    assert api.put("/hosts/i1", {"pathOperation": 1, "iSCSINames": [IQN2]}).status_code == 200


def test_object_key_names_are_checked_on_every_call(api):
    """P3C setVolumeMetaData: INV_INPUT_EXCEEDS_LENGTH (400/57) and INV_INPUT_ILLEGAL_CHAR (400/69);
    getVolumeMetaData: INV_INPUT_ILLEGAL_CHAR. The limit (63) and the characters (as names) are assumptions."""
    api.create_volume("v")
    okv = "/volumes/v/objectKeyValues"
    assert_error(api.post(okv, {"key": TOO_LONG, "value": "x"}), 400, 57, "key")
    for bad in ("a b", "a&b"):
        assert_error(api.post(okv, {"key": bad, "value": "x"}), 400, 69, "key")
        assert_error(api.get(okv + "/" + quote(bad)), 400, 69)
        assert_error(api.put(okv + "/" + quote(bad), {"value": "y"}), 400, 69)
        assert_error(api.delete(okv + "/" + quote(bad)), 400, 69)
    for method in ("GET", "DELETE"):
        assert_error(api.call(method, okv + "/" + TOO_LONG), 400, 57)
    assert_error(api.put(okv + "/" + TOO_LONG, {"value": "y"}), 400, 57)
    assert_error(api.get(okv + "/k"), 404, 180)
    bad_create = {"name": "w", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True,
                  "objectKeyValues": [{"key": "a&b", "value": "x"}]}
    assert_error(api.post("/volumes", bad_create), 400, 69, "key")
    assert api.post(okv, {"key": "k" * 63, "value": "x"}).status_code == 201


def test_tune_checks_keepvv_as_a_volume_name_before_cpgs(api):
    """Spec §3.3 action 6 lists keepVV (a volume name: 400/57, 400/69 as names, spec §7), checked before the
    CPGs are looked up (an assumption); unknown members are 400/12 (spec §2.1 INV_INPUT)."""
    api.create_volume("v")
    tune = {"action": 6, "tuneOperation": 1, "userCPG": "nope"}
    assert_error(api.put("/volumes/v", dict(tune, keepVV=TOO_LONG)), 400, 57, "keepVV")
    assert_error(api.put("/volumes/v", dict(tune, keepVV="bad name")), 400, 69, "keepVV")
    assert_error(api.put("/volumes/v", dict(tune, keepVV="old-v")), 404, 15)
    assert_error(api.put("/volumes/v", dict(tune, userCPG="SSD_r1", bogus=1)), 400, 12, "bogus")
    ok = api.put("/volumes/v", dict(tune, userCPG="SSD_r1", keepVV="old-v", conversionOperation=1))
    assert ok.status_code == 200 and api.wait_task(ok.json()["taskid"])["status"] == 1


def test_cpg_ld_layout_members_are_checked(api):
    """P3C createCPG and spec §3.2: LDLayout{RAIDType, setSize, HA, chunkletPosPref, diskPatterns}; any other
    member is 400/12 (spec §2.1 INV_INPUT, ref the member), as at the top level."""
    assert_error(api.post("/cpgs", {"name": "c1", "LDLayout": {"RAIDType": 6, "bogus": 1}}), 400, 12, "bogus")
    assert_error(api.post("/cpgs", {"name": "c1", "LDLayout": {"HA": "cage"}}), 400, 39, "HA")
    layout = {"RAIDType": 6, "setSize": 10, "HA": 2, "chunkletPosPref": 1, "diskPatterns": [{"diskType": 3}]}
    assert api.post("/cpgs", {"name": "c1", "LDLayout": layout}).status_code == 201


def test_3par_persona_has_an_rcip_port_on_each_node(api):
    """Spec §4.1: the P3C mock seeds FC, iSCSI and RCIP ports; §3.9: protocol 4 (IP), type 7 (RCIP), mode 4
    (peer). An RCIP port is no target: exports never use it. Other personas have none (README)."""
    assert not [p for p in api.get("/ports").json()["members"] if p["protocol"] == 4]
    assert api.sim_call("POST", "reset", {"persona": "3par"}).status_code == 200
    rcip = [p for p in api.get("/ports").json()["members"] if p["protocol"] == 4]
    assert sorted(p["portPos"]["node"] for p in rcip) == [0, 1]
    assert all(p["type"] == 7 and p["mode"] == 4 and p["linkState"] == 4 and p["IPAddr"] for p in rcip)
    api.create_volume("v")
    api.post("/hosts", {"name": "h", "iSCSINames": [IQN1]})
    api.post("/vluns", {"volumeName": "v", "lun": 1, "hostname": "h"})
    actives = [m for m in api.get("/vluns").json()["members"] if m["active"]]
    assert sorted(a["portPos"]["slot"] for a in actives) == [2, 2]


def test_an_emptied_host_set_export_stays_a_host_set_rule(api):
    """A host-set VLUN (type 5, spec §3.8) whose set lost its hosts keeps its template with no active VLUNs;
    it was taken for a port export and the next POST /vluns failed with KeyError 'portPos' (500/1)."""
    api.create_volume("v1")
    api.create_volume("v2")
    api.post("/hosts", {"name": "h", "iSCSINames": [IQN1]})
    api.post("/hostsets", {"name": "hs", "setmembers": ["h"]})
    assert api.post("/vluns", {"volumeName": "v1", "lun": 3, "hostname": "set:hs"}).status_code == 201
    assert api.put("/hostsets/hs", {"action": 2, "setmembers": ["h"]}).status_code == 200
    members = api.get("/vluns").json()["members"]
    assert [(m["type"], m["hostname"], m["active"]) for m in members] == [(5, "set:hs", False)]
    assert api.post("/vluns", {"volumeName": "v2", "lun": 5, "hostname": "h"}).status_code == 201
    port = {"node": 0, "slot": 2, "cardPort": 1}
    assert api.post("/vluns", {"volumeName": "v2", "lun": 4, "portPos": port}).status_code == 201
    assert api.put("/hostsets/hs", {"action": 1, "setmembers": ["h"]}).status_code == 200
    assert len([m for m in api.get("/vluns/v1,3,set:hs").json()["members"] if m["active"]]) == 2
