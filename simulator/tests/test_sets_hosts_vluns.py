"""Volume sets, host sets, hosts, vLUNs and ports."""

from urllib.parse import quote

from sim_support import assert_error

IQN1, IQN2 = "iqn.1993-08.org.debian:01:aaaa", "iqn.1993-08.org.debian:01:bbbb"
WWN1 = "10000000C9AABBCC"
NQN = "nqn.2014-08.org.nvmexpress:uuid:5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"


def test_volume_sets(api):
    api.create_volume("a")
    api.create_volume("b")
    resp = api.post("/volumesets", {"name": "pool1", "comment": "Created and managed by LXD"})
    assert resp.status_code == 201 and resp.headers["Location"] == "/api/v1/volumesets/pool1"
    assert "setmembers" not in api.get("/volumesets/pool1").json()             # empty sets omit the member
    assert_error(api.post("/volumesets", {"name": "pool1"}), 400, 101)
    assert_error(api.post("/volumesets", {"name": "x", "setmembers": ["missing"]}), 404, 23)
    assert_error(api.get("/volumesets/nope"), 404, 102)
    assert api.put("/volumesets/pool1", {"action": 1, "setmembers": ["a", "b"]}).status_code == 200
    assert api.get("/volumesets/pool1").json()["setmembers"] == ["a", "b"]
    assert_error(api.put("/volumesets/pool1", {"action": 1, "setmembers": ["a"]}), 409, 104)
    assert_error(api.put("/volumesets/pool1", {"action": 1, "setmembers": ["zz"]}), 404, 23)
    assert api.put("/volumesets/pool1", {"action": 2, "setmembers": ["a"]}).status_code == 200
    assert_error(api.put("/volumesets/pool1", {"action": 2, "setmembers": ["a"]}), 404, 105)
    assert_error(api.put("/volumesets/pool1", {"action": 9, "setmembers": ["a"]}), 400, 46)
    assert_error(api.put("/volumesets/nope", {"comment": "x"}), 404, 102)
    assert api.put("/volumesets/pool1", {"newName": "pool2", "comment": "c"}).status_code == 200
    item = api.get("/volumesets/pool2").json()
    assert item["comment"] == "c" and item["setmembers"] == ["b"]
    assert api.get("/volumesets").json()["total"] == 1
    api.post("/hosts", {"name": "h", "iSCSINames": [IQN1]})
    assert api.post("/vluns", {"volumeName": "set:pool2", "hostname": "h", "lun": 5}).status_code == 201
    assert_error(api.delete("/volumesets/pool2"), 409, 26)
    assert api.delete("/vluns/set:pool2,5,h").status_code == 200
    assert api.delete("/volumesets/pool2").status_code == 200
    assert_error(api.delete("/volumesets/pool2"), 404, 102)
    assert api.state()["volumesets"] == {} and sorted(api.state()["volumes"]) == ["a", "b"]


def test_hosts_create_read_query(api):
    resp = api.post("/hosts", {"name": "h-iscsi", "iSCSINames": [IQN1, IQN2], "persona": 2,
                               "descriptors": {"comment": "Created and managed by LXD"}})
    assert resp.status_code == 201 and resp.headers["Location"] == "/api/v1/hosts/h-iscsi"
    api.post("/hosts", {"name": "h-fc", "FCWWNs": [WWN1.lower()]})
    api.post("/hosts", {"name": "host01-nvme-tcp", "NQN": NQN, "transportType": 2,
                        "descriptors": {"comment": "Created and managed by LXD"}})
    host = api.get("/hosts/h-iscsi").json()
    assert host["iSCSIPaths"] == [{"name": IQN1}, {"name": IQN2}] and host["FCPaths"] == []
    assert host["descriptors"]["comment"] == "Created and managed by LXD" and host["persona"] == 2
    assert api.get("/hosts/h-fc").json()["FCPaths"] == [{"wwn": WWN1}]
    assert api.get("/hosts/host01-nvme-tcp").json()["NVMETCPPaths"] == [{"NQN": NQN}]
    assert_error(api.post("/hosts", {"name": "h-iscsi", "iSCSINames": ["iqn.x:other"]}), 409, 16)
    assert_error(api.post("/hosts", {"name": "h2", "iSCSINames": [IQN2]}), 409, 73)
    assert_error(api.post("/hosts", {"name": "h2", "NQN": NQN}), 409, 73)
    assert_error(api.post("/hosts", {"name": "h2", "iSCSINames": ["iqn.x:1"], "FCWWNs": ["10000000C9AABBCD"]}),
                 400, 44)
    assert_error(api.post("/hosts", {"iSCSINames": ["iqn.x:1"]}), 400, 40, "name")
    assert_error(api.post("/hosts", {"name": "h2", "persona": 99}), 400, 46)
    assert_error(api.post("/hosts", {"name": "h2", "FCWWNs": ["123"]}), 400, 39)
    assert_error(api.get("/hosts/nope"), 404, 17)
    query = quote('"iSCSIPaths[name==%s OR name==iqn.none] OR FCPaths[wwn==%s]"' % (IQN2, WWN1))
    found = api.get("/hosts?query=" + query).json()
    assert sorted(member["name"] for member in found["members"]) == ["h-fc", "h-iscsi"]
    assert api.get("/hosts?query=" + quote('"iSCSIPaths[name==iqn.none]"')).json() == {"total": 0, "members": []}
    assert api.get("/hosts").json()["total"] == 3


