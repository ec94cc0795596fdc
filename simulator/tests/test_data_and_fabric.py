"""Volume data files (``data_dir``) and the fabric's view (GET /_sim/fabric, /_sim/fabric/discovery)."""

import os

import pytest

from alletra_sim.cli import build_parser
from sim_support import Api, assert_error

MIB = 1024 * 1024
NQN = "nqn.2014-08.org.nvmexpress:uuid:0f6c1d2e-aaaa-bbbb-cccc-000000000001"
IQN = "iqn.1994-05.com.redhat:host01"


@pytest.fixture
def data_dir(tmp_path):
    return str(tmp_path / "data")


@pytest.fixture
def dapi(make_sim, data_dir):
    client = Api(make_sim(data_dir=data_dir))
    yield client
    client.http.close()


def data_file(api, name):
    return api.state()["volumes"][name]["dataFile"]


def poke(path, offset, data):
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def peek(path, offset, length):
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


def files_in(directory):
    return sorted(os.listdir(directory))


# ------------------------------------------------------------------ data files

def test_without_data_dir_there_are_no_files(api):
    api.create_volume("v")
    assert api.state()["volumes"]["v"]["dataFile"] is None
    assert api.sim_call("GET", "config").json()["data_dir"] is None


def test_create_grow_delete_files(dapi, data_dir):
    dapi.create_volume("v", 1024)
    path = data_file(dapi, "v")
    vol_id = dapi.get("/volumes/v").json()["id"]
    assert path == os.path.join(os.path.abspath(data_dir), "%d.img" % vol_id)
    assert os.path.getsize(path) == 1024 * MIB
    poke(path, 5 * MIB, b"kept")
    assert dapi.put("/volumes/v", {"action": 3, "sizeMiB": 512}).status_code == 200
    assert os.path.getsize(path) == 1536 * MIB and peek(path, 5 * MIB, 4) == b"kept"
    assert dapi.delete("/volumes/v").status_code == 200
    assert not os.path.exists(path) and files_in(data_dir) == []
    assert dapi.sim_call("GET", "config").json()["data_dir"] == os.path.abspath(data_dir)


def test_empty_volume_and_snapshot_stay_sparse(dapi):
    dapi.create_volume("big", 1024)
    path = data_file(dapi, "big")
    poke(path, 700 * MIB, b"x" * 4096)
    dapi.snapshot("big", "big-snap")
    snap = data_file(dapi, "big-snap")
    assert os.path.getsize(snap) == 1024 * MIB
    # 1 GiB apparent size, at most one 1 MiB block written (st_blocks counts 512-byte units).
    assert os.stat(path).st_blocks * 512 <= 2 * MIB
    assert os.stat(snap).st_blocks * 512 <= 2 * MIB
    assert peek(snap, 700 * MIB, 4096) == b"x" * 4096


def test_snapshot_keeps_the_parent_bytes_of_its_time(dapi):
    dapi.create_volume("base", 512)
    base = data_file(dapi, "base")
    poke(base, 3 * MIB + 17, b"before")
    dapi.snapshot("base", "s1")
    poke(base, 3 * MIB + 17, b"after!")
    poke(base, 100 * MIB, b"new")
    snap = data_file(dapi, "s1")
    assert peek(snap, 3 * MIB + 17, 6) == b"before" and peek(snap, 100 * MIB, 3) == b"\0\0\0"
    assert peek(base, 3 * MIB + 17, 6) == b"after!"
    dapi.snapshot("s1", "s1a")                                            # a snapshot of a snapshot
    assert peek(data_file(dapi, "s1a"), 3 * MIB + 17, 6) == b"before"


def test_promote_gives_the_parent_the_snapshot_bytes(dapi):
    dapi.create_volume("base", 512)
    base = data_file(dapi, "base")
    poke(base, 10 * MIB, b"good")
    dapi.snapshot("base", "snap")
    poke(base, 10 * MIB, b"oops")
    poke(base, 20 * MIB, b"more")
    resp = dapi.put("/volumes/snap", {"action": 4})
    assert resp.status_code == 200, resp.text
    assert dapi.wait_task(resp.json()["taskid"])["status"] == 1
    assert peek(base, 10 * MIB, 4) == b"good" and peek(base, 20 * MIB, 4) == b"\0" * 4
    state = dapi.state()["volumes"]
    assert state["base"]["dataId"] == state["snap"]["dataId"]


