"""The simulator: the HTTP(S) server, lifecycle, persistence, counters, sessions, faults on the request
path, and the entry point every request goes through. Routing is in routes.py, the /_sim calls in
control.py, the array itself in model/.

No module-level state: everything hangs off a :class:`Simulator` instance, so two arrays can
run in one process.
"""

import fnmatch
import json
import os
import secrets
import socket
import ssl
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

from . import errors, routes
from .control import ControlPlane
from .errors import DropConnection, ResetConnection, WsapiError
from .handler import WsapiRequestHandler, redact_session_keys
from .model import ArrayState
from .personas import persona_info
from .tls import ensure_certificates
from .validation import check_members, parse_json

STATE_VERSION = 1
SESSION_HEADER = "X-HP3PAR-WSAPI-SessionKey"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, simulator):
        """Bind ``address`` (IPv6 when the host has a colon) for ``simulator``."""
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.simulator = simulator
        self.connections = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, WsapiRequestHandler)

    def process_request(self, request, client_address):
        """Track the connection (stop() closes the kept-alive ones), then serve it in a thread."""
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        """Forget the connection, then close it."""
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self):
        """Stopping the array also ends kept-alive connections (no request is served after stop())."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        """Connections that die (client gone, TLS refused) are not worth a traceback."""


class Simulator(ControlPlane):
    """One simulated array listening on HTTPS (or HTTP with ``tls=False``)."""

    def __init__(self, host="127.0.0.1", port=0, tls_dir=None, user="3paradm", password="3pardata",
                 persona="alletra-mp", state_file=None, tls=True, session_idle_timeout=900, session_limit=64,
                 task_seconds=1.0, data_dir=None):
        """An array that is not listening yet (see start()); the state file is loaded if it exists; with
        ``data_dir`` each volume's data is a sparse file there."""
        persona_info(persona)
        self.host = host
        self.port = port
        self.tls = tls
        self.tls_dir = tls_dir
        self.user = user
        self.password = password
        self.state_file = state_file
        self.session_idle_timeout = float(session_idle_timeout)
        self.session_limit = int(session_limit)
        self.lock = threading.RLock()
        self.model = ArrayState(persona, task_seconds=float(task_seconds), data_dir=data_dir)
        if state_file and os.path.exists(state_file):
            with open(state_file, encoding="utf-8") as handle:
                saved = json.load(handle)
            self.model.load(saved["db"])
            self.model.set_persona(persona)
        self._sessions = {}
        self._faults = []
        self._latency_ms = 0
        self._counters = self._zero_counters()
        self._server = None
        self._thread = None
        self.ca_path = None
        self._tmp_tls = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def task_seconds(self):
        """How long a background task takes."""
        return self.model.task_seconds

    @property
    def persona(self):
        """The persona name (3par, primera, alletra-mp)."""
        return self.model.db["persona"]

    def start(self):
        """Listen and serve in background threads; return once listening."""
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        if self.tls:
            if self.tls_dir is None:
                self._tmp_tls = tempfile.mkdtemp(prefix="alletra-sim-tls-")
                self.tls_dir = self._tmp_tls
            paths = ensure_certificates(self.tls_dir, extra_names=[self.host])
            self.ca_path = paths["ca.pem"]
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(paths["server.pem"], paths["server.key"])
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True,
                                                      do_handshake_on_connect=False)
        self._save_if_dirty()
        # stop() waits until the serving loop looks again: every 20 ms, not the default half second.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="alletra-sim-%d" % self.port, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving, end kept-alive connections, finish due tasks and save the state file."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._thread.join(timeout=5)
            self._server = None
        with self.lock:
            self.model.advance()
            self._save_if_dirty()

    def __enter__(self):
        """Start; the context manager stops on exit."""
        return self.start()

    def __exit__(self, *exc_info):
        """Stop."""
        self.stop()

    @property
    def url(self):
        """``https://host:port`` (``http`` without TLS)."""
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d" % ("https" if self.tls else "http", host, self.port)

    @property
    def api_url(self):
        """The WSAPI base URL, ``<url>/api/v1``."""
        return self.url + "/api/v1"

    # ------------------------------------------------------------------ persistence

    def _save_if_dirty(self):
        """Write the state file (atomically) if the model changed since the last save."""
        if not self.model.dirty:
            return
        self.model.dirty = False
        if not self.state_file:
            return
        directory = os.path.dirname(os.path.abspath(self.state_file))
        fd, tmp = tempfile.mkstemp(prefix=".alletra-sim-", suffix=".json", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"version": STATE_VERSION, "db": self.model.dump()}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.state_file)

    # ------------------------------------------------------------------ counters

    @staticmethod
    def _zero_counters():
        """Fresh counters (sessions_open is computed when read)."""
        return {"requests": {}, "requests_total": 0, "logins": 0, "login_failures": 0, "logouts": 0,
                "sessions_expired": 0}

    def counters(self):
        """A copy of the counters, with the number of open sessions."""
        with self.lock:
            self._purge_sessions()
            out = json.loads(json.dumps(self._counters))
            out["sessions_open"] = len(self._sessions)
            return out

    # ------------------------------------------------------------------ sessions

    def _purge_sessions(self):
        """Expire the sessions idle longer than session_idle_timeout (counted in sessions_expired)."""
        now = time.monotonic()
        for key, session in list(self._sessions.items()):
            if now - session["last_used"] > self.session_idle_timeout:
                del self._sessions[key]
                self._counters["sessions_expired"] += 1

    def _login(self, body, client):
        """POST /credentials: a new session key (403/5 bad credentials, 503/31 at the session limit)."""
        body = check_members(body, {"user": "str", "password": "str", "sessionType": "int"},
                             required=("user", "password"))
        if body["user"] != self.user or body["password"] != self.password:
            self._counters["login_failures"] += 1
            raise WsapiError(403, errors.INV_USER_PASS, "invalid user or password")
        self._purge_sessions()
        if len(self._sessions) >= self.session_limit:
            raise WsapiError(503, errors.SVC_UNAVAIL, "the server has reached its maximum number of connections")
        key = "%d-%s-%s" % (secrets.randbelow(2), secrets.token_hex(16), secrets.token_hex(4))
        now = time.monotonic()
        self._sessions[key] = {"user": body["user"], "client": client, "created": now, "last_used": now,
                               "created_epoch": time.time(), "sessionType": body.get("sessionType", 1)}
        self._counters["logins"] += 1
        return 201, {"key": key}, {"Location": "/api/v1/credentials/" + key}

    def _session(self, key):
        """The live session of ``key`` (its idle time restarts); 403/6 if there is none."""
        self._purge_sessions()
        session = self._sessions.get(key) if key else None
        if session is None:
            raise WsapiError(403, errors.INV_SESS_KEY, "invalid session key")
        session["last_used"] = time.monotonic()
        return session

    def _logout(self, key):
        """DELETE /credentials/<key>: end a session."""
        self._session(key)
        del self._sessions[key]
        self._counters["logouts"] += 1
        return 200, None, {}

    def expire_sessions(self):
        """End every session now (counted in sessions_expired)."""
        with self.lock:
            self._counters["sessions_expired"] += len(self._sessions)
            self._sessions.clear()

    def _expire_carried_session(self, parts, headers):
        """Expire the session a request carries: its session key header, or the key a logout names."""
        keys = [headers.get(SESSION_HEADER)]
        if parts[:3] == ["api", "v1", "credentials"] and len(parts) == 4:
            keys.append(parts[3])
        for key in keys:
            if key in self._sessions:
                del self._sessions[key]
                self._counters["sessions_expired"] += 1

    # ------------------------------------------------------------------ faults

    def _take_fault(self, method, path):
        """The first armed fault matching the request, one of its count spent (matches still to skip pass)."""
        for fault in self._faults:
            if fault["count"] <= 0:
                continue
            if fault["method"] not in ("*", method) or not fnmatch.fnmatchcase(path, fault["path"]):
                continue
            if fault["skip"] > 0:
                fault["skip"] -= 1
                continue
            fault["count"] -= 1
            return fault
        return None

    @staticmethod
    def _fault_before(fault):
        """A fault that acts instead of the request: raise, or return the injected answer; else None."""
        if fault is None or fault["lose_answer"] or fault["late_ms"] or fault["task_ms"] or fault["expire_session"]:
            return None
        if fault["reset"]:
            raise ResetConnection()
        if fault["drop"]:
            raise DropConnection()
        injected = WsapiError(fault["status"], fault["code"], fault["desc"], fault["ref"])
        return injected.status, injected.body(), {}

    # ------------------------------------------------------------------ request entry point

    def handle(self, method, raw_path, raw_query, headers, body_bytes, client):
        """Answer one request: returns (status, body or None, headers). May raise DropConnection or ResetConnection."""
        parts = [unquote(part) for part in raw_path.split("/")]
        parts = [part for part in parts[1:] if part != ""] if len(parts) > 1 else []
        path = "/" + "/".join(parts)
        query = {key: values[-1] for key, values in parse_qs(raw_query, keep_blank_values=True).items()}
        if parts[:1] == ["_sim"]:
            with self.lock:
                result = self._control(method, parts[1:], body_bytes, query)
                self._save_if_dirty()
                return result
        with self.lock:
            key = "%s %s" % (method, redact_session_keys(path))
            self._counters["requests"][key] = self._counters["requests"].get(key, 0) + 1
            self._counters["requests_total"] += 1
            fault = self._take_fault(method, path)
            latency = self._latency_ms
        if latency:
            time.sleep(latency / 1000.0)
        injected = self._fault_before(fault)
        if injected is not None:
            return injected
        with self.lock:
            task_seconds = self.model.task_seconds
            try:
                self.model.advance()
                if fault is not None and fault["expire_session"]:
                    self._expire_carried_session(parts, headers)
                if fault is not None and fault["task_ms"]:
                    # This request's task (a copy, a promote) runs this long; the others keep task_seconds.
                    self.model.task_seconds = fault["task_ms"] / 1000.0
                answer = self._api(method, parts, query, headers, body_bytes, client)
            except WsapiError as err:
                answer = err.status, err.body(), {}
            finally:
                self.model.task_seconds = task_seconds
                self._save_if_dirty()
        if fault is not None and fault["lose_answer"]:
            # The array acted on the request; its answer is lost on the way back.
            raise DropConnection()
        if fault is not None and fault["late_ms"]:
            time.sleep(fault["late_ms"] / 1000.0)       # outside the lock: other requests go on meanwhile
        return answer

    # ------------------------------------------------------------------ WSAPI routes

    def _api(self, method, parts, query, headers, body_bytes, client):
        """Answer a WSAPI request: GET /api, login and logout need no session; the rest go by the route table."""
        if parts == ["api"]:
            return self._version(method)
        if parts[:2] != ["api", "v1"]:
            raise errors.no_such_resource()
        parts = parts[2:]
        if parts[:1] == ["credentials"]:
            if method == "POST" and len(parts) == 1:
                return self._login(parse_json(body_bytes), client)
            if method == "DELETE" and len(parts) == 2:
                return self._logout(parts[1])
        session = self._session(headers.get(SESSION_HEADER))
        if parts[:1] == ["credentials"]:
            if len(parts) <= 2:
                raise errors.unsupported()
            # Deeper under credentials: 404/11, with the 501's wording (as it has always answered).
            raise WsapiError(404, errors.URI_RES_NOT_FOUND, "the resource does not support the operation")
        body = parse_json(body_bytes)
        return routes.dispatch(self, method, parts, query, body, session["user"])

    def _version(self, method):
        """GET /api: the WSAPI version (no session needed)."""
        if method != "GET":
            raise errors.unsupported()
        return 200, self.model.api_version(), {}

    def wsapi_configuration(self):
        """GET /wsapiconfiguration: the server's ports, protocol states and session figures."""
        self._purge_sessions()
        version = self.model.api_version()
        return 200, {
            "httpState": 2 if self.tls else 1, "httpPort": 8008 if self.tls else self.port,
            "httpsState": 1 if self.tls else 2, "httpsPort": self.port if self.tls else 8080,
            "version": "%d.%d.%d" % (version["major"], version["minor"], version["revision"]),
            "sessionsInUse": len(self._sessions), "sessionTimeout": int(self.session_idle_timeout // 60),
            "maxSessions": self.session_limit, "systemResourceUsage": 1, "policy": "per_user_acl_permissive",
        }, {}