def test_hosts_modify_and_delete(api):
    api.post("/hosts", {"name": "h1", "iSCSINames": [IQN1]})
    api.post("/hosts", {"name": "h2", "iSCSINames": [IQN2]})
    assert api.put("/hosts/h1", {"pathOperation": 1, "iSCSINames": ["iqn.x:new"]}).status_code == 200
    assert [path["name"] for path in api.get("/hosts/h1").json()["iSCSIPaths"]] == [IQN1, "iqn.x:new"]
    assert_error(api.put("/hosts/h1", {"pathOperation": 1, "iSCSINames": [IQN2]}), 409, 73)
    assert_error(api.put("/hosts/h1", {"iSCSINames": ["iqn.y:1"]}), 400, 78)
    assert_error(api.put("/hosts/h1", {"pathOperation": 2, "iSCSINames": ["iqn.y:1"]}), 404, 80)
    assert_error(api.put("/hosts/h1", {"pathOperation": 3, "iSCSINames": ["iqn.y:1"]}), 400, 46)
    assert_error(api.put("/hosts/h1", {"pathOperation": 1, "FCWWNs": ["10000000C9000001"]}), 400, 44)
    assert api.put("/hosts/h1", {"pathOperation": 2, "iSCSINames": ["iqn.x:new"]}).status_code == 200
    assert_error(api.put("/hosts/h1", {"newName": "h2"}), 409, 16)
    assert api.put("/hosts/h1", {"newName": "h1b", "persona": 1}).status_code == 200
    assert api.get("/hosts/h1b").json()["persona"] == 1
    api.create_volume("v")
    api.post("/vluns", {"volumeName": "v", "hostname": "h1b", "lun": 3})
    assert_error(api.delete("/hosts/h1b"), 409, 26)
    api.delete("/vluns/v,3,h1b")
    api.post("/hostsets", {"name": "hs", "setmembers": ["h1b"]})
    assert_error(api.delete("/hosts/h1b"), 409, 77)
    api.put("/hostsets/hs", {"action": 2, "setmembers": ["h1b"]})
    assert api.delete("/hosts/h1b").status_code == 200
    assert_error(api.delete("/hosts/h1b"), 404, 17)
    assert sorted(api.state()["hosts"]) == ["h2"]


def test_vluns_iscsi_template_and_actives(api):
    api.create_volume("v1")
    api.create_volume("v2")
    api.post("/hosts", {"name": "h1", "iSCSINames": [IQN1]})
    resp = api.post("/vluns", {"hostname": "h1", "volumeName": "v1", "lun": 0, "autoLun": True})
    assert resp.status_code == 201 and resp.headers["Location"] == "/api/v1/vluns/v1,0,h1"
    resp = api.post("/vluns", {"hostname": "h1", "volumeName": "v2", "lun": 0, "autoLun": True})
    assert resp.headers["Location"] == "/api/v1/vluns/v2,1,h1"
    members = api.get("/vluns?query=" + quote('"volumeName EQ v1"')).json()["members"]
    templates = [m for m in members if not m["active"]]
    actives = [m for m in members if m["active"]]
    assert len(templates) == 1 and templates[0]["type"] == 3 and templates[0]["hostname"] == "h1"
    iscsi_ports = [p for p in api.get("/ports").json()["members"] if p["protocol"] == 2]
    assert sorted((a["portPos"]["node"], a["portPos"]["slot"]) for a in actives) == \
        sorted((p["portPos"]["node"], p["portPos"]["slot"]) for p in iscsi_ports)
    assert all(a["remoteName"] == IQN1 and a["lun"] == 0 and "Subsystem_NQN" not in a for a in actives)
    assert len(api.get('/vluns?query="volumeName==v2"').json()["members"]) == 3
    assert len(api.get("/vluns?query=" + quote('"hostname EQ h1"')).json()["members"]) == 6
    assert_error(api.post("/vluns", {"hostname": "h1", "volumeName": "v2", "lun": 0}), 409, 18)
    assert_error(api.post("/vluns", {"hostname": "h1", "volumeName": "v2", "lun": 16384}), 400, 28)
    assert_error(api.post("/vluns", {"hostname": "h1", "volumeName": "nope", "lun": 7}), 404, 23)
    assert_error(api.post("/vluns", {"hostname": "nope", "volumeName": "v2", "lun": 7}), 404, 17)
    assert_error(api.post("/vluns", {"volumeName": "v2", "lun": 7}), 400, 40)
    assert_error(api.post("/vluns", {"hostname": "h1", "volumeName": "v2"}), 400, 40, "lun")
    assert_error(api.post("/vluns", {"hostname": "h1", "volumeName": "v2", "lun": 7,
                                     "portPos": {"node": 9, "slot": 9, "cardPort": 9}}), 404, 20)
    assert_error(api.post("/vluns", {"hostname": "h1", "volumeName": "v2", "lun": 7, "portPos": {"node": 1}}),
                 400, 55)
    single = api.get("/vluns/v1,0,h1").json()
    assert single["total"] == 3
    assert_error(api.get("/vluns/v1,5,h1"), 404, 19)
    assert api.delete("/vluns/v1,0,h1").status_code == 200
    assert_error(api.delete("/vluns/v1,0,h1"), 404, 19)
    assert api.get('/vluns?query="volumeName EQ v1"').json()["total"] == 0
    state = api.state()
    assert [(t["volumeName"], t["lun"]) for t in state["vlun_templates"]] == [("v2", 1)]