def test_offline_copy_gives_the_source_bytes_as_they_were_at_start(dapi, data_dir):
    dapi.create_volume("src", 512)
    dapi.create_volume("dst", 1024)
    src, dst = data_file(dapi, "src"), data_file(dapi, "dst")
    poke(src, MIB, b"first")
    poke(dst, 900 * MIB, b"old-dst")
    resp = dapi.post("/volumes/src", {"action": "createPhysicalCopy", "parameters": {"destVolume": "dst"}})
    assert resp.status_code == 200, resp.text
    poke(src, MIB, b"later")                                              # after the copy started
    assert dapi.wait_task(resp.json()["taskid"])["status"] == 1
    assert peek(dst, MIB, 5) == b"first" and peek(src, MIB, 5) == b"later"
    assert peek(dst, 900 * MIB, 7) == b"\0" * 7 and os.path.getsize(dst) == 1024 * MIB
    assert [name for name in files_in(data_dir) if name.startswith("capture-")] == []


def test_online_copy_gives_the_new_volume_the_source_bytes(dapi, data_dir):
    dapi.create_volume("src", 512)
    src = data_file(dapi, "src")
    poke(src, 2 * MIB, b"online")
    resp = dapi.post("/volumes/src", {"action": "createPhysicalCopy",
                                      "parameters": {"destVolume": "copy", "destCPG": "SSD_r6", "online": True}})
    assert resp.status_code == 201, resp.text
    poke(src, 2 * MIB, b"change")
    assert dapi.wait_task(resp.json()["taskid"])["status"] == 1
    copy = data_file(dapi, "copy")
    assert peek(copy, 2 * MIB, 6) == b"online" and os.path.getsize(copy) == 512 * MIB
    assert [name for name in files_in(data_dir) if name.startswith("capture-")] == []


def test_cancelled_copy_zeroes_the_destination(make_sim, data_dir):
    api = Api(make_sim(data_dir=data_dir, task_seconds=30))
    api.create_volume("src", 512)
    api.create_volume("dst", 512)
    src, dst = data_file(api, "src"), data_file(api, "dst")
    poke(src, MIB, b"source")
    poke(dst, MIB, b"oldata")
    resp = api.post("/volumes/src", {"action": "createPhysicalCopy", "parameters": {"destVolume": "dst"}})
    assert [name for name in files_in(data_dir) if name.startswith("capture-")]     # the point-in-time
    assert api.put("/tasks/%d" % resp.json()["taskid"], {"action": 1}).status_code == 200
    assert peek(dst, MIB, 6) == b"\0" * 6 and os.stat(dst).st_blocks == 0
    assert os.path.getsize(dst) == 512 * MIB and peek(src, MIB, 6) == b"source"
    assert [name for name in files_in(data_dir) if name.startswith("capture-")] == []


def test_reset_removes_the_files(dapi, data_dir):
    dapi.create_volume("a")
    dapi.snapshot("a", "a-snap")
    assert len(files_in(data_dir)) == 2
    assert dapi.sim_call("POST", "reset", {}).status_code == 200
    assert files_in(data_dir) == []


def test_state_file_keeps_the_files_by_volume_id(make_sim, tmp_path, data_dir):
    state_file = str(tmp_path / "state.json")
    first = make_sim(state_file=state_file, data_dir=data_dir)
    api = Api(first)
    api.create_volume("v", 256)
    path = data_file(api, "v")
    poke(path, 123, b"persisted")
    first.stop()
    second = make_sim(state_file=state_file, data_dir=data_dir)            # a kept file keeps its bytes
    assert data_file(Api(second), "v") == path and peek(path, 123, 9) == b"persisted"
    second.stop()
    os.remove(path)
    third = Api(make_sim(state_file=state_file, data_dir=data_dir))       # a lost one comes back empty
    assert data_file(third, "v") == path and os.path.getsize(path) == 256 * MIB
    assert peek(path, 123, 9) == b"\0" * 9


def test_cli_takes_data_dir():
    args = build_parser().parse_args(["--insecure-http", "--data-dir", "/tmp/x"])
    assert args.data_dir == "/tmp/x"
    assert build_parser().parse_args(["--insecure-http"]).data_dir is None


# ------------------------------------------------------------------ the fabric's view

