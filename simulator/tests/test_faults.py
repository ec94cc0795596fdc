"""Fault kinds late_ms, task_ms, expire_session and reset; session keys kept out of counters and the debug log;
names validated with full matches."""

import errno
import json
import socket
import ssl
import threading
import time

import pytest
import requests

from sim_support import Api, assert_error

VOLUME = {"name": "v", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True}


def _arm(api, **fault):
    resp = api.sim_call("POST", "faults", dict({"method": "POST", "path": "/api/v1/volumes", "count": 1}, **fault))
    assert resp.status_code == 200, resp.text
    return resp.json()


def _post_volume(api, timeout, body=None):
    return api.http.post(api.sim.api_url + "/volumes", json=body or VOLUME, timeout=timeout,
                         headers={"X-HP3PAR-WSAPI-SessionKey": api.key})


def _causes(err):
    """The exception and what it wraps (requests ConnectionError -> urllib3 ProtocolError -> OSError)."""
    seen = []
    while err is not None and len(seen) < 20:
        seen.append(err)
        wrapped = [arg for arg in err.args if isinstance(arg, BaseException)]
        err = err.__cause__ or err.__context__ or (wrapped[-1] if wrapped else None)
    return seen


def _raw_tls_post_volume(sim, key):
    """POST /volumes over TLS driven by hand (MemoryBIO), then read the bare TCP socket: what reaches the wire."""
    context = ssl.create_default_context(cafile=sim.ca_path)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as raw:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                raw.sendall(outgoing.read())
                incoming.write(raw.recv(65536))
        body = json.dumps(VOLUME).encode()
        tls.write(b"POST /api/v1/volumes HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                  b"X-HP3PAR-WSAPI-SessionKey: %s\r\n\r\n%s" % (len(body), key.encode(), body))
        raw.sendall(outgoing.read())
        while raw.recv(65536):            # TLS 1.3 session tickets, then the RST (or b"" after a FIN)
            pass


def test_late_answer_times_out_after_the_array_acted(api):
    _arm(api, late_ms=800)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        _post_volume(api, timeout=0.3)
    assert time.monotonic() - started < 0.8
    assert "v" in api.state()["volumes"]                   # processed; only its answer was late
    assert api.get("/volumes/v").status_code == 200
    assert api.sim_call("GET", "faults").json()["faults"] == []


def test_late_answer_does_not_hold_other_requests(sim, api):
    _arm(api, late_ms=1500)
    late = {}

    def slow():
        client = Api(sim, login=False)
        client.key = api.key
        started = time.monotonic()
        late["resp"] = _post_volume(client, timeout=5)
        late["seconds"] = time.monotonic() - started
        client.http.close()

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)
    other = Api(sim)
    started = time.monotonic()
    assert other.get("/volumes/v").status_code == 200        # already created while its answer waits
    assert other.get("/cpgs").status_code == 200
    assert time.monotonic() - started < 1.0
    thread.join(timeout=10)
    assert late["resp"].status_code == 201 and late["seconds"] >= 1.5
    other.http.close()


def test_expire_session_expires_only_the_carried_session(sim, api):
    other = Api(sim)
    _arm(api, expire_session=True)
    assert_error(api.post("/volumes", VOLUME), 403, 6)
    assert "v" not in api.state()["volumes"]                 # refused, not processed
    assert other.get("/cpgs").status_code == 200
    counters = api.counters()
    assert counters["sessions_expired"] == 1 and counters["sessions_open"] == 1
    assert_error(api.get("/cpgs"), 403, 6)                   # the session is gone, not just one request
    assert other.post("/volumes", VOLUME).status_code == 201  # count 1: used up
    other.http.close()


def test_expire_session_on_logout_answers_403_6(api):
    _arm(api, method="DELETE", path="/api/v1/credentials/*", expire_session=True)
    assert_error(api.delete("/credentials/" + api.key), 403, 6)
    counters = api.counters()
    assert counters["sessions_expired"] == 1 and counters["logouts"] == 0 and counters["sessions_open"] == 0


