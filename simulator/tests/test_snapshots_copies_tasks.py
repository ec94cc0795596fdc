"""Snapshots, physical copies, promote, tasks and data identity."""

import time

from sim_support import PASSWORD, USER, assert_error


def data_ids(api):
    return {name: vol["dataId"] for name, vol in api.state()["volumes"].items()}


def test_snapshot_fields_and_data_identity(api):
    api.create_volume("base")
    before = data_ids(api)["base"]
    resp = api.snapshot("base", "s1", comment="c", readOnly=True, expirationHours=3, retentionHours=1)
    assert resp.headers["Location"] == "/api/v1/volumes/s1"
    snap = api.get("/volumes/s1").json()
    base = api.get("/volumes/base").json()
    assert snap["copyOf"] == "base" and snap["copyType"] == 3 and snap["readOnly"] is True
    assert snap["baseId"] == base["id"] and snap["comment"] == "c" and snap["provisioningType"] == 3
    assert snap["expirationTimeSec"] - snap["creationTimeSec"] == 3 * 3600 and "retentionTimeSec" in snap
    api.snapshot("base", "s2")
    assert api.get("/volumes/s2").json()["readOnly"] is False          # default, as the array does
    api.snapshot("s1", "s1a")                                           # snapshot of a snapshot
    assert api.get("/volumes/s1a").json()["copyOf"] == "s1"
    ids = data_ids(api)
    assert ids["s1"] == ids["s2"] == ids["s1a"] == before
    # a write changes the volume, not its snapshots
    assert api.sim_call("POST", "volumes/base/write", {}).json()["dataId"] != before
    ids = data_ids(api)
    assert ids["base"] != before and ids["s1"] == before


def test_snapshot_errors(api):
    api.create_volume("base")
    assert_error(api.post("/volumes/missing", {"action": "createSnapshot", "parameters": {"name": "x"}}), 404, 23)
    api.snapshot("base", "s1")
    assert_error(api.post("/volumes/base", {"action": "createSnapshot", "parameters": {"name": "s1"}}), 409, 22)
    assert_error(api.post("/volumes/base", {"action": "createSnapshot", "parameters": {}}), 400, 40, "name")
    assert_error(api.post("/volumes/base", {"action": "createSnapshot", "parameters": {"name": "x", "y": 1}}),
                 400, 12, "y")
    assert_error(api.post("/volumes/base", {"action": "explode", "parameters": {}}), 400, 46)


def test_offline_copy_task_and_data(api):
    api.create_volume("src", 2048)
    api.sim_call("POST", "volumes/src/write", {"usedMiB": 100})
    source_data = data_ids(api)["src"]
    body = {"action": "createPhysicalCopy", "parameters": {"destVolume": "dst", "saveSnapshot": False,
                                                           "priority": 1}}
    assert_error(api.post("/volumes/src", body), 404, 23)
    api.create_volume("dst", 1024)
    assert_error(api.post("/volumes/src", body), 409, 12)                # destination smaller than source
    api.put("/volumes/dst", {"action": 3, "sizeMiB": 1024})
    api.post("/hosts", {"name": "h", "iSCSINames": ["iqn.2000-01.test:h"]})
    api.post("/vluns", {"volumeName": "dst", "hostname": "h", "lun": 1})
    assert_error(api.post("/volumes/src", body), 403, 34)                # destination exported
    api.delete("/vluns/dst,1,h")
    assert_error(api.post("/volumes/src", {"action": "createPhysicalCopy", "parameters": {
        "destVolume": "dst", "destCPG": "SSD_r6"}}), 400, 12, "destCPG")
    resp = api.post("/volumes/src", body)
    assert resp.status_code == 200
    task_id = resp.json()["taskid"]
    task = api.get("/tasks/%d?view=excludeDetail" % task_id).json()
    assert task["status"] == 2 and task["type"] == 1 and task["priority"] == 1 and task["user"] == "3paradm"
    assert set(task) == {"id", "type", "name", "status", "startTime", "finishTime", "priority", "user"}
    assert "detailedStatus" in api.get("/tasks/%d" % task_id).json()
    dst = api.get("/volumes/dst").json()
    assert dst["copyType"] == 2 and dst["copyOf"] == "src"
    assert data_ids(api)["dst"] != source_data                          # not copied yet
    assert_error(api.delete("/volumes/dst"), 409, 151)
    assert_error(api.delete("/volumes/src"), 409, 151)
    assert_error(api.post("/vluns", {"volumeName": "dst", "hostname": "h", "lun": 2}), 409, 97)
    done = api.wait_task(task_id)
    assert done["status"] == 1 and done["finishTime"] != "-"
    state = api.state()["volumes"]
    assert state["dst"]["dataId"] == source_data and state["dst"]["totalUsedMiB"] == 100
    assert state["dst"]["copyType"] == 1 and "copyOf" not in state["dst"]
    assert api.delete("/volumes/dst").status_code == 200


def test_online_copy_creates_destination(api):
    api.create_volume("src", 1024)
    source_data = data_ids(api)["src"]
    resp = api.post("/volumes/src", {"action": "createPhysicalCopy", "parameters": {
        "destVolume": "clone", "destCPG": "SSD_r1", "online": True, "tpvv": True}})
    assert resp.status_code == 201 and resp.headers["Location"] == "/api/v1/volumes/clone"
    task_id = resp.json()["taskid"]
    tasks = api.get("/tasks").json()["members"]
    assert [(task["name"], task["type"], task["status"]) for task in tasks] == [("clone", 18, 2)]
    clone = api.get("/volumes/clone").json()
    assert clone["userCPG"] == "SSD_r1" and clone["sizeMiB"] == 1024 and clone["copyType"] == 2
    assert_error(api.delete("/volumes/clone"), 400, 29)
    assert api.wait_task(task_id)["status"] == 1
    assert data_ids(api)["clone"] == source_data
    assert api.get("/volumes/clone").json()["copyType"] == 1


