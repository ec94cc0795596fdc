"""Transport (TLS, keep-alive, errors, routes) and sessions."""

import http.client
import json
import socket
import ssl
import time

import pytest
import requests

from sim_support import PASSWORD, USER, Api, assert_error


def test_tls_verified_with_generated_ca_and_refused_without(sim):
    resp = requests.get(sim.url + "/api", verify=sim.ca_path, timeout=5)
    assert resp.status_code == 200
    assert resp.headers["Server"] == "hp3par-wsapi"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sim.url + "/api", timeout=5)
    # the certificate names the loopback addresses and localhost
    resp = requests.get("https://localhost:%d/api" % sim.port, verify=sim.ca_path, timeout=5)
    assert resp.status_code == 200


def test_certificates_are_reused_when_valid(make_sim, tls_dir):
    first = make_sim()
    with open(first.ca_path, encoding="ascii") as handle:
        ca_before = handle.read()
    second = make_sim()
    with open(second.ca_path, encoding="ascii") as handle:
        assert handle.read() == ca_before
    assert requests.get(first.url + "/api", verify=second.ca_path, timeout=5).status_code == 200


def test_plain_http_only_when_asked(make_sim):
    sim = make_sim(tls=False)
    assert sim.url.startswith("http://")
    assert sim.ca_path is None
    assert requests.get(sim.url + "/api", timeout=5).json()["major"] == 1


def test_api_version_with_and_without_session(api):
    anonymous = requests.get(api.sim.url + "/api", verify=api.sim.ca_path, timeout=5).json()
    assert set(anonymous) == {"major", "minor", "revision", "build"}
    assert anonymous["build"] >= 40000128          # alletra-mp persona: P3C's Primera mode
    with_key = api.http.get(api.sim.url + "/api", headers={"X-HP3PAR-WSAPI-SessionKey": api.key}).json()
    assert with_key == anonymous


