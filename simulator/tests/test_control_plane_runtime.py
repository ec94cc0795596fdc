"""Control plane, fault injection, persistence, concurrency and the console script."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from alletra_sim import Simulator
from sim_support import PASSWORD, USER, Api, assert_error


def test_reset_seed_state_config(api):
    api.create_volume("v")
    api.sim_call("POST", "volumes/v/write", {"usedMiB": 10})
    state = api.state()
    assert state["volumes"]["v"]["dataId"] and state["config"]["task_seconds"] == 0.2
    assert [session["user"] for session in state["sessions"]] == [USER]
    seed = {"cpgs": [{"name": "FC_r5", "capacityMiB": 1000}],
            "ports": [{"portPos": {"node": 2, "slot": 2, "cardPort": 1}, "mode": 2, "linkState": 4, "protocol": 2,
                       "IPAddr": "127.0.0.13", "iSCSIName": "iqn.2000-05.com.3pardata:x", "iSCSIPortInfo": {"vlan": 0}}],
            "system": {"name": "array-b"}}
    assert api.sim_call("POST", "seed", seed).status_code == 200
    assert api.get("/cpgs/FC_r5").json()["name"] == "FC_r5"
    assert api.get("/system").json()["name"] == "array-b"
    assert len([p for p in api.get("/ports").json()["members"] if p["protocol"] == 2]) == 3
    assert api.sim_call("POST", "config", {"session_idle_timeout": 100, "session_limit": 5, "task_seconds": 0.1}
                        ).json()["session_limit"] == 5
    assert_error(api.sim_call("POST", "config", {"bogus": 1}), 400, 12)
    resp = api.sim_call("POST", "reset", {"persona": "3par"})
    assert resp.json() == {"persona": "3par"}
    state = api.state()
    assert state["volumes"] == {} and sorted(state["cpgs"]) == ["SSD_r1", "SSD_r6"]
    assert state["system"]["systemVersion"].startswith("3.3")
    assert api.counters()["requests_total"] == 0
    assert api.get("/volumes").status_code == 200          # sessions survive a reset
    assert_error(api.sim_call("POST", "volumes/none/write", {}), 404, 23)


def test_counters_count_method_and_path(api):
    api.sim_call("POST", "counters/reset")
    api.get("/volumes?query=x==y")
    api.get("/volumes")
    api.get("/volumes/nothing")
    counters = api.counters()
    assert counters["requests"] == {"GET /api/v1/volumes": 2, "GET /api/v1/volumes/nothing": 1}
    assert counters["requests_total"] == 3 and counters["sessions_open"] == 1


def test_faults_fail_drop_latency_expire(api):
    fault = {"method": "GET", "path": "/api/v1/volumes*", "count": 2, "status": 503, "code": 31, "desc": "busy"}
    assert api.sim_call("POST", "faults", fault).status_code == 200
    assert_error(api.get("/volumes"), 503, 31)
    assert_error(api.get("/volumes/x"), 503, 31)
    assert api.get("/volumes").status_code == 200
    assert api.post("/volumes", {"name": "v", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True}).status_code == 201
    api.sim_call("POST", "faults", {"method": "POST", "path": "/api/v1/volumes", "count": 1, "drop": True})
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/volumes", {"name": "w", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
    assert "w" not in api.state()["volumes"]                             # dropped before it was processed
    api.sim_call("POST", "faults", {"method": "POST", "path": "/api/v1/volumes", "count": 1, "lose_answer": True})
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/volumes", {"name": "w", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
    assert "w" in api.state()["volumes"]                                 # processed, its answer lost
    api.sim_call("POST", "faults", {"latency_ms": 300})
    started = time.time()
    api.get("/cpgs")
    assert time.time() - started >= 0.3
    api.sim_call("POST", "faults", {"method": "*", "path": "*", "count": 5, "status": 500, "code": 1})
    assert api.sim_call("DELETE", "faults").json() == {"faults": [], "latency_ms": 0}
    assert api.get("/cpgs").status_code == 200
    api.sim_call("POST", "faults", {"expire_sessions": True})
    assert_error(api.get("/cpgs"), 403, 6)
    assert api.counters()["sessions_expired"] == 1


@pytest.mark.parametrize("fault", [{"latency_ms": -5}, {"status": 200, "code": 1}, {"status": 999, "code": 1},
                                   {"drop": True, "count": 0}])
def test_bad_faults_are_refused(api, fault):
    assert_error(api.sim_call("POST", "faults", fault), 400, 43)
    assert api.sim_call("GET", "faults").json() == {"faults": [], "latency_ms": 0}
    assert api.get("/cpgs").status_code == 200


def test_persistence_round_trip(make_sim, tmp_path):
    path = str(tmp_path / "state.json")
    sim = make_sim(state_file=path)
    api = Api(sim)
    api.create_volume("v1", 2048)
    api.snapshot("v1", "s1")
    api.post("/hosts", {"name": "h", "iSCSINames": ["iqn.2000-01.x:h"]})
    api.post("/vluns", {"volumeName": "v1", "hostname": "h", "lun": 4})
    api.post("/volumesets", {"name": "set1", "setmembers": ["v1"]})
    before = api.state()
    with open(path, encoding="utf-8") as handle:
        assert "v1" in json.load(handle)["db"]["volumes"]
    sim.stop()
    again = make_sim(state_file=path)
    api2 = Api(again)
    after = api2.state()
    for key in ("volumes", "hosts", "volumesets", "vlun_templates", "cpgs"):
        assert after[key] == before[key], key
    api2.create_volume("v2")
    assert api2.get("/volumes/v2").json()["id"] not in (before["volumes"]["v1"]["id"], before["volumes"]["s1"]["id"])
    assert not [name for name in os.listdir(tmp_path) if name != "state.json"]     # no temp files left behind


def test_concurrent_clients_create_and_delete(sim):
    errors = []

    def worker(index):
        try:
            client = Api(sim)
            for round_ in range(8):
                name = "t%d-%d" % (index, round_)
                assert client.post("/volumes", {"name": name, "cpg": "SSD_r6", "sizeMiB": 256,
                                                "tpvv": True}).status_code == 201
                if round_ % 2:
                    assert client.delete("/volumes/" + name).status_code == 200
        except Exception as err:  # pylint: disable=broad-except
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    api = Api(sim)
    volumes = api.get("/volumes").json()
    names = sorted(member["name"] for member in volumes["members"])
    assert names == sorted("t%d-%d" % (index, round_) for index in range(6) for round_ in range(0, 8, 2))
    assert volumes["total"] == 24
    ids = [member["id"] for member in volumes["members"]]
    assert len(set(ids)) == len(ids)
    assert api.counters()["requests"]["POST /api/v1/volumes"] == 48


def test_cli_starts_fast_serves_and_stops_on_sigterm(tmp_path):
    tls_dir = str(tmp_path / "tls")
    state_file = str(tmp_path / "state.json")
    cmd = [sys.executable, "-m", "alletra_sim.cli", "--listen", "127.0.0.1:0", "--tls-dir", tls_dir,
           "--user", USER, "--password", PASSWORD, "--state-file", state_file, "--persona", "primera",
           "--task-seconds", "0.1"]
    started = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        elapsed = time.time() - started
        assert "listening on https://127.0.0.1:" in line and os.path.join(tls_dir, "ca.pem") in line
        assert elapsed < 2.0, elapsed
        url = line.split()[3]
        resp = requests.get(url + "/api", verify=os.path.join(tls_dir, "ca.pem"), timeout=5)
        assert resp.json()["build"] >= 40000128
        session = requests.Session()
        session.trust_env = False
        session.verify = os.path.join(tls_dir, "ca.pem")
        key = session.post(url + "/api/v1/credentials", json={"user": USER, "password": PASSWORD}).json()["key"]
        assert session.post(url + "/api/v1/volumes", json={"name": "cli", "cpg": "SSD_r6", "sizeMiB": 512,
                                                            "tpvv": True},
                            headers={"X-HP3PAR-WSAPI-SessionKey": key}).status_code == 201
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    with open(state_file, encoding="utf-8") as handle:
        assert "cli" in json.load(handle)["db"]["volumes"]


def test_two_simulators_are_independent(make_sim):
    first, second = Api(make_sim()), Api(make_sim())
    first.create_volume("only-here")
    first.create_volume("same")
    second.create_volume("same")
    assert "only-here" not in second.state()["volumes"]
    assert first.get("/system").json()["serialNumber"] != second.get("/system").json()["serialNumber"]
    assert first.get("/volumes/same").json()["wwn"] != second.get("/volumes/same").json()["wwn"]


def test_simulator_context_manager_plain_http(tmp_path):
    with Simulator(port=0, tls=False, user="u", password="p") as sim:
        assert requests.get(sim.url + "/api", timeout=5).status_code == 200


def test_stop_ends_kept_alive_connections(make_sim):
    sim = make_sim()
    api = Api(sim)
    assert api.get("/cpgs").status_code == 200          # a pooled keep-alive connection now exists
    sim.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("/cpgs")