def test_task_id_errors_and_cancel(api):
    assert_error(api.get("/tasks/abc"), 400, 39)
    assert_error(api.get("/tasks/0"), 400, 115)
    assert_error(api.get("/tasks/65536"), 400, 43)
    assert_error(api.get("/tasks/77"), 404, 145)
    api.sim_call("POST", "config", {"task_seconds": 30})
    api.create_volume("src")
    api.create_volume("dst")
    task_id = api.post("/volumes/src", {"action": "createPhysicalCopy", "parameters": {"destVolume": "dst"}}
                       ).json()["taskid"]
    before = data_ids(api)["dst"]
    assert_error(api.put("/tasks/%d" % task_id, {"action": 2}), 400, 46)
    assert api.put("/tasks/%d" % task_id, {"action": 1}).status_code == 200
    task = api.get("/tasks/%d" % task_id).json()
    assert task["status"] == 3
    assert_error(api.put("/tasks/%d" % task_id, {"action": 1}), 400, 12)
    ids = data_ids(api)
    assert ids["dst"] not in (before, ids["src"])                        # interrupted copy: neither old nor new
    assert api.delete("/volumes/dst").status_code == 200


def test_promote_restores_parent_from_snapshot(api):
    api.create_volume("base")
    api.snapshot("base", "snap")
    snap_data = data_ids(api)["snap"]
    api.sim_call("POST", "volumes/base/write", {})
    assert data_ids(api)["base"] != snap_data
    assert_error(api.put("/volumes/base", {"action": 4}), 400, 12)          # not a snapshot
    assert_error(api.put("/volumes/snap", {"action": 4, "online": True, "priority": 1}), 400, 44)
    resp = api.put("/volumes/snap", {"action": 4})
    assert resp.status_code == 200
    task_id = resp.json()["taskid"]
    assert api.get("/tasks/%d" % task_id).json()["type"] == 4
    assert_error(api.delete("/volumes/base?cascade=true"), 409, 151)
    assert api.wait_task(task_id)["status"] == 1
    ids = data_ids(api)
    assert ids["base"] == snap_data == ids["snap"]


def test_tasks_take_configured_time(api):
    api.sim_call("POST", "config", {"task_seconds": 0.5})
    api.create_volume("src")
    api.create_volume("dst")
    started = time.time()
    task_id = api.post("/volumes/src", {"action": "createPhysicalCopy", "parameters": {"destVolume": "dst"}}
                       ).json()["taskid"]
    api.wait_task(task_id)
    assert 0.45 <= time.time() - started < 3


def test_volume_set_snapshot_with_count_pattern(api):
    api.create_volume("a")
    api.create_volume("b")
    api.post("/volumesets", {"name": "vs", "setmembers": ["a", "b"]})
    resp = api.post("/volumesets/vs", {"action": "createSnapshot", "parameters": {"name": "snap-@count@"}})
    assert resp.status_code == 201
    volumes = api.state()["volumes"]
    assert volumes["snap-0"]["copyOf"] == "a" and volumes["snap-1"]["copyOf"] == "b"
    assert_error(api.post("/volumesets/vs", {"action": "createSnapshot", "parameters": {"name": "same"}}), 409, 22)


def test_a_task_without_priority_has_none_and_python_3parclient_reads_it(api, sim):
    from hpe3parclient import client as client_module

    api.create_volume("src", 1024)
    resp = api.post("/volumes/src", {"action": "createPhysicalCopy", "parameters": {
        "destVolume": "cl", "destCPG": "SSD_r6", "online": True, "tpvv": True}})
    task = api.get("/tasks/%d" % resp.json()["taskid"]).json()
    assert "priority" not in task
    p3c = client_module.HPE3ParClient(sim.api_url, secure=sim.ca_path, timeout=10)
    p3c.login(USER, PASSWORD)
    try:
        assert p3c.isOnlinePhysicalCopy("cl")
        p3c.stopOnlinePhysicalCopy("cl")
    finally:
        p3c.logout()
    assert api.get("/tasks/%d" % resp.json()["taskid"]).json()["status"] == 3


def test_volume_set_resyncs_and_stops_the_copies_of_its_members(api):
    api.create_volume("src", 1024)
    for name in ("c1", "c2"):
        api.create_volume(name, 1024)
        api.wait_task(api.post("/volumes/src", {"action": "createPhysicalCopy", "parameters": {
            "destVolume": name, "saveSnapshot": True}}).json()["taskid"])
    api.post("/volumesets", {"name": "copies", "setmembers": ["c1", "c2"]})
    api.sim_call("POST", "volumes/src/write")
    resync = api.put("/volumesets/copies", {"action": 3})
    assert resync.status_code == 200 and len(resync.json()["taskids"]) == 2
    for task_id in resync.json()["taskids"]:
        assert api.wait_task(task_id)["status"] == 1
    state = api.state()["volumes"]
    assert state["c1"]["dataId"] == state["c2"]["dataId"] == state["src"]["dataId"]
    assert api.put("/volumesets/copies", {"action": 4}).status_code == 200
    assert [api.get("/volumes/" + name).json()["copyType"] for name in ("c1", "c2")] == [1, 1]
    assert_error(api.put("/volumesets/copies", {"action": 3}), 400, 12)     # no longer physical copies
    api.post("/hostsets", {"name": "hs"})
    assert_error(api.put("/hostsets/hs", {"action": 3}), 400, 46)