def test_keep_alive_serves_many_requests_on_one_connection(sim):
    context = ssl.create_default_context(cafile=sim.ca_path)
    conn = http.client.HTTPSConnection("127.0.0.1", sim.port, context=context, timeout=5)
    conn.request("POST", "/api/v1/credentials", body=json.dumps({"user": USER, "password": PASSWORD}),
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    key = json.loads(resp.read())["key"]
    sock = conn.sock
    for _ in range(5):
        conn.request("GET", "/api/v1/cpgs", headers={"X-HP3PAR-WSAPI-SessionKey": key})
        resp = conn.getresponse()
        assert resp.status == 200
        assert json.loads(resp.read())["total"] == 2
        assert conn.sock is sock
    conn.close()


def test_login_logout_and_invalid_keys(sim):
    api = Api(sim, login=False)
    resp = api.login()
    assert resp.status_code == 201
    assert resp.headers["Location"] == "/api/v1/credentials/" + resp.json()["key"]
    assert_error(api.login(password="wrong"), 403, 5)
    assert_error(api.http.post(sim.api_url + "/credentials", json={"user": USER}), 400, 40, "password")
    assert_error(api.http.post(sim.api_url + "/credentials", json={"user": USER, "password": PASSWORD, "x": 1}),
                 400, 12, "x")
    assert_error(api.http.post(sim.api_url + "/credentials", json={"user": 5, "password": PASSWORD}), 400, 39, "user")
    # missing header, unknown key
    assert_error(api.http.get(sim.api_url + "/volumes"), 403, 6)
    assert_error(api.http.get(sim.api_url + "/volumes", headers={"X-HP3PAR-WSAPI-SessionKey": "0-nope"}), 403, 6)
    # header name is case-insensitive
    for name in ("X-HP3PAR-WSAPI-SessionKey", "X-Hp3Par-Wsapi-Sessionkey", "x-hp3par-wsapi-sessionkey"):
        assert api.http.get(sim.api_url + "/volumes", headers={name: api.key}).status_code == 200
    # logout: 200, empty body; the key is dead afterwards
    resp = api.http.delete(sim.api_url + "/credentials/" + api.key)
    assert resp.status_code == 200 and resp.content == b""
    assert_error(api.get("/volumes"), 403, 6)
    assert_error(api.http.delete(sim.api_url + "/credentials/" + api.key), 403, 6)
    counters = api.counters()
    assert counters["logins"] == 1 and counters["logouts"] == 1 and counters["login_failures"] == 1
    assert counters["sessions_open"] == 0


def test_idle_expiry_and_relogin(make_sim):
    sim = make_sim(session_idle_timeout=0.3)
    api = Api(sim)
    assert api.get("/volumes").status_code == 200
    time.sleep(0.2)
    assert api.get("/volumes").status_code == 200      # use refreshes the idle timer
    time.sleep(0.2)
    assert api.get("/volumes").status_code == 200
    time.sleep(0.45)
    assert_error(api.get("/volumes"), 403, 6)
    assert api.login().status_code == 201
    assert api.get("/volumes").status_code == 200
    counters = api.counters()
    assert counters["sessions_expired"] == 1 and counters["sessions_open"] == 1


def test_session_limit_answers_503_31_and_frees_on_logout(make_sim):
    sim = make_sim(session_limit=2)
    first, second = Api(sim), Api(sim)
    third = Api(sim, login=False)
    assert_error(third.login(), 503, 31)
    assert first.get("/wsapiconfiguration").json()["sessionsInUse"] == 2
    assert first.http.delete(sim.api_url + "/credentials/" + first.key).status_code == 200
    assert third.login().status_code == 201
    assert second.get("/wsapiconfiguration").json()["sessionsInUse"] == 2


def test_error_shapes_and_routes(api):
    assert_error(api.get("/nothing/here"), 404, 11)
    assert_error(api.call("PATCH", "/volumes"), 501, 9)
    assert_error(api.call("DELETE", "/system"), 501, 9)
    resp = api.call("POST", "/volumes", data=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(resp, 400, 60)
    assert_error(api.post("/volumes", [1, 2]), 400, 52)
    # raw spaces and quotes in the query string still parse
    raw = socket.create_connection(("127.0.0.1", api.sim.port))
    tls = ssl.create_default_context(cafile=api.sim.ca_path).wrap_socket(raw, server_hostname="127.0.0.1")
    tls.sendall(('GET /api/v1/volumes?query="copyOf EQ x" HTTP/1.1\r\nHost: a\r\n'
                 'X-HP3PAR-WSAPI-SessionKey: %s\r\nConnection: close\r\n\r\n' % api.key).encode())
    data = b""
    while True:
        chunk = tls.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"HTTP/1.1 200")
    assert data.endswith(b'{"total": 0, "members": []}')


def test_system_and_wsapi_configuration(api):
    system = api.get("/system").json()
    for field in ("id", "name", "systemVersion", "IPv4Addr", "model", "serialNumber", "totalNodes", "masterNode",
                  "onlineNodes", "clusterNodes", "chunkletSizeMiB", "totalCapacityMiB", "allocatedCapacityMiB",
                  "freeCapacityMiB", "failedCapacityMiB", "location", "owner", "contact", "comment", "timeZone"):
        assert field in system, field
    assert system["systemVersion"].startswith("10.")
    config = api.get("/wsapiconfiguration").json()
    assert config["sessionsInUse"] == 1 and config["httpsState"] == 1 and config["httpsPort"] == api.sim.port
    capacity = api.get("/capacity").json()
    assert {"allCapacity", "FCCapacity", "NLCapacity", "SSDCapacity"} <= set(capacity)


@pytest.mark.parametrize("persona,version,build_ok,model", [
    ("3par", "3.3.", False, "3PAR"), ("primera", "4.5.", True, "Primera"), ("alletra-mp", "10.4.", True, "Alletra")])
def test_personas(make_sim, persona, version, build_ok, model):
    api = Api(make_sim(persona=persona))
    system = api.get("/system").json()
    assert system["systemVersion"].startswith(version) and model in system["model"]
    assert (api.http.get(api.sim.url + "/api").json()["build"] >= 40000128) is build_ok
