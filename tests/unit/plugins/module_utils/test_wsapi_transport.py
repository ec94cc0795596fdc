# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's transport (http.client and ssl, no HTTP library): one kept connection, answers that
are not the WSAPI's, TLS failures that are not about trust, and proxies from the environment."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.server
import select
import socket
import subprocess
import sys
import threading

import pytest
from bad_input_matrix import serve_html

from ansible_collections.alletra.storage.plugins.module_utils import wsapi


def client_for(sim, **kwargs):
    options = dict(ca_path=sim.ca_path, timeout=5, retries=2, backoff=0.01)
    options.update(kwargs)
    return wsapi.WsapiClient(sim.url, sim.user, sim.password, **options)


def test_a_run_keeps_one_connection_and_opens_another_after_the_array_closed_it(sim, sim_admin, monkeypatch):
    opened = []
    connect = wsapi._Transport._connect  # pylint: disable=protected-access

    def counting(self):
        opened.append(1)
        return connect(self)

    monkeypatch.setattr(wsapi._Transport, "_connect", counting)  # pylint: disable=protected-access
    with client_for(sim) as client:
        for dummy in range(5):
            client.request("GET", "/system")
        assert len(opened) == 1
        client._http._conn.sock.shutdown(socket.SHUT_RDWR)  # pylint: disable=protected-access
        assert client.request("GET", "/system")["name"]
    assert len(opened) == 2
    assert sim_admin.counters()["sessions_open"] == 0


def test_the_modules_import_no_http_library():
    code = ("import sys; from ansible_collections.alletra.storage.plugins.module_utils import module; "
            "print(sorted(name for name in ('requests', 'urllib3', 'urllib.request') if name in sys.modules))")
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env=dict(PYTHONPATH=":".join(sys.path))).stdout.strip()
    assert imported == "[]"


@pytest.mark.parametrize("base", ["/ok", "/missing"])
def test_an_html_answer_says_wsapi_url_is_not_a_wsapi(sim, sim_tls_dir, base):
    with serve_html(sim_tls_dir) as url:  # 200 under /ok/, 404 elsewhere
        client = wsapi.WsapiClient(url + base, "u", "Pa55-word", ca_path=sim.ca_path, timeout=5)
        with pytest.raises(wsapi.WsapiError) as caught:
            with client:
                client.request("GET", "/system")
    message = str(caught.value)
    assert "not a WSAPI answer" in message and "wsapi_url " + url + base in message and "text/html" in message
    assert "Pa55-word" not in message


@pytest.fixture
def http_sim():
    from alletra_sim import Simulator

    with Simulator(host="127.0.0.1", port=0, tls=False, user="3paradm", password="s3cret-Pa55") as simulator:
        yield simulator


def test_tls_to_a_plain_http_port_says_so(http_sim):
    url = http_sim.url.replace("http://", "https://")
    with pytest.raises(wsapi.WsapiError) as caught:
        with wsapi.WsapiClient(url, http_sim.user, http_sim.password, timeout=5) as client:
            client.request("GET", "/system")
    assert "TLS handshake" in str(caught.value) and "wsapi_url" in str(caught.value)
    assert http_sim.counters()["requests_total"] == 0


def test_a_ca_path_that_is_no_certificate_is_refused_before_any_request(sim, tmp_path):
    junk = tmp_path / "ca.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(wsapi.WsapiError) as caught:
        client_for(sim, ca_path=str(junk))
    assert "ca_path" in str(caught.value) and "PEM" in str(caught.value)


@pytest.mark.parametrize("environ, expected", [
    ({}, None),
    ({"https_proxy": "http://proxy.example.com:3128"}, ("proxy.example.com", 3128, {})),
    ({"HTTPS_PROXY": "proxy.example.com"}, ("proxy.example.com", 8080, {})),
    ({"https_proxy": "http://u%40x:p%3Aw@proxy:3128"}, ("proxy", 3128, {"Proxy-Authorization": "Basic dUB4OnA6dw=="})),
    ({"http_proxy": "http://proxy:3128"}, None),  # only https_proxy for an https:// array
    ({"https_proxy": "http://proxy:3128", "no_proxy": "localhost,.example.com"}, None),
    ({"https_proxy": "http://proxy:3128", "NO_PROXY": "array.example.com:443"}, None),
    ({"https_proxy": "http://proxy:3128", "no_proxy": "array.example.com:8080"}, ("proxy", 3128, {})),
    ({"https_proxy": "http://proxy:3128", "no_proxy": "*"}, None),
    ({"https_proxy": "http://proxy:3128", "no_proxy": "other.com,ample.com"}, ("proxy", 3128, {})),
])
def test_the_proxy_comes_from_the_environment_as_curl_reads_it(environ, expected):
    assert wsapi._proxy_for("https", "array.example.com", 443, environ) == expected  # pylint: disable=protected-access


def _relay(left, right):
    sockets = [left, right]
    while True:
        for ready in select.select(sockets, [], [], 5)[0]:
            data = ready.recv(65536)
            if not data:
                return
            (right if ready is left else left).sendall(data)


class _Connect(http.server.BaseHTTPRequestHandler):
    """A CONNECT-only HTTP proxy that records what it tunnels to."""

    tunnels = []

    def do_CONNECT(self):
        host, dummy, port = self.path.rpartition(":")
        self.tunnels.append(self.path)
        upstream = socket.create_connection((host, int(port)), timeout=5)
        self.send_response(200, "Connection established")
        self.end_headers()
        try:
            _relay(self.connection, upstream)
        finally:
            upstream.close()

    def log_message(self, *args):
        pass


def test_an_https_proxy_tunnels_the_session(sim, sim_admin, monkeypatch):
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Connect)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    _Connect.tunnels = []
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:%d" % proxy.server_address[1])
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    try:
        with client_for(sim) as client:
            assert client.request("GET", "/system")["name"]
    finally:
        monkeypatch.delenv("https_proxy")  # sim_admin's requests would take it too
        proxy.shutdown()
        proxy.server_close()
    assert _Connect.tunnels == [sim.url.split("://")[1]]
    assert sim_admin.counters()["sessions_open"] == 0


def test_the_certificate_is_checked_through_the_proxy_too(sim, monkeypatch):
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Connect)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:%d" % proxy.server_address[1])
    try:
        with pytest.raises(wsapi.WsapiError) as caught:
            with wsapi.WsapiClient(sim.url, sim.user, sim.password, timeout=5) as client:
                client.request("GET", "/system")
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert "cannot verify the TLS certificate" in str(caught.value)