def test_reset_aborts_the_connection_unprocessed(api):
    _arm(api, reset=True)
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        _post_volume(api, timeout=5)
    # Over TLS Python's ssl reports the RST as a ragged EOF: http.client's RemoteDisconnected (a ConnectionResetError).
    assert any(isinstance(err, ConnectionResetError) for err in _causes(caught.value)), repr(caught.value)
    assert "v" not in api.state()["volumes"]
    assert api.post("/volumes", VOLUME).status_code == 201   # next request, new connection, fault used up


def test_reset_sends_a_tcp_rst(api):
    _arm(api, reset=True)
    with pytest.raises(ConnectionResetError):
        _raw_tls_post_volume(api.sim, api.key)
    _arm(api, drop=True)
    _raw_tls_post_volume(api.sim, api.key)                  # drop: a plain close (FIN), no reset
    assert "v" not in api.state()["volumes"]


def test_reset_over_plain_http_is_econnreset(make_sim):
    api = Api(make_sim(tls=False))
    _arm(api, reset=True)
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        _post_volume(api, timeout=5)
    assert [err.errno for err in _causes(caught.value) if isinstance(err, ConnectionResetError)] == [errno.ECONNRESET]
    assert "v" not in api.state()["volumes"]
    api.http.close()


def test_task_ms_makes_only_the_task_of_that_request_run_long(api):
    """A real array's tasks last as long as their data takes: one copy can outlive a client's wait while the others end."""
    api.sim_call("POST", "config", {"task_seconds": 0})
    for name in ("src", "dst1", "dst2"):
        api.create_volume(name)
    _arm(api, method="POST", path="/api/v1/volumes/src", task_ms=30000)
    copy = {"action": "createPhysicalCopy", "parameters": {"destVolume": "dst1"}}
    long_task = api.post("/volumes/src", copy).json()["taskid"]
    assert api.sim_call("GET", "faults").json()["faults"] == []
    assert api.get("/tasks/%d" % long_task).json()["status"] == 2
    assert api.sim_call("GET", "config").json()["task_seconds"] == 0        # the setting is untouched
    other = api.post("/volumes/dst2", {"action": "createPhysicalCopy", "parameters": {"destVolume": "dst1"}})
    assert_error(other, 409, 151)                                         # dst1 is still busy in the long task
    short_task = api.post("/volumes/dst2", {"action": "createSnapshot", "parameters": {"name": "s"}})
    assert short_task.status_code == 201
    assert api.wait_task(api.put("/volumes/s", {"action": 4}).json()["taskid"])["status"] == 1
    assert api.get("/tasks/%d" % long_task).json()["status"] == 2


def test_matched_faults_are_listed_with_their_fields(api):
    _arm(api, late_ms=250, count=2)
    _arm(api, method="get", path="/api/v1/cpgs*", expire_session=True)
    _arm(api, method="PUT", path="/api/v1/volumes/*", task_ms=5000)
    listed = _arm(api, method="DELETE", path="*", count=3, reset=True)["faults"]
    assert [(f["method"], f["path"], f["count"], f["late_ms"], f["task_ms"], f["expire_session"], f["reset"])
            for f in listed] == [
        ("POST", "/api/v1/volumes", 2, 250, None, False, False),
        ("GET", "/api/v1/cpgs*", 1, None, None, True, False),
        ("PUT", "/api/v1/volumes/*", 1, None, 5000, False, False),
        ("DELETE", "*", 3, None, None, False, True)]
    assert api.sim_call("GET", "faults").json()["faults"] == listed
    assert [f["reset"] for f in api.sim_call("DELETE", "faults").json()["faults"]] == []