def test_vluns_nvme_and_port_specific(api):
    api.create_volume("v1")
    api.create_volume("v2")
    api.post("/hosts", {"name": "n1", "NQN": NQN, "transportType": 2})
    resp = api.post("/vluns", {"hostname": "n1", "volumeName": "v1", "lun": 0, "autoLun": True})
    assert resp.headers["Location"] == "/api/v1/vluns/v1,1,n1"                  # NVMe namespaces start at 1
    members = api.get('/vluns?query="hostname==n1"').json()["members"]
    nqns = {m["Subsystem_NQN"] for m in members}
    assert len(nqns) == 1 and nqns.pop() == api.state()["subsystemNQN"]
    actives = [m for m in members if m["active"]]
    nvme_ports = [p for p in api.get("/ports").json()["members"] if p["protocol"] == 6]
    assert len(actives) == len(nvme_ports) == 2 and all(a["remoteName"] == NQN for a in actives)
    assert_error(api.post("/vluns", {"hostname": "n1", "volumeName": "v2", "lun": 300}), 400, 43)
    resp = api.post("/vluns", {"hostname": "n1", "volumeName": "v2", "lun": 4,
                               "portPos": {"node": 0, "slot": 3, "cardPort": 1}})
    assert resp.headers["Location"] == "/api/v1/vluns/v2,4,n1,0:3:1"
    members = api.get("/vluns/v2,4,n1,0:3:1").json()["members"]
    assert [m["type"] for m in members] == [4, 4] and members[1]["portPos"] == {"node": 0, "slot": 3, "cardPort": 1}
    assert api.delete("/vluns/v2,4,n1,0:3:1").status_code == 200
    assert api.get("/vluns").json()["total"] == 3


def test_ports_are_ready_targets_on_loopback(api):
    ports = api.get("/ports").json()["members"]
    by_protocol = {}
    for port in ports:
        assert port["mode"] == 2 and port["linkState"] == 4 and set(port["portPos"]) == {"node", "slot", "cardPort"}
        by_protocol.setdefault(port["protocol"], []).append(port)
    assert set(by_protocol) == {1, 2, 6}
    assert all(port["portWWN"] for port in by_protocol[1])
    for port in by_protocol[2]:
        assert port["IPAddr"].startswith("127.0.0.") and port["iSCSIName"].startswith("iqn.")
        assert port["iSCSIPortInfo"]["vlan"] == 0
    for port in by_protocol[6]:
        assert port["nodeWWN"] == port["IPAddr"] and port["IPAddr"].startswith("127.0.0.")
    assert api.get("/ports/0:2:1/iSCSIVlans/").json() == {"iSCSIVlans": []}


def test_luns_of_set_and_port_exports_are_checked_too(api):
    for name in ("a", "b", "v1", "v2"):
        api.create_volume(name)
    api.post("/volumesets", {"name": "pair", "setmembers": ["a", "b"]})
    api.post("/hosts", {"name": "h1", "iSCSINames": [IQN1]})
    assert_error(api.post("/vluns", {"hostname": "h1", "volumeName": "set:pair", "lun": 16383}), 400, 28)
    iscsi_port = {"node": 0, "slot": 2, "cardPort": 1}
    assert api.post("/vluns", {"volumeName": "v1", "lun": 5, "portPos": iscsi_port}).status_code == 201
    # Host h1 is seen through that iSCSI port: LUN 5 is taken for it, and the reverse holds too.
    assert_error(api.post("/vluns", {"hostname": "h1", "volumeName": "v2", "lun": 5}), 409, 18)
    assert api.post("/vluns", {"hostname": "h1", "volumeName": "v2", "lun": 6}).status_code == 201
    assert_error(api.post("/vluns", {"volumeName": "a", "lun": 6, "portPos": iscsi_port}), 409, 18)
    nvme_port = {"node": 0, "slot": 3, "cardPort": 1}
    assert api.post("/vluns", {"volumeName": "a", "lun": 6, "portPos": nvme_port}).status_code == 201


def test_moving_a_volume_to_a_full_cpg_is_refused(api):
    api.sim_call("POST", "seed", {"cpgs": [{"name": "tiny", "capacityMiB": 1024}]})
    api.create_volume("big", 4096)
    assert_error(api.put("/volumes/big", {"userCPG": "tiny"}), 400, 24)
    assert api.get("/volumes/big").json()["userCPG"] == "SSD_r6"
