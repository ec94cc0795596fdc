"""Interoperability: HPE's own python-3parclient drives the simulator over verified TLS."""

import pytest
# requirements/ci.txt pins python-3parclient with paramiko and eventlet, which it imports but does
# not declare: a missing one fails this test rather than skipping it.
from hpe3parclient import client as client_module
from hpe3parclient import exceptions

from sim_support import PASSWORD, USER, Api

IQN = "iqn.1993-08.org.debian:01:interop"


def create_volume_snapshot_host_and_vlun(client):
    """P3C's own calls, including the rewrite it does on the array's 400/78."""
    # In Primera mode P3C only adds tpvv when no options are given; the array then answers 400/78
    # with ref "tpvv,reduce", which P3C recognises (by code, desc and ref) and rewrites.
    with pytest.raises(exceptions.HTTPBadRequest) as refused:
        client.createVolume("p3c-vol", "SSD_r6", 1024, {"comment": "interop"})
    assert "Either tpvv must be true" in str(refused.value)
    client.createVolume("p3c-vol", "SSD_r6", 1024, {"comment": "interop", "tpvv": True})
    client.createSnapshot("p3c-snap", "p3c-vol", {"readOnly": True, "expirationHours": 4})
    host = client.createHost("p3c-host", iscsiNames=[IQN], optional={"persona": 2})
    assert host["name"] == "p3c-host"
    location = client.createVLUN("p3c-vol", hostname="p3c-host", auto=True)
    assert location == "p3c-vol,0,p3c-host"


def delete_what_was_created(client):
    """A volume with a snapshot and an export is refused; deleted in order, it is gone."""
    with pytest.raises(exceptions.HTTPConflict) as conflict:
        client.deleteVolume("p3c-vol")
    assert conflict.value.get_code() in (32, 34)
    client.deleteVLUN("p3c-vol", 0, "p3c-host")
    client.deleteHost("p3c-host")
    client.deleteVolume("p3c-snap")
    client.deleteVolume("p3c-vol")
    with pytest.raises(exceptions.HTTPNotFound) as missing:
        client.getVolume("p3c-vol")
    assert missing.value.get_code() == 23


def test_python_3parclient_full_cycle(sim):
    state_api = Api(sim)
    client = client_module.HPE3ParClient(sim.api_url, secure=sim.ca_path, timeout=10)
    version = client.getWsApiVersion()
    assert version["build"] >= 40000128 and client.is_primera_array()
    client.login(USER, PASSWORD)

    create_volume_snapshot_host_and_vlun(client)

    state = state_api.state()
    assert state["volumes"]["p3c-vol"]["provisioningType"] == 2        # P3C sends tpvv in Primera mode
    assert state["volumes"]["p3c-vol"]["comment"] == "interop"
    snap = state["volumes"]["p3c-snap"]
    assert snap["copyOf"] == "p3c-vol" and snap["copyType"] == 3 and snap["readOnly"] is True
    assert snap["dataId"] == state["volumes"]["p3c-vol"]["dataId"]
    assert state["hosts"]["p3c-host"]["iSCSIPaths"] == [{"name": IQN}]
    assert [(t["volumeName"], t["lun"], t["hostname"]) for t in state["vlun_templates"]] == [
        ("p3c-vol", 0, "p3c-host")]

    assert client.getVolumeSnapshots("p3c-vol") == ["p3c-snap"]
    assert client.getVolume("p3c-vol")["sizeMiB"] == 1024
    assert len(client.getHostVLUNs("p3c-host")) == 3                   # template + one per iSCSI port
    assert client.getCPGAvailableSpace("SSD_r6")["usableFreeMiB"] > 0

    # the client logs in again by itself after the array drops its session (403/6)
    state_api.sim_call("POST", "faults", {"expire_sessions": True})
    assert client.getVolume("p3c-vol")["name"] == "p3c-vol"

    delete_what_was_created(client)
    client.logout()

    state = state_api.state()
    assert state["volumes"] == {} and state["hosts"] == {} and state["vluns"] == []
    counters = state_api.counters()
    assert counters["logins"] == 3 and counters["logouts"] == 1 and counters["sessions_open"] == 0


# ---------------------------------------------------------------- sets, hosts and vLUNs through P3C
# Each call's documented errors are in its python-3parclient docstring (client.py); the numbers are the
# spec's (shared/spec/wsapi-v1.md §2.1) or, where it has none, the simulator README's Assumptions table.

