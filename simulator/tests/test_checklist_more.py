"""Checklist items the other files leave out: volume actions 1, 2 and 6, CPG changes, host-set and
port exports, host name rules and NQN queries, CHAP, Location headers, LXD's longest names, and
clients racing for the same name, the same host's LUNs and the last sessions."""

import threading
from urllib.parse import quote

from sim_support import PASSWORD, USER, Api, assert_error

IQN = "iqn.1993-08.org.debian:01:more"
NQN = "nqn.2014-08.org.nvmexpress:uuid:0c6f1d1e-8a47-4a39-9d55-3b0c1f6a2e11"


def test_stop_and_resync_a_physical_copy_and_tune(api):
    api.create_volume("src", 1024)
    api.create_volume("dst", 1024)
    api.wait_task(api.post("/volumes/src", {"action": "createPhysicalCopy", "parameters": {
        "destVolume": "dst", "saveSnapshot": True}}).json()["taskid"])
    assert api.get("/volumes/dst").json()["copyType"] == 2          # kept as a copy: saveSnapshot
    api.sim_call("POST", "volumes/src/write")
    resync = api.put("/volumes/dst", {"action": 2})
    assert resync.status_code == 200 and api.wait_task(resync.json()["taskid"])["status"] == 1
    state = api.state()["volumes"]
    assert state["dst"]["dataId"] == state["src"]["dataId"]
    assert api.put("/volumes/dst", {"action": 1}).status_code == 200
    dst = api.get("/volumes/dst").json()
    assert dst["copyType"] == 1 and "copyOf" not in dst
    assert_error(api.put("/volumes/dst", {"action": 1}), 400, 12)
    assert_error(api.put("/volumes/dst", {"action": 2}), 400, 12)

    tune = api.put("/volumes/dst", {"action": 6, "tuneOperation": 1, "userCPG": "SSD_r1"})
    assert api.wait_task(tune.json()["taskid"])["status"] == 1
    assert api.get("/volumes/dst").json()["userCPG"] == "SSD_r1"
    assert_error(api.put("/volumes/dst", {"action": 6, "tuneOperation": 9}), 400, 46)
    assert api.put("/volumes/dst", {"snapCPG": "SSD_r1"}).status_code == 200
    assert api.get("/volumes/dst").json()["snapCPG"] == "SSD_r1"
    assert_error(api.put("/volumes/dst", {"snapCPG": "nope"}), 404, 15)


def test_host_set_and_port_exports(api):
    api.create_volume("v1")
    api.create_volume("v2")
    api.post("/hosts", {"name": "h1", "iSCSINames": [IQN]})
    api.post("/hostsets", {"name": "hs", "setmembers": ["h1"]})
    resp = api.post("/vluns", {"volumeName": "v1", "hostname": "set:hs", "lun": 3})
    assert resp.status_code == 201 and resp.headers["Location"] == "/api/v1/vluns/v1,3,set:hs"
    templates = [v for v in api.get("/vluns").json()["members"] if not v["active"]]
    assert [(t["type"], t["hostname"]) for t in templates] == [(5, "set:hs")]
    assert_error(api.delete("/hostsets/hs"), 409, 26)
    assert_error(api.delete("/vluns/v1,3,h1"), 404, 19)              # not this host's own export

    port = {"node": 1, "slot": 2, "cardPort": 1}
    resp = api.post("/vluns", {"volumeName": "v2", "lun": 9, "portPos": port})
    assert resp.headers["Location"] == "/api/v1/vluns/v2,9,,1:2:1"
    port_vluns = api.get("/vluns?query=" + quote('"volumeName EQ v2"')).json()["members"]
    assert [v["type"] for v in port_vluns if not v["active"]] == [2]
    assert_error(api.delete("/vluns/v2,9,,0:2:1"), 404, 19)          # another port
    assert api.delete("/vluns/v2,9,,1:2:1").status_code == 200
    assert api.delete("/vluns/v1,3,set:hs").status_code == 200
    assert api.get("/vluns").json()["total"] == 0


def test_host_names_nqn_query_and_chap(api):
    assert_error(api.post("/hosts", {"name": "h" * 64, "iSCSINames": [IQN]}), 400, 57)
    assert_error(api.post("/hosts", {"name": "bad/name", "iSCSINames": [IQN]}), 400, 69)
    assert api.post("/hosts", {"name": "n1", "NQN": NQN}).status_code == 201
    found = api.get("/hosts?query=" + quote('"NVMETCPPaths[NQN==%s]"' % NQN.upper())).json()
    assert [host["name"] for host in found["members"]] == ["n1"]
    api.post("/hosts", {"name": "i1", "iSCSINames": [IQN]})
    assert api.put("/hosts/i1", {"chapOperation": 1, "chapOperationMode": 1, "chapName": "i1",
                                 "chapSecret": "0123456789abcdef"}).status_code == 200
    host = api.get("/hosts/i1").json()
    assert host["initiatorChapEnabled"] is True and host["initiatorChapName"] == "i1"
    assert "chapSecret" not in host
    assert api.put("/hosts/i1", {"chapOperation": 2}).status_code == 200
    assert api.get("/hosts/i1").json()["initiatorChapEnabled"] is False


def test_every_create_answers_its_location(api):
    assert api.post("/cpgs", {"name": "cpg2"}).headers["Location"] == "/api/v1/cpgs/cpg2"
    assert api.post("/hostsets", {"name": "hs2"}).headers["Location"] == "/api/v1/hostsets/hs2"
    assert api.post("/volumesets", {"name": "vs2"}).headers["Location"] == "/api/v1/volumesets/vs2"
    api.create_volume("v")
    resp = api.post("/volumes/v/objectKeyValues", {"key": "k", "value": "1"})
    assert resp.status_code == 201 and resp.headers["Location"] == "/api/v1/volumes/v/objectKeyValues/k"


def test_alletra_mp_takes_lxds_longest_names(api):
    volume = "v-5a2504b06a6c48498ee7ddb0b674fd14-b"
    snapshot = "sv-0bb1c9a2b7a45d0e8f0c6b1f2a3d4e5f-b"          # 37 characters, the longest LXD makes
    assert len(snapshot) == 37
    api.create_volume(volume)
    api.snapshot(volume, snapshot)
    assert api.get("/volumes/" + snapshot).json()["copyOf"] == volume


def race(count, work):
    """Run ``work(index)`` in ``count`` threads released together; return the results in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        barrier.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_racing_clients_get_one_volume_distinct_luns_and_the_session_limit(make_sim):
    sim = make_sim(session_limit=6)
    clients = [Api(sim) for _ in range(4)]
    statuses = race(4, lambda index: clients[index].post(
        "/volumes", {"name": "same", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True}).status_code)
    assert sorted(statuses) == [201, 409, 409, 409]

    clients[0].post("/hosts", {"name": "h", "iSCSINames": [IQN]})
    for index in range(4):
        clients[0].create_volume("lun%d" % index)
    locations = race(4, lambda index: clients[index].post(
        "/vluns", {"volumeName": "lun%d" % index, "hostname": "h", "lun": 0, "autoLun": True}).headers["Location"])
    assert sorted(int(location.split(",")[1]) for location in locations) == [0, 1, 2, 3]

    late = [Api(sim, login=False) for _ in range(4)]
    answers = race(4, lambda index: late[index].login(USER, PASSWORD).status_code)
    assert sorted(answers) == [201, 201, 503, 503]
    assert clients[0].get("/wsapiconfiguration").json()["sessionsInUse"] == 6
