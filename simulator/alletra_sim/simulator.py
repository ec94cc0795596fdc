"""The simulator: sessions, routing, control plane, faults, persistence and the HTTP(S) server.

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

from . import errors as E
from .errors import DropConnection, ResetConnection, WsapiError
from .handler import WsapiRequestHandler, redact_session_keys
from .model import ArrayState
from .personas import persona_info
from .tls import ensure_certificates
from .validation import check_members

STATE_VERSION = 1
# Fault kinds matched on method and path (besides status faults), each with its member's kind.
_MATCHED_FAULTS = {"late_ms": "int", "expire_session": "bool", "reset": "bool"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, simulator):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.simulator = simulator
        self.connections = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, WsapiRequestHandler)

    def process_request(self, request, client_address):
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
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


class Simulator:
    """One simulated array listening on HTTPS (or HTTP with ``tls=False``)."""

    def __init__(self, host="127.0.0.1", port=0, tls_dir=None, user="3paradm", password="3pardata",
                 persona="alletra-mp", state_file=None, tls=True, session_idle_timeout=900, session_limit=64,
                 task_seconds=1.0):
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
        self.model = ArrayState(persona, task_seconds=float(task_seconds))
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
        return self.model.task_seconds

    @property
    def persona(self):
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
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="alletra-sim-%d" % self.port, daemon=True)
        self._thread.start()
        return self

    def stop(self):
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
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def url(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d" % ("https" if self.tls else "http", host, self.port)

    @property
    def api_url(self):
        return self.url + "/api/v1"

    # ------------------------------------------------------------------ persistence

    def _save_if_dirty(self):
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
        return {"requests": {}, "requests_total": 0, "logins": 0, "login_failures": 0, "logouts": 0,
                "sessions_expired": 0}

    def counters(self):
        with self.lock:
            self._purge_sessions()
            out = json.loads(json.dumps(self._counters))
            out["sessions_open"] = len(self._sessions)
            return out

    # ------------------------------------------------------------------ sessions

    def _purge_sessions(self):
        now = time.monotonic()
        for key, session in list(self._sessions.items()):
            if now - session["last_used"] > self.session_idle_timeout:
                del self._sessions[key]
                self._counters["sessions_expired"] += 1

    def _login(self, body, client):
        body = check_members(body, {"user": "str", "password": "str", "sessionType": "int"},
                             required=("user", "password"))
        if body["user"] != self.user or body["password"] != self.password:
            self._counters["login_failures"] += 1
            raise WsapiError(403, E.INV_USER_PASS, "invalid user or password")
        self._purge_sessions()
        if len(self._sessions) >= self.session_limit:
            raise WsapiError(503, E.SVC_UNAVAIL, "the server has reached its maximum number of connections")
        key = "%d-%s-%s" % (secrets.randbelow(2), secrets.token_hex(16), secrets.token_hex(4))
        now = time.monotonic()
        self._sessions[key] = {"user": body["user"], "client": client, "created": now, "last_used": now,
                               "created_epoch": time.time(), "sessionType": body.get("sessionType", 1)}
        self._counters["logins"] += 1
        return 201, {"key": key}, {"Location": "/api/v1/credentials/" + key}

    def _session(self, key):
        self._purge_sessions()
        session = self._sessions.get(key) if key else None
        if session is None:
            raise WsapiError(403, E.INV_SESS_KEY, "invalid session key")
        session["last_used"] = time.monotonic()
        return session

    def _logout(self, key):
        self._session(key)
        del self._sessions[key]
        self._counters["logouts"] += 1
        return 200, None, {}

    def expire_sessions(self):
        with self.lock:
            self._counters["sessions_expired"] += len(self._sessions)
            self._sessions.clear()

    def _expire_carried_session(self, parts, headers):
        """Expire the session a request carries: its session key header, or the key a logout names."""
        keys = [headers.get("X-HP3PAR-WSAPI-SessionKey")]
        if parts[:3] == ["api", "v1", "credentials"] and len(parts) == 4:
            keys.append(parts[3])
        for key in keys:
            if key in self._sessions:
                del self._sessions[key]
                self._counters["sessions_expired"] += 1

    # ------------------------------------------------------------------ faults

    def _take_fault(self, method, path):
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

    def _add_fault(self, body):
        if not isinstance(body, dict):
            raise WsapiError(400, E.INV_INPUT_NOT_JSON_OBJ, "a JSON object was expected")
        if body.get("expire_sessions"):
            check_members(body, {"expire_sessions": "bool"})
            self.expire_sessions()
            return
        if "latency_ms" in body:
            check_members(body, {"latency_ms": "int"}, required=("latency_ms",))
            if body["latency_ms"] < 0:
                raise WsapiError(400, E.INV_INPUT_EXCEEDS_RANGE, "latency_ms must be 0 or more", ref="latency_ms")
            self._latency_ms = body["latency_ms"]
            return
        kind = next((name for name in _MATCHED_FAULTS if name in body), None)
        if kind is not None:
            body = self._check_matched_fault(body, kind)
        elif body.get("drop") or body.get("lose_answer"):
            body = check_members(body, {"method": "str", "path": "str", "count": "int", "skip": "int", "drop": "bool",
                                        "lose_answer": "bool"})
        else:
            body = check_members(body, {"method": "str", "path": "str", "count": "int", "skip": "int", "status": "int",
                                        "code": "int", "desc": "str", "ref": "str"}, required=("status", "code"))
            if not 400 <= body["status"] <= 599:
                raise WsapiError(400, E.INV_INPUT_EXCEEDS_RANGE, "status must be an HTTP error status (400-599)",
                                 ref="status")
        if body.get("count", 1) < 1:
            raise WsapiError(400, E.INV_INPUT_EXCEEDS_RANGE, "count must be 1 or more", ref="count")
        if body.get("skip", 0) < 0:
            raise WsapiError(400, E.INV_INPUT_EXCEEDS_RANGE, "skip must be 0 or more", ref="skip")
        fault = {"method": body.get("method", "*").upper(), "path": body.get("path", "*"),
                 "count": body.get("count", 1), "skip": body.get("skip", 0), "drop": bool(body.get("drop")),
                 "lose_answer": bool(body.get("lose_answer")), "late_ms": body.get("late_ms"),
                 "expire_session": bool(body.get("expire_session")), "reset": bool(body.get("reset")),
                 "status": body.get("status"), "code": body.get("code"),
                 "desc": body.get("desc", "injected fault"), "ref": body.get("ref")}
        self._faults.append(fault)

    @staticmethod
    def _check_matched_fault(body, kind):
        """``late_ms`` (1 or more), ``expire_session`` or ``reset`` (true), with method, path and count."""
        body = check_members(body, {"method": "str", "path": "str", "count": "int", "skip": "int", kind: _MATCHED_FAULTS[kind]},
                             required=(kind,))
        if kind == "late_ms" and body[kind] < 1:
            raise WsapiError(400, E.INV_INPUT_EXCEEDS_RANGE, "late_ms must be 1 or more", ref=kind)
        if kind != "late_ms" and body[kind] is not True:
            raise WsapiError(400, E.INV_INPUT_EXCEEDS_RANGE, "%s must be true" % kind, ref=kind)
        return body

    @staticmethod
    def _fault_before(fault):
        """A fault that acts instead of the request: raise, or return the injected answer; else None."""
        if fault is None or fault["lose_answer"] or fault["late_ms"] or fault["expire_session"]:
            return None
        if fault["reset"]:
            raise ResetConnection()
        if fault["drop"]:
            raise DropConnection()
        injected = WsapiError(fault["status"], fault["code"], fault["desc"], fault["ref"])
        return injected.status, injected.body(), {}

    def faults(self):
        with self.lock:
            return {"faults": [dict(fault) for fault in self._faults if fault["count"] > 0],
                    "latency_ms": self._latency_ms}

    # ------------------------------------------------------------------ request entry point

    def handle(self, method, raw_path, raw_query, headers, body_bytes, client):
        """Answer one request: returns (status, body or None, headers). May raise DropConnection or ResetConnection."""
        parts = [unquote(part) for part in raw_path.split("/")]
        parts = [part for part in parts[1:] if part != ""] if len(parts) > 1 else []
        path = "/" + "/".join(parts)
        query = {key: values[-1] for key, values in parse_qs(raw_query, keep_blank_values=True).items()}
        if parts[:1] == ["_sim"]:
            with self.lock:
                result = self._control(method, parts[1:], body_bytes)
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
            try:
                self.model.advance()
                if fault is not None and fault["expire_session"]:
                    self._expire_carried_session(parts, headers)
                answer = self._api(method, parts, query, headers, body_bytes, client)
            except WsapiError as err:
                answer = err.status, err.body(), {}
            finally:
                self._save_if_dirty()
        if fault is not None and fault["lose_answer"]:
            # The array acted on the request; its answer is lost on the way back.
            raise DropConnection()
        if fault is not None and fault["late_ms"]:
            time.sleep(fault["late_ms"] / 1000.0)       # outside the lock: other requests go on meanwhile
        return answer

    @staticmethod
    def _json(body_bytes):
        if not body_bytes:
            return None
        try:
            return json.loads(body_bytes.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise WsapiError(400, E.JSON_SYNTAX_ERR, "JSON syntax error")

    # ------------------------------------------------------------------ WSAPI routes

    def _routes(self, parts, query, body, user):
        """Map a path to {method: callable}; None if no such resource."""
        model = self.model
        count = len(parts)
        head = parts[0] if parts else None
        if head == "system" and count == 1:
            return {"GET": lambda: (200, model.system(), {})}
        if head == "wsapiconfiguration" and count == 1:
            return {"GET": self._wsapi_configuration}
        if head == "capacity" and count == 1:
            return {"GET": lambda: (200, model.capacity(), {})}
        if head == "spacereporter" and count == 1:
            return {"POST": lambda: model.space_report(body)}
        if head == "cpgs":
            if count == 1:
                return {"GET": model.list_cpgs, "POST": lambda: model.create_cpg(body)}
            if count == 2:
                return {"GET": lambda: model.get_cpg(parts[1]), "DELETE": lambda: model.delete_cpg(parts[1])}
        if head == "volumes":
            if count == 1:
                return {"GET": lambda: model.list_volumes(query.get("query")),
                        "POST": lambda: model.create_volume(body)}
            name = parts[1]
            if count == 2:
                cascade = query.get("cascade", "").lower() == "true"
                return {"GET": lambda: model.get_volume(name), "PUT": lambda: model.modify_volume(name, body, user),
                        "DELETE": lambda: model.delete_volume(name, cascade),
                        "POST": lambda: model.volume_action(name, body, user)}
            if parts[2] == "objectKeyValues" and count == 3:
                return {"GET": lambda: model.list_okv(name), "POST": lambda: model.create_okv(name, body)}
            if parts[2] == "objectKeyValues" and count == 4:
                okv = parts[3]
                return {"GET": lambda: model.get_okv(name, okv), "PUT": lambda: model.modify_okv(name, okv, body),
                        "DELETE": lambda: model.delete_okv(name, okv)}
        if head in ("volumesets", "hostsets"):
            if count == 1:
                return {"GET": lambda: model.list_sets(head), "POST": lambda: model.create_set(head, body)}
            if count == 2:
                routes = {"GET": lambda: model.get_set(head, parts[1]),
                          "PUT": lambda: model.modify_set(head, parts[1], body, user),
                          "DELETE": lambda: model.delete_set(head, parts[1])}
                if head == "volumesets":
                    routes["POST"] = lambda: model.volumeset_action(parts[1], body, user)
                return routes
        if head == "hosts":
            if count == 1:
                return {"GET": lambda: model.list_hosts(query.get("query")), "POST": lambda: model.create_host(body)}
            if count == 2:
                return {"GET": lambda: model.get_host(parts[1]), "PUT": lambda: model.modify_host(parts[1], body),
                        "DELETE": lambda: model.delete_host(parts[1])}
        if head == "vluns":
            if count == 1:
                return {"GET": lambda: model.list_vluns(query.get("query")), "POST": lambda: model.create_vlun(body)}
            if count == 2:
                return {"GET": lambda: model.get_vlun(parts[1]), "DELETE": lambda: model.delete_vlun(parts[1])}
        if head == "ports":
            if count == 1:
                return {"GET": model.list_ports}
            if count == 3 and parts[2] == "iSCSIVlans":
                return {"GET": lambda: model.port_vlans(parts[1])}
        if head == "tasks":
            if count == 1:
                return {"GET": model.list_tasks}
            if count == 2:
                return {"GET": lambda: model.get_task(parts[1], query.get("view")),
                        "PUT": lambda: model.modify_task(parts[1], body)}
        return None

    def _api(self, method, parts, query, headers, body_bytes, client):
        if parts == ["api"]:
            return self._version(method)
        if parts[:2] != ["api", "v1"]:
            raise WsapiError(404, E.URI_RES_NOT_FOUND, "the requested resource does not exist")
        parts = parts[2:]
        if parts[:1] == ["credentials"]:
            if method == "POST" and len(parts) == 1:
                return self._login(self._json(body_bytes), client)
            if method == "DELETE" and len(parts) == 2:
                return self._logout(parts[1])
        session = self._session(headers.get("X-HP3PAR-WSAPI-SessionKey"))
        if parts[:1] == ["credentials"]:
            raise WsapiError(501 if len(parts) <= 2 else 404, E.UNSUP_OP if len(parts) <= 2 else E.URI_RES_NOT_FOUND,
                             "the resource does not support the operation")
        body = self._json(body_bytes)
        routes = self._routes(parts, query, body, session["user"])
        if routes is None:
            raise WsapiError(404, E.URI_RES_NOT_FOUND, "the requested resource does not exist")
        if method not in routes:
            raise WsapiError(501, E.UNSUP_OP, "the resource does not support the operation")
        return routes[method]()

    def _version(self, method):
        if method != "GET":
            raise WsapiError(501, E.UNSUP_OP, "the resource does not support the operation")
        return 200, self.model.api_version(), {}

    def _wsapi_configuration(self):
        self._purge_sessions()
        version = self.model.api_version()
        return 200, {
            "httpState": 2 if self.tls else 1, "httpPort": 8008 if self.tls else self.port,
            "httpsState": 1 if self.tls else 2, "httpsPort": self.port if self.tls else 8080,
            "version": "%d.%d.%d" % (version["major"], version["minor"], version["revision"]),
            "sessionsInUse": len(self._sessions), "sessionTimeout": int(self.session_idle_timeout // 60),
            "maxSessions": self.session_limit, "systemResourceUsage": 1, "policy": "per_user_acl_permissive",
        }, {}

    # ------------------------------------------------------------------ control plane (/_sim)

    def _control(self, method, parts, body_bytes):
        try:
            body = self._json(body_bytes) or {}
            route = (method, "/".join(parts))
            if route == ("POST", "reset"):
                body = check_members(body, {"persona": "str"})
                if "persona" in body and body["persona"] not in ("3par", "primera", "alletra-mp"):
                    raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "unknown persona", ref="persona")
                self.model.reset(body.get("persona", self.model.db["persona"]))
                self._counters = self._zero_counters()
                self._faults = []
                self._latency_ms = 0
                return 200, {"persona": self.model.db["persona"]}, {}
            if route == ("POST", "seed"):
                self.model.seed(body)
                return 200, {"cpgs": sorted(self.model.db["cpgs"]), "ports": len(self.model.db["ports"])}, {}
            if route == ("GET", "state"):
                self.model.advance()
                state = self.model.internal_state()
                now = time.monotonic()
                self._purge_sessions()
                state["sessions"] = [{"key": key, "user": item["user"], "client": item["client"],
                                      "sessionType": item["sessionType"], "createdTimeSec": int(item["created_epoch"]),
                                      "idleSeconds": round(now - item["last_used"], 3)}
                                     for key, item in self._sessions.items()]
                state["config"] = self._config()
                return 200, state, {}
            if route == ("GET", "counters"):
                return 200, self.counters(), {}
            if route == ("POST", "counters/reset"):
                self._counters = self._zero_counters()
                return 200, self.counters(), {}
            if route == ("GET", "config"):
                return 200, self._config(), {}
            if route == ("POST", "config"):
                body = check_members(body, {"session_idle_timeout": "any", "session_limit": "int",
                                            "task_seconds": "any"})
                for member in ("session_idle_timeout", "task_seconds"):
                    if member in body and (isinstance(body[member], bool)
                                           or not isinstance(body[member], (int, float)) or body[member] < 0):
                        raise WsapiError(400, E.INV_INPUT_WRONG_TYPE, "a non-negative number is needed", ref=member)
                if "session_idle_timeout" in body:
                    self.session_idle_timeout = float(body["session_idle_timeout"])
                if "session_limit" in body:
                    self.session_limit = body["session_limit"]
                if "task_seconds" in body:
                    self.model.task_seconds = float(body["task_seconds"])
                return 200, self._config(), {}
            if route == ("POST", "faults"):
                self._add_fault(body)
                return 200, self.faults(), {}
            if route == ("GET", "faults"):
                return 200, self.faults(), {}
            if route == ("DELETE", "faults"):
                self._faults = []
                self._latency_ms = 0
                return 200, self.faults(), {}
            if method == "POST" and len(parts) == 3 and parts[0] == "volumes" and parts[2] == "write":
                return 200, self.model.write_volume(parts[1], body), {}
            raise WsapiError(404, E.URI_RES_NOT_FOUND, "no such control-plane call")
        except WsapiError as err:
            return err.status, err.body(), {}

    def _config(self):
        return {"session_idle_timeout": self.session_idle_timeout, "session_limit": self.session_limit,
                "task_seconds": self.model.task_seconds, "persona": self.model.db["persona"], "tls": self.tls,
                "url": self.url, "ca_path": self.ca_path, "state_file": self.state_file}