TOO_LONG = "x" * 64                      # over every persona's set, volume and host name limit
WWN_COLONS, WWN_PLAIN = "50:01:43:80:23:1C:64:7A", "50014380231C647A"
IQN2 = "iqn.1993-08.org.debian:01:interop2"


@pytest.fixture
def p3c(sim):
    """python-3parclient logged in to the simulator; logged out afterwards."""
    client = client_module.HPE3ParClient(sim.api_url, secure=sim.ca_path, timeout=10)
    client.login(USER, PASSWORD)
    yield client
    client.logout()


def fails(exception, code, call, *args, **kwargs):
    """``call(*args, **kwargs)`` raises ``exception`` with WSAPI ``code``."""
    with pytest.raises(exception) as raised:
        call(*args, **kwargs)
    assert raised.value.get_code() == code, raised.value
    return raised.value


def test_p3c_volume_sets(p3c):
    """getVolumeSet, deleteVolumeSet: HTTPNotFound NON_EXISTENT_SET (102), also for a name too long to be a set;
    createVolumeSet: HTTPBadRequest EXISTENT_SET (101, DG T68); modifyVolumeSet: MEMBER_IN_SET (HTTPConflict),
    INV_INPUT_PARAM_CONFLICT (400/44); createSnapshotOfVolumeSet: HTTPNotFound EMPTY_SET (number: README)."""
    for name in ("vs-a", "vs-b"):
        p3c.createVolume(name, "SSD_r6", 1024, {"tpvv": True})
    p3c.createVolumeSet("vs", comment="interop", setmembers=["vs-a"])
    p3c.addVolumeToVolumeSet("vs", "vs-b")
    assert p3c.getVolumeSet("vs")["setmembers"] == ["vs-a", "vs-b"]
    assert p3c.findVolumeSet("vs-b") == "vs"
    fails(exceptions.HTTPConflict, 104, p3c.addVolumeToVolumeSet, "vs", "vs-a")
    fails(exceptions.HTTPNotFound, 23, p3c.addVolumeToVolumeSet, "vs", "missing")
    fails(exceptions.HTTPBadRequest, 101, p3c.createVolumeSet, "vs")
    fails(exceptions.HTTPBadRequest, 57, p3c.createVolumeSet, TOO_LONG)
    for name in ("missing", TOO_LONG):
        fails(exceptions.HTTPNotFound, 102, p3c.getVolumeSet, name)
        fails(exceptions.HTTPNotFound, 102, p3c.deleteVolumeSet, name)
    fails(exceptions.HTTPNotFound, 102, p3c.addVolumeToVolumeSet, "missing", "vs-a")
    fails(exceptions.HTTPBadRequest, 57, p3c.addVolumeToVolumeSet, TOO_LONG, "vs-a")     # a PUT: too long
    fails(exceptions.HTTPBadRequest, 44, p3c.modifyVolumeSet, "vs", action=1, newName="vs2", setmembers=["x"])
    p3c.createSnapshotOfVolumeSet("snap-@count@", "vs", {"readOnly": True})
    assert p3c.getVolume("snap-1")["copyOf"] == "vs-b"
    p3c.createVolumeSet("empty")
    fails(exceptions.HTTPNotFound, 110, p3c.createSnapshotOfVolumeSet, "e-@count@", "empty")
    fails(exceptions.HTTPNotFound, 102, p3c.createSnapshotOfVolumeSet, "e-@count@", "missing")
    p3c.removeVolumeFromVolumeSet("vs", "vs-a")
    fails(exceptions.HTTPNotFound, 105, p3c.removeVolumeFromVolumeSet, "vs", "vs-a")
    p3c.modifyVolumeSet("vs", newName="vs2")
    assert p3c.getVolumeSet("vs2")["setmembers"] == ["vs-b"]
    p3c.deleteVolumeSet("vs2")
    p3c.deleteVolumeSet("empty")
    assert p3c.getVolumeSets()["total"] == 0


