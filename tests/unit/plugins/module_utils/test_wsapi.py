# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The WSAPI client against a live simulator: sessions, errors, retries, TLS, tasks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import socket

import certifi
import pytest

from ansible_collections.alletra.storage.plugins.module_utils import wsapi

PASSWORD = "s3cret-Pa55"


def client_for(sim, **kwargs):
    options = dict(ca_path=sim.ca_path, timeout=5, retries=3, backoff=0.01)
    options.update(kwargs)
    return wsapi.WsapiClient(sim.url, sim.user, sim.password, **options)


def writes(counters):
    """Requests that could have changed the array (logins and logouts aside)."""
    return dict((key, count) for key, count in counters["requests"].items()
                if not key.startswith(("GET ", "POST /api/v1/credentials", "DELETE /api/v1/credentials")))


def test_session_is_opened_once_and_always_deleted(sim, sim_admin):
    with client_for(sim) as client:
        client.request("GET", "/system")
        client.request("GET", "/cpgs")
        assert sim_admin.counters()["sessions_open"] == 1
    counters = sim_admin.counters()
    assert counters["logins"] == 1
    assert counters["logouts"] == 1
    assert counters["sessions_open"] == 0


def test_session_is_deleted_when_the_caller_fails(sim, sim_admin):
    with pytest.raises(RuntimeError):
        with client_for(sim) as client:
            client.request("GET", "/system")
            raise RuntimeError("caller failed")
    assert sim_admin.counters()["sessions_open"] == 0


def test_expired_session_logs_in_again_once(sim, sim_admin):
    with client_for(sim) as client:
        client.request("GET", "/system")
        sim_admin.faults({"expire_sessions": True})
        assert client.request("GET", "/system")["name"]
    counters = sim_admin.counters()
    assert counters["logins"] == 2
    assert counters["sessions_open"] == 0


def test_missing_object_is_a_typed_error(sim):
    with client_for(sim) as client:
        with pytest.raises(wsapi.WsapiError) as caught:
            client.request("GET", "/volumes/no-such-volume")
        assert caught.value.status == 404
        assert caught.value.code == wsapi.NON_EXISTENT_VOL
        assert "no-such-volume" in str(caught.value)
        assert client.get_or_none("/volumes/no-such-volume", wsapi.NON_EXISTENT_VOL) is None


def test_wrong_password_is_refused_and_never_shown(sim, sim_admin):
    client = wsapi.WsapiClient(sim.url, sim.user, PASSWORD, ca_path=sim.ca_path, timeout=5)
    with pytest.raises(wsapi.WsapiError) as caught:
        with client:
            client.request("GET", "/system")
    assert caught.value.status == 403 and caught.value.code == wsapi.INV_USER_PASS
    assert PASSWORD not in str(caught.value) and PASSWORD not in repr(caught.value.as_dict())
    assert sim_admin.counters()["sessions_open"] == 0


def test_idempotent_request_is_retried_after_server_errors(sim, sim_admin):
    with client_for(sim) as client:
        client.request("GET", "/system")
        sim_admin.faults({"method": "GET", "path": "/api/v1/cpgs", "count": 2, "status": 503, "code": 1, "desc": "busy"})
        assert client.members("/cpgs")
    assert sim_admin.counters()["requests"]["GET /api/v1/cpgs"] == 3


def test_retries_are_bounded(sim, sim_admin):
    with client_for(sim, retries=2) as client:
        sim_admin.faults({"method": "GET", "path": "/api/v1/cpgs", "count": 10, "status": 503, "code": 1, "desc": "busy"})
        with pytest.raises(wsapi.WsapiError) as caught:
            client.members("/cpgs")
    assert caught.value.status == 503
    assert sim_admin.counters()["requests"]["GET /api/v1/cpgs"] == 3


def test_post_is_not_repeated_after_a_server_error(sim, sim_admin):
    with client_for(sim) as client:
        sim_admin.faults({"method": "POST", "path": "/api/v1/volumesets", "count": 1, "status": 503, "code": 1, "desc": "busy"})
        with pytest.raises(wsapi.WsapiError) as caught:
            client.request("POST", "/volumesets", {"name": "pool1"})
        assert caught.value.status == 503
        assert client.get_or_none("/volumesets/pool1", wsapi.NON_EXISTENT_SET) is None
    assert sim_admin.counters()["requests"]["POST /api/v1/volumesets"] == 1


def test_post_whose_answer_was_lost_is_not_repeated(sim, sim_admin):
    with client_for(sim) as client:
        client.request("GET", "/system")
        sim_admin.faults({"method": "POST", "path": "/api/v1/volumesets", "count": 1, "drop": True})
        with pytest.raises(wsapi.WsapiError) as caught:
            client.request("POST", "/volumesets", {"name": "pool1"})
        assert caught.value.status is None
        assert "no answer" in str(caught.value)
    assert sim_admin.counters()["requests"]["POST /api/v1/volumesets"] == 1