@pytest.mark.parametrize("fault, status, code, ref", [
    ({"late_ms": 0}, 400, 43, "late_ms"),
    ({"late_ms": -5}, 400, 43, "late_ms"),
    ({"late_ms": "800"}, 400, 39, "late_ms"),
    ({"late_ms": True}, 400, 39, "late_ms"),
    ({"late_ms": None}, 400, 40, "late_ms"),
    ({"late_ms": 100, "count": 0}, 400, 43, "count"),
    ({"late_ms": 100, "drop": True}, 400, 12, "drop"),
    ({"task_ms": 0}, 400, 43, "task_ms"),
    ({"task_ms": "5"}, 400, 39, "task_ms"),
    ({"task_ms": 5, "late_ms": 5}, 400, 12, "task_ms"),
    ({"reset": "yes"}, 400, 39, "reset"),
    ({"reset": 1}, 400, 39, "reset"),
    ({"reset": False}, 400, 43, "reset"),
    ({"reset": True, "status": 500}, 400, 12, "status"),
    ({"expire_session": "true"}, 400, 39, "expire_session"),
    ({"expire_session": False}, 400, 43, "expire_session"),
    ({"expire_session": True, "path": 5}, 400, 39, "path"),
    ({"expire_session": True, "late_ms": 5}, 400, 12, "expire_session"),
    ({"status": 500, "code": 1, "skip": -1}, 400, 43, "skip"),
    ({"drop": True, "skip": "2"}, 400, 39, "skip"),
])
def test_bad_matched_faults_are_refused(api, fault, status, code, ref):
    assert_error(api.sim_call("POST", "faults", fault), status, code, ref)
    assert api.sim_call("GET", "faults").json() == {"faults": [], "latency_ms": 0}
    assert api.post("/volumes", VOLUME).status_code == 201


def test_session_keys_are_not_counted(sim, api):
    client = Api(sim)
    key = client.key
    assert client.get("/cpgs").status_code == 200
    assert client.delete("/credentials/" + key).status_code == 200
    raw = client.http.delete(sim.api_url + "/credentials%2F" + api.key, timeout=10)   # no such route: 403/6
    assert raw.status_code == 403
    client.http.close()
    requests_seen = api.counters()["requests"]
    assert not [name for name in requests_seen if key in name or api.key in name], requests_seen
    assert requests_seen["DELETE /api/v1/credentials/<key>"] == 2
    assert requests_seen["POST /api/v1/credentials"] == 2


def test_session_keys_are_not_in_the_debug_log(sim, monkeypatch, capfd):
    monkeypatch.setenv("ALLETRA_SIM_DEBUG", "1")
    client = Api(sim)
    key = client.key
    assert client.get("/cpgs").status_code == 200
    assert client.delete("/credentials/" + key).status_code == 200
    assert client.http.delete(sim.api_url + "/credentials%2F" + key + "?x=1", timeout=10).status_code == 403
    client.http.close()
    _out, err = capfd.readouterr()
    lines = [line for line in err.splitlines() if line.startswith("alletra-sim ")]
    assert any("GET /api/v1/cpgs" in line for line in lines), err
    assert any('"DELETE /api/v1/credentials/<key> HTTP/1.1" 200' in line for line in lines), err
    assert key not in err


@pytest.mark.parametrize("path, body", [
    ("/volumes", dict(VOLUME, name="vol1\n")),
    ("/volumesets", {"name": "pool\n"}),
    ("/hostsets", {"name": "pool\n"}),
    ("/hosts", {"name": "host1\n", "iSCSINames": ["iqn.2000-01.x:h"]}),
    ("/cpgs", {"name": "cpg1\n"}),
])
def test_names_with_a_trailing_newline_are_refused(api, path, body):
    assert_error(api.post(path, body), 400, 69, "name")
    assert api.get(path).json()["total"] == (2 if path == "/cpgs" else 0)


def test_skip_lets_the_first_matches_pass(api):
    """``skip: 2`` strikes the third matching request, not the first."""
    api.sim_call("POST", "faults", {"method": "GET", "path": "/api/v1/cpgs", "skip": 2, "status": 503, "code": 31})
    assert [api.get("/cpgs").status_code for _ in range(4)] == [200, 200, 503, 200]
    assert api.sim_call("GET", "faults").json()["faults"] == []