def test_p3c_host_sets(p3c):
    """createHostSet returns the name from Location; getHostSet, deleteHostSet: NON_EXISTENT_SET (404/102);
    modifyHostSet: INV_INPUT_PARAM_CONFLICT (400/44), MEMBER_IN_SET (409); deleteHost of a host in a set:
    409/77 (README Assumptions); deleteHostSet of an exported set: EXPORTED_VLUN (409/26)."""
    p3c.createHost("hs-h1", iscsiNames=[IQN])
    p3c.createHost("hs-h2", iscsiNames=[IQN2])
    assert p3c.createHostSet("hs", comment="interop", setmembers=["hs-h1"]) == "hs"
    p3c.addHostToHostSet("hs", "hs-h2")
    assert p3c.getHostSet("hs")["setmembers"] == ["hs-h1", "hs-h2"]
    assert p3c.findHostSet("hs-h2") == "hs"
    fails(exceptions.HTTPConflict, 104, p3c.addHostToHostSet, "hs", "hs-h1")
    fails(exceptions.HTTPNotFound, 17, p3c.addHostToHostSet, "hs", "missing")
    for name in ("missing", TOO_LONG):
        fails(exceptions.HTTPNotFound, 102, p3c.getHostSet, name)
        fails(exceptions.HTTPNotFound, 102, p3c.deleteHostSet, name)
    fails(exceptions.HTTPBadRequest, 44, p3c.modifyHostSet, "hs", action=2, newName="hs2", setmembers=["hs-h1"])
    fails(exceptions.HTTPConflict, 77, p3c.deleteHost, "hs-h1")
    p3c.createVolume("hs-vol", "SSD_r6", 1024, {"tpvv": True})
    assert p3c.createVLUN("hs-vol", lun=4, hostname="set:hs") == "hs-vol,4,set:hs"
    fails(exceptions.HTTPConflict, 26, p3c.deleteHostSet, "hs")
    p3c.removeHostFromItsHostSet("hs-h2")
    p3c.removeHostFromHostSet("hs", "hs-h1")
    assert "setmembers" not in p3c.getHostSet("hs")
    assert p3c.createVLUN("hs-vol", hostname="hs-h1", auto=True) == "hs-vol,0,hs-h1"    # emptied set: no 500
    p3c.deleteVLUN("hs-vol", 4, "set:hs")
    p3c.deleteVLUN("hs-vol", 0, "hs-h1")
    p3c.deleteHostSet("hs")
    p3c.deleteHost("hs-h1")
    assert [host["name"] for host in p3c.getHosts()["members"]] == ["hs-h2"]


def test_p3c_hosts_paths(p3c):
    """createHost: FC WWNs with colons are stored as 16 hex digits (README Assumptions), EXISTENT_PATH (409/73),
    INV_INPUT_PARAM_CONFLICT (400/44); modifyHost: path add/remove, INV_INPUT_ONE_REQUIRED (400/78),
    NON_EXISTENT_PATH (404/80), body checked before the host (README); queryHost finds hosts by IQN / WWN."""
    host = p3c.createHost("fc-h", FCWwns=[WWN_COLONS], optional={"persona": 2})
    assert host["FCPaths"] == [{"wwn": WWN_PLAIN}]
    p3c.createHost("iscsi-h", iscsiNames=[IQN])
    fails(exceptions.HTTPConflict, 73, p3c.createHost, "other", FCWwns=[WWN_PLAIN])
    fails(exceptions.HTTPConflict, 73, p3c.createHost, "other", iscsiNames=[IQN])
    fails(exceptions.HTTPBadRequest, 44, p3c.createHost, "other", iscsiNames=[IQN2], FCWwns=["10000000C9000001"])
    fails(exceptions.HTTPBadRequest, 39, p3c.createHost, "other", FCWwns=["50:01:43"])
    added = "10:00:00:00:C9:00:00:02"
    p3c.modifyHost("fc-h", {"pathOperation": 1, "FCWWNs": [added]})
    assert p3c.getHost("fc-h")["FCPaths"] == [{"wwn": WWN_PLAIN}, {"wwn": "10000000C9000002"}]
    fails(exceptions.HTTPConflict, 73, p3c.modifyHost, "fc-h", {"pathOperation": 1, "iSCSINames": [IQN]})
    fails(exceptions.HTTPBadRequest, 78, p3c.modifyHost, "fc-h", {"FCWWNs": [added]})
    fails(exceptions.HTTPNotFound, 80, p3c.modifyHost, "fc-h", {"pathOperation": 2, "FCWWNs": ["10000000C9000003"]})
    p3c.modifyHost("fc-h", {"pathOperation": 2, "FCWWNs": [WWN_COLONS]})
    assert p3c.getHost("fc-h")["FCPaths"] == [{"wwn": "10000000C9000002"}]
    fails(exceptions.HTTPBadRequest, 44, p3c.modifyHost, "missing", {"pathOperation": 1, "FCWWNs": [added],
                                                                      "iSCSINames": [IQN2]})
    fails(exceptions.HTTPBadRequest, 69, p3c.modifyHost, "missing", {"newName": "bad name"})
    fails(exceptions.HTTPNotFound, 17, p3c.modifyHost, "missing", {"persona": 1})
    fails(exceptions.HTTPNotFound, 17, p3c.getHost, "missing")
    by_iqn = p3c.queryHost(iqns=[IQN, "iqn.none"])
    assert [item["name"] for item in by_iqn["members"]] == ["iscsi-h"]
    by_wwn = p3c.queryHost(wwns=["10000000C9000002"], iqns=[IQN])
    assert sorted(item["name"] for item in by_wwn["members"]) == ["fc-h", "iscsi-h"]
    assert p3c.queryHost(wwns=[WWN_PLAIN])["total"] == 0                                 # removed above
    p3c.modifyHost("fc-h", {"newName": "fc-h2", "persona": 1})
    assert p3c.getHost("fc-h2")["persona"] == 1
    p3c.deleteHost("fc-h2")
    p3c.deleteHost("iscsi-h")


