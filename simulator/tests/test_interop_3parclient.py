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