def fabric(api, initiator):
    resp = api.http.get(api.sim.url + "/_sim/fabric", params={"initiator": initiator}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def discovery(api, **params):
    return api.http.get(api.sim.url + "/_sim/fabric/discovery", params=params, timeout=10)


def vlun(api, **body):
    resp = api.post("/vluns", body)
    assert resp.status_code == 201, resp.text


def test_fabric_nvme_host_vlun(dapi):
    dapi.create_volume("vol1", 512)
    dapi.post("/hosts", {"name": "host01-nvme", "NQN": NQN})
    vlun(dapi, volumeName="vol1", hostname="host01-nvme", lun=0, autoLun=True)
    view = fabric(dapi, NQN.upper())                                       # initiators compare case-insensitively
    state = dapi.state()
    vol = state["volumes"]["vol1"]
    assert view == {
        "host": "host01-nvme", "protocol": "nvme",
        "targets": [{"address": "127.0.0.21", "port": 4420, "qualified_name": state["subsystemNQN"],
                     "port_pos": "0:3:1"},
                    {"address": "127.0.0.22", "port": 4420, "qualified_name": state["subsystemNQN"],
                     "port_pos": "1:3:1"}],
        "exports": [{"volume": "vol1", "lun": 1, "wwn": vol["wwn"], "nguid": vol["nguid"], "size_mib": 512,
                     "data_file": vol["dataFile"]}],
    }
    active = [v for v in state["vluns"] if v["active"]]
    assert {v["Subsystem_NQN"] for v in active} == {state["subsystemNQN"]}


def test_fabric_iscsi_host_and_port_vluns(api):
    api.create_volume("v1")
    api.create_volume("v2")
    api.post("/hosts", {"name": "h-iscsi", "iSCSINames": [IQN]})
    api.post("/hosts", {"name": "h-nvme", "NQN": NQN})
    vlun(api, volumeName="v1", hostname="h-iscsi", lun=4)
    vlun(api, volumeName="v2", lun=9, portPos={"node": 0, "slot": 2, "cardPort": 1})     # an iSCSI port
    view = fabric(api, IQN)
    ports = {port["portPos"]["node"]: port for port in api.get("/ports").json()["members"]
             if port["protocol"] == 2}
    assert view["host"] == "h-iscsi" and view["protocol"] == "iscsi"
    assert view["targets"] == [{"address": ports[node]["IPAddr"], "port": 3260,
                                "qualified_name": ports[node]["iSCSIName"], "port_pos": "%d:2:1" % node}
                               for node in (0, 1)]
    assert [(e["volume"], e["lun"], e["data_file"]) for e in view["exports"]] == [("v1", 4, None), ("v2", 9, None)]
    assert fabric(api, NQN)["exports"] == []                               # the port export is iSCSI only


def test_fabric_host_set_and_vvset_exports_each_volume_once(api):
    for name in ("a", "b", "c"):
        api.create_volume(name)
    api.post("/hosts", {"name": "h1", "NQN": NQN})
    api.post("/hostsets", {"name": "hs", "setmembers": ["h1"]})
    api.post("/volumesets", {"name": "vs", "setmembers": ["b", "c"]})
    vlun(api, volumeName="a", hostname="set:hs", lun=3)
    vlun(api, volumeName="set:vs", hostname="h1", lun=5)
    vlun(api, volumeName="c", hostname="h1", lun=2)                        # c also at a lower LUN
    exports = fabric(api, NQN)["exports"]
    assert [(e["volume"], e["lun"]) for e in exports] == [("c", 2), ("a", 3), ("b", 5)]
    api.put("/hostsets/hs", {"action": 2, "setmembers": ["h1"]})           # h1 leaves the set
    assert [e["volume"] for e in fabric(api, NQN)["exports"]] == ["c", "b"]


def test_fabric_unknown_or_missing_initiator(api):
    assert fabric(api, "nqn.2014-08.org.nvmexpress:uuid:nobody") == {
        "host": None, "protocol": None, "targets": [], "exports": []}
    assert_error(api.sim_call("GET", "fabric"), 400, 40, "initiator")


def test_fabric_discovery_by_address(api):
    state = api.state()
    nvme = discovery(api, address="127.0.0.22", protocol="nvme")
    assert nvme.status_code == 200
    assert nvme.json() == [{"address": "127.0.0.22", "port": 4420, "qualified_name": state["subsystemNQN"],
                            "protocol": "nvme"}]
    iscsi = discovery(api, address="127.0.0.11", protocol="iscsi").json()
    assert [(t["port"], t["protocol"]) for t in iscsi] == [(3260, "iscsi")]
    assert iscsi[0]["qualified_name"].startswith("iqn.2000-05.com.3pardata:")
    assert discovery(api, address="127.0.0.11").json() == iscsi            # protocol is optional
    assert discovery(api, address="127.0.0.11", protocol="nvme").json() == []
    assert discovery(api, address="10.9.9.9", protocol="nvme").json() == []
    port = next(p for p in state["ports"] if p["portPos"] == {"node": 1, "slot": 3, "cardPort": 1})
    api.sim_call("POST", "seed", {"ports": [dict(port, linkState=5)]})
    assert discovery(api, address="127.0.0.22", protocol="nvme").json() == []          # port not ready
    assert_error(discovery(api, address="127.0.0.22", protocol="fc"), 400, 46, "protocol")
    assert_error(discovery(api), 400, 40, "address")