def test_p3c_vluns(p3c):
    """createVLUN returns the id from Location; deleteVLUN: NON_EXISTENT_VLUN (404/19), a port the array lacks
    400/55 (spec §3.8, the mock; P3C: INV_INPUT_PORT_SELECTION is an HTTPBadRequest), NON_EXISTENT_HOST (404/17);
    getVLUN and getHostVLUNs read the listing by query."""
    p3c.createVolume("vl-vol", "SSD_r6", 1024, {"tpvv": True})
    p3c.createHost("vl-h", iscsiNames=[IQN])
    port = {"node": 1, "slot": 2, "cardPort": 1}
    assert p3c.createVLUN("vl-vol", lun=7, hostname="vl-h") == "vl-vol,7,vl-h"
    assert p3c.createVLUN("vl-vol", lun=8, portPos=port) == "vl-vol,8,,1:2:1"
    assert p3c.createVLUN("vl-vol", lun=9, hostname="vl-h", portPos=port) == "vl-vol,9,vl-h,1:2:1"
    fails(exceptions.HTTPConflict, 18, p3c.createVLUN, "vl-vol", lun=7, hostname="vl-h")
    fails(exceptions.HTTPNotFound, 20, p3c.createVLUN, "vl-vol", lun=10, hostname="vl-h",
          portPos={"node": 7, "slot": 7, "cardPort": 7})
    fails(exceptions.HTTPNotFound, 17, p3c.createVLUN, "vl-vol", lun=10, hostname="missing")
    assert p3c.getVLUN("vl-vol")["volumeName"] == "vl-vol"
    vluns = p3c.getHostVLUNs("vl-h")
    assert sorted({(v["lun"], v["type"]) for v in vluns}) == [(7, 3), (9, 4)]    # the port export names no host
    missing_port = {"node": 7, "slot": 7, "cardPort": 7}
    fails(exceptions.HTTPBadRequest, 55, p3c.deleteVLUN, "vl-vol", 8, port=missing_port)
    fails(exceptions.HTTPBadRequest, 55, p3c.deleteVLUN, "vl-vol", 9, "vl-h", port=missing_port)
    fails(exceptions.HTTPNotFound, 19, p3c.deleteVLUN, "vl-vol", 8, port={"node": 0, "slot": 2, "cardPort": 1})
    fails(exceptions.HTTPNotFound, 17, p3c.deleteVLUN, "vl-vol", 7, "missing")
    p3c.deleteVLUN("vl-vol", 8, port=port)
    p3c.deleteVLUN("vl-vol", 9, "vl-h", port=port)
    p3c.deleteVLUN("vl-vol", 7, "vl-h")
    fails(exceptions.HTTPNotFound, 19, p3c.deleteVLUN, "vl-vol", 7, "vl-h")
    with pytest.raises(exceptions.HTTPNotFound):
        p3c.getHostVLUNs("vl-h")                                 # P3C's own NON_EXISTENT_VLUNS once none is left
    p3c.deleteHost("vl-h")
    p3c.deleteVolume("vl-vol")