def test_get_whose_connection_dropped_is_retried(sim, sim_admin):
    with client_for(sim) as client:
        client.request("GET", "/system")
        sim_admin.faults({"method": "GET", "path": "/api/v1/cpgs", "count": 1, "drop": True})
        assert client.members("/cpgs")
    assert sim_admin.counters()["requests"]["GET /api/v1/cpgs"] == 2


def test_delete_whose_answer_was_lost_is_done_when_the_retry_finds_nothing(sim, sim_admin):
    with client_for(sim) as client:
        client.request("POST", "/volumes", {"name": "v1", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
        sim_admin.faults({"method": "DELETE", "path": "/api/v1/volumes/v1", "count": 1, "lose_answer": True})
        assert client.request("DELETE", "/volumes/v1") is None
        assert client.get_or_none("/volumes/v1", wsapi.NON_EXISTENT_VOL) is None
        with pytest.raises(wsapi.WsapiError) as caught:
            client.request("DELETE", "/volumes/v1")
        assert caught.value.code == wsapi.NON_EXISTENT_VOL
    assert sim_admin.counters()["requests"]["DELETE /api/v1/volumes/v1"] == 3


def test_slow_array_times_out_with_a_clear_message(sim, sim_admin):
    sim_admin.faults({"latency_ms": 1500})
    client = client_for(sim, timeout=0.5, retries=1)
    with pytest.raises(wsapi.WsapiError) as caught:
        with client:
            client.request("GET", "/system")
    assert "no answer" in str(caught.value)


def test_unreachable_array_is_retried_then_reported():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = wsapi.WsapiClient("https://127.0.0.1:%d" % port, "u", PASSWORD, timeout=2, retries=2, backoff=0.01)
    with pytest.raises(wsapi.WsapiError) as caught:
        with client:
            client.request("POST", "/volumes", {"name": "v"})
    assert "no answer from https://127.0.0.1:%d" % port in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_certificate_is_verified_by_default(sim, sim_admin):
    client = wsapi.WsapiClient(sim.url, sim.user, sim.password, timeout=5)
    with pytest.raises(wsapi.WsapiError) as caught:
        with client:
            client.request("GET", "/system")
    assert "ca_path" in str(caught.value) and "validate_certs" in str(caught.value)
    assert sim_admin.counters()["logins"] == 0


def test_without_ca_path_the_systems_trust_store_is_used(sim, sim_admin, monkeypatch):
    # SSL_CERT_FILE moves OpenSSL's default store: here, to the simulator's CA.
    monkeypatch.setenv("SSL_CERT_FILE", sim.ca_path)
    with wsapi.WsapiClient(sim.url, sim.user, sim.password, timeout=5) as client:
        assert client.request("GET", "/system")["name"]
    assert sim_admin.counters()["logins"] == 1


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_ca_path_wins_over_a_ca_bundle_in_the_environment(sim, sim_admin, monkeypatch, variable):
    # requests would let these variables replace a Session-level verify and ignore ca_path: the
    # public CA bundle does not know the simulator's CA.
    monkeypatch.setenv(variable, certifi.where())
    with client_for(sim) as client:
        assert client.request("GET", "/system")["name"]
    assert sim_admin.counters()["logins"] == 1


def test_verification_can_be_turned_off(sim, sim_admin):
    with wsapi.WsapiClient(sim.url, sim.user, sim.password, validate_certs=False, timeout=5) as client:
        assert client.request("GET", "/system")["name"]
    assert sim_admin.counters()["sessions_open"] == 0


def test_url_may_end_in_api_v1_and_must_have_a_scheme(sim):
    with wsapi.WsapiClient(sim.url + "/api/v1/", sim.user, sim.password, ca_path=sim.ca_path) as client:
        assert client.api_version()["major"] == 1
    with pytest.raises(wsapi.WsapiError) as caught:
        wsapi.WsapiClient("array.example.com", "u", PASSWORD)
    assert "https://" in str(caught.value)


def test_wait_task_returns_the_finished_copy(sim, sim_admin):
    with client_for(sim) as client:
        client.request("POST", "/volumes", {"name": "src", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
        client.request("POST", "/volumes", {"name": "dst", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
        answer = client.request("POST", "/volumes/src", {"action": "createPhysicalCopy", "parameters": {"destVolume": "dst"}})
        task = client.wait_task(answer["taskid"], timeout=30, poll_interval=0.1)
    assert task["status"] == wsapi.TASK_DONE
    volumes = sim_admin.state()["volumes"]
    assert volumes["dst"]["dataId"] == volumes["src"]["dataId"]


def test_wait_task_gives_up_after_its_timeout(sim, sim_admin):
    sim_admin.config({"task_seconds": 30})
    with client_for(sim) as client:
        client.request("POST", "/volumes", {"name": "src", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
        client.request("POST", "/volumes", {"name": "dst", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
        answer = client.request("POST", "/volumes/src", {"action": "createPhysicalCopy", "parameters": {"destVolume": "dst"}})
        with pytest.raises(wsapi.WsapiTaskError) as caught:
            client.wait_task(answer["taskid"], timeout=0.5, poll_interval=0.1)
    assert "still running" in str(caught.value)
    assert caught.value.task["status"] == wsapi.TASK_ACTIVE


# -- plain HTTP, ca_path, logout and login retries -------------------------------------------
@pytest.fixture
def http_sim():
    """A simulator that serves plain HTTP (no TLS), as a lab setup might."""
    from alletra_sim import Simulator

    with Simulator(host="127.0.0.1", port=0, tls=False, user="3paradm", password=PASSWORD) as simulator:
        yield simulator


@pytest.mark.parametrize("scheme", ["http", "HTTP"])
def test_plain_http_is_refused_before_any_request(http_sim, scheme):
    url = http_sim.url.replace("http", scheme, 1)
    with pytest.raises(wsapi.WsapiError) as caught:
        wsapi.WsapiClient(url, http_sim.user, http_sim.password, timeout=5)
    assert "wsapi_url" in str(caught.value) and "allow_http" in str(caught.value)
    assert http_sim.counters()["requests_total"] == 0


def test_plain_http_works_when_allowed_and_says_so(http_sim):
    with wsapi.WsapiClient(http_sim.url, http_sim.user, http_sim.password, timeout=5, allow_http=True) as client:
        assert client.request("GET", "/system")["name"]
        assert len(client.warnings) == 1 and "unencrypted" in client.warnings[0]
    assert http_sim.counters()["sessions_open"] == 0


def test_url_credentials_are_masked_in_messages():
    with pytest.raises(wsapi.WsapiError) as caught:
        wsapi.WsapiClient("http://admin:%s@array.example.com" % PASSWORD, "u", "p")
    assert PASSWORD not in str(caught.value)
    assert "***@array.example.com" in str(caught.value)


def test_https_with_verification_has_no_warning(sim):
    with client_for(sim) as client:
        assert client.warnings == []


def test_unverified_certificate_is_flagged(sim):
    with wsapi.WsapiClient(sim.url, sim.user, sim.password, validate_certs=False, timeout=5) as client:
        assert len(client.warnings) == 1
        assert "man-in-the-middle" in client.warnings[0] and "ca_path" in client.warnings[0]


def test_missing_ca_path_is_refused_before_any_request(sim, tmp_path):
    missing = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(wsapi.WsapiError) as caught:
        client_for(sim, ca_path=missing)
    assert "ca_path" in str(caught.value) and missing in str(caught.value)
    assert "does not exist" in str(caught.value)
    assert sim.counters()["requests_total"] == 0


def test_ca_path_that_is_a_directory_is_refused(sim, tmp_path):
    with pytest.raises(wsapi.WsapiError) as caught:
        client_for(sim, ca_path=str(tmp_path))
    assert "ca_path" in str(caught.value) and "not a file" in str(caught.value)


def test_unreadable_ca_path_is_refused(sim, tmp_path, monkeypatch):
    unreadable = tmp_path / "ca.pem"
    unreadable.write_text("x")

    def refuse(path, mode="r"):
        raise IOError(errno.EACCES, os.strerror(errno.EACCES), path)

    # Root reads any file, so chmod cannot stage this: wsapi's open() refuses instead.
    monkeypatch.setattr(wsapi, "open", refuse, raising=False)
    with pytest.raises(wsapi.WsapiError) as caught:
        client_for(sim, ca_path=str(unreadable))
    assert "ca_path" in str(caught.value) and str(unreadable) in str(caught.value)
    assert "cannot be read (Permission denied)" in str(caught.value)


def test_ca_path_is_not_checked_when_verification_is_off(sim, tmp_path):
    client = client_for(sim, validate_certs=False, ca_path=str(tmp_path / "gone.pem"))
    with client:
        assert client.request("GET", "/system")["name"]


LOGOUT = "/api/v1/credentials/*"


@pytest.mark.parametrize("fault", [
    {"status": 500, "code": wsapi.INT_SERV_ERR, "desc": "internal error"},
    {"drop": True},
], ids=["500", "dropped"])
def test_logout_is_tried_once_more_after_a_server_error_or_no_answer(sim, sim_admin, fault):
    with client_for(sim) as client:
        client.request("GET", "/system")
        sim_admin.faults(dict(fault, method="DELETE", path=LOGOUT, count=1))
    counters = sim_admin.counters()
    assert counters["sessions_open"] == 0
    assert counters["logouts"] == 1


def test_logout_gives_up_silently_after_one_retry(sim, sim_admin):
    with client_for(sim) as client:
        client.request("GET", "/system")
        sim_admin.faults({"method": "DELETE", "path": LOGOUT, "count": 5, "status": 503, "code": 1, "desc": "busy"})
    deletes = [count for key, count in sim_admin.counters()["requests"].items() if key.startswith("DELETE /api/v1/credentials/")]
    assert deletes == [2]


def test_logout_to_a_vanished_array_is_silent_and_bounded(sim):
    client = client_for(sim, retries=3)
    client.request("GET", "/system")
    sim.stop()
    sent = []
    send = client._http.request

    def counting(method, url, **kwargs):
        sent.append(method)
        return send(method, url, **kwargs)

    client._http.request = counting
    client.close()
    assert sent == ["DELETE", "DELETE"]


def test_logout_of_a_gone_session_is_not_repeated(sim, sim_admin):
    with client_for(sim) as client:
        client.request("GET", "/system")
        sim_admin.faults({"expire_sessions": True})
    deletes = [count for key, count in sim_admin.counters()["requests"].items() if key.startswith("DELETE /api/v1/credentials/")]
    assert deletes == [1]


SESSION_LIMIT = {"method": "POST", "path": "/api/v1/credentials", "status": 503, "code": wsapi.SVC_UNAVAIL,
                 "desc": "the server has reached its maximum number of connections"}


def test_login_waits_for_a_free_session(sim, sim_admin):
    sim_admin.faults(dict(SESSION_LIMIT, count=2))
    with client_for(sim, retries=3) as client:
        assert client.request("GET", "/system")["name"]
    counters = sim_admin.counters()
    assert counters["requests"]["POST /api/v1/credentials"] == 3
    assert counters["logins"] == 1 and counters["sessions_open"] == 0


def test_login_gives_up_when_the_session_limit_stays_reached(sim, sim_admin):
    sim_admin.faults(dict(SESSION_LIMIT, count=10))
    client = client_for(sim, retries=2)
    with pytest.raises(wsapi.WsapiError) as caught:
        with client:
            client.request("GET", "/system")
    assert "session limit is reached" in str(caught.value)
    assert caught.value.status == 503 and caught.value.code == wsapi.SVC_UNAVAIL
    assert sim.password not in str(caught.value)
    assert sim_admin.counters()["requests"]["POST /api/v1/credentials"] == 3


def test_the_real_session_limit_is_reported(sim, sim_admin):
    sim_admin.config({"session_limit": 1})
    with client_for(sim) as first:
        first.request("GET", "/system")
        second = client_for(sim, retries=1)
        with pytest.raises(wsapi.WsapiError) as caught:
            second.request("GET", "/system")
        second.close()
    assert "session limit is reached" in str(caught.value)
    assert sim_admin.counters()["sessions_open"] == 0


def test_other_login_failures_are_not_repeated(sim, sim_admin):
    sim_admin.faults({"method": "POST", "path": "/api/v1/credentials", "count": 1, "status": 503, "code": wsapi.INT_SERV_ERR})
    client = client_for(sim)
    with pytest.raises(wsapi.WsapiError):
        client.request("GET", "/system")
    client.close()
    assert sim_admin.counters()["requests"]["POST /api/v1/credentials"] == 1


def test_the_wsapi_version_is_read_once_per_client_before_its_first_login(sim, sim_admin):
    with client_for(sim) as client:
        client.request("GET", "/system")
        sim_admin.faults({"expire_sessions": True})
        client.request("GET", "/system")
        assert client.api_version()["major"] == 1
    counters = sim_admin.counters()
    # Two logins (the second after the session expired), one read of GET /api for both.
    assert counters["logins"] == 2 and counters["requests"]["GET /api"] == 1 and counters["sessions_open"] == 0


def test_an_array_of_another_wsapi_major_version_is_refused_before_login(sim, sim_admin):
    sim_admin.config(api_major=2)
    with pytest.raises(wsapi.WsapiError) as caught:
        with client_for(sim) as client:
            client.request("GET", "/system")
    message = str(caught.value)
    assert "WSAPI version 2.10.0" in message and "WSAPI 1 only" in message and sim.url in message
    assert not caught.value.unanswered
    counters = sim_admin.counters()
    assert counters["requests"] == {"GET /api": 1} and counters["logins"] == 0 and counters["sessions_open"] == 0


def test_an_answer_without_a_major_version_is_refused_naming_it(sim, sim_admin):
    with pytest.raises(wsapi.WsapiError, match=r"WSAPI version unknown \(None\)"):
        wsapi.check_api_version({}, sim.url)
    with pytest.raises(wsapi.WsapiError, match=r"WSAPI version 3\.0 "):
        wsapi.check_api_version({"major": 3, "minor": 0}, sim.url)
