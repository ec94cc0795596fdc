"""The control plane, ``/_sim/...``: reset, seed, state, counters, config, faults, host writes and the fabric's view.

No session key, JSON in and out, never faulted nor counted. A mixin of Simulator: the calls reach
its sessions, counters, faults, settings and model. The simulator lock is held around every call.
"""

import time

from . import errors
from .errors import INV_INPUT_BAD_ENUM_VALUE, INV_INPUT_NOT_JSON_OBJ, INV_INPUT_WRONG_TYPE, WsapiError
from .personas import PERSONAS
from .validation import check_members, parse_json

# Fault kinds matched on method and path (besides status faults), each with its member's kind.
_MATCHED_FAULTS = {"late_ms": "int", "task_ms": "int", "expire_session": "bool", "reset": "bool"}
_WHERE = {"method": "str", "path": "str", "count": "int", "skip": "int"}
_CONFIG = {"session_idle_timeout": "any", "session_limit": "int", "task_seconds": "any", "api_major": "int"}


class ControlPlane:
    """Mixin of Simulator: the /_sim calls and the fault table they fill."""

    def _control(self, method, parts, body_bytes, query=None):
        """Answer one /_sim call (``parts`` after ``_sim``, ``query`` parsed); its errors are answers too."""
        try:
            body = parse_json(body_bytes) or {}
            # Fixed calls are looked up by the joined path, as they always were ("counters%2Freset" still works).
            call = self._CALLS.get((method, "/".join(parts)))
            if call is not None:
                return call(self, body)
            call = self._QUERY_CALLS.get((method, "/".join(parts)))
            if call is not None:
                return call(self, query or {})
            if method == "POST" and len(parts) == 3 and parts[0] == "volumes" and parts[2] == "write":
                return 200, self.model.write_volume(parts[1], body), {}
            raise WsapiError(404, errors.URI_RES_NOT_FOUND, "no such control-plane call")
        except WsapiError as err:
            return err.status, err.body(), {}

    def _control_reset(self, body):
        """POST /_sim/reset {persona?}: an empty array, counters zeroed, faults cleared; sessions survive."""
        body = check_members(body, {"persona": "str"})
        if "persona" in body and body["persona"] not in PERSONAS:
            raise WsapiError(400, INV_INPUT_BAD_ENUM_VALUE, "unknown persona", ref="persona")
        self.model.reset(body.get("persona", self.model.db["persona"]))
        self._counters = self._zero_counters()
        self._clear_faults()
        return 200, {"persona": self.model.db["persona"]}, {}

    def _control_seed(self, body):
        """POST /_sim/seed: add or replace CPGs, ports, system fields, domains; add volumes and volume sets."""
        self.model.seed(body)
        return 200, {"cpgs": sorted(self.model.db["cpgs"]), "ports": len(self.model.db["ports"]),
                     "volumes": len(self.model.db["volumes"]), "volumesets": len(self.model.db["volumesets"])}, {}

    def _control_state(self, body):
        """GET /_sim/state: every object with internal fields, the sessions and the settings."""
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

    def _control_counters(self, body):
        """GET /_sim/counters: requests, logins, sessions."""
        return 200, self.counters(), {}

    def _control_reset_counters(self, body):
        """POST /_sim/counters/reset: zero the counters."""
        self._counters = self._zero_counters()
        return 200, self.counters(), {}

    def _control_config(self, body):
        """GET /_sim/config: the settings."""
        return 200, self._config(), {}

    def _control_set_config(self, body):
        """POST /_sim/config {session_idle_timeout?, session_limit?, task_seconds?, api_major?}: change settings live."""
        body = check_members(body, _CONFIG)
        for member in ("session_idle_timeout", "task_seconds"):
            if member in body and (isinstance(body[member], bool)
                                   or not isinstance(body[member], (int, float)) or body[member] < 0):
                raise WsapiError(400, INV_INPUT_WRONG_TYPE, "a non-negative number is needed", ref=member)
        if "session_idle_timeout" in body:
            self.session_idle_timeout = float(body["session_idle_timeout"])
        if "session_limit" in body:
            self.session_limit = body["session_limit"]
        if "task_seconds" in body:
            self.model.task_seconds = float(body["task_seconds"])
        if "api_major" in body:
            self.model.api_major = body["api_major"]
        return 200, self._config(), {}

    def _control_add_fault(self, body):
        """POST /_sim/faults: arm a fault, set latency, or expire every session."""
        self._add_fault(body)
        return 200, self.faults(), {}

    def _control_faults(self, body):
        """GET /_sim/faults: the armed faults and the latency."""
        return 200, self.faults(), {}

    def _control_clear_faults(self, body):
        """DELETE /_sim/faults: no faults, no latency."""
        self._clear_faults()
        return 200, self.faults(), {}

    # (method, path under /_sim) -> call; POST /_sim/volumes/<name>/write is matched in _control.
    _CALLS = {
        ("POST", "reset"): _control_reset,
        ("POST", "seed"): _control_seed,
        ("GET", "state"): _control_state,
        ("GET", "counters"): _control_counters,
        ("POST", "counters/reset"): _control_reset_counters,
        ("GET", "config"): _control_config,
        ("POST", "config"): _control_set_config,
        ("POST", "faults"): _control_add_fault,
        ("GET", "faults"): _control_faults,
        ("DELETE", "faults"): _control_clear_faults,
    }

    def _control_fabric(self, query):
        """GET /_sim/fabric?initiator=<nqn or iqn>: what the array exports to that initiator's host entity."""
        self.model.advance()
        return 200, self.model.fabric(query), {}

    def _control_discovery(self, query):
        """GET /_sim/fabric/discovery?address=<ip>[&protocol=nvme|iscsi]: the targets at an address."""
        return 200, self.model.fabric_discovery(query), {}

    # (method, path under /_sim) -> call taking the query string (a dict) instead of a body.
    _QUERY_CALLS = {
        ("GET", "fabric"): _control_fabric,
        ("GET", "fabric/discovery"): _control_discovery,
    }

    # ------------------------------------------------------------------ helpers

    def _config(self):
        """The settings as GET /_sim/config shows them."""
        return {"session_idle_timeout": self.session_idle_timeout, "session_limit": self.session_limit,
                "task_seconds": self.model.task_seconds, "api_major": self.model.api_major, "persona": self.model.db["persona"], "tls": self.tls,
                "url": self.url, "ca_path": self.ca_path, "state_file": self.state_file,
                "data_dir": self.model.data.data_dir}

    def faults(self):
        """The armed faults (those with ``count`` left) and the latency."""
        with self.lock:
            return {"faults": [dict(fault) for fault in self._faults if fault["count"] > 0],
                    "latency_ms": self._latency_ms}

    def _clear_faults(self):
        """Disarm every fault and drop the latency."""
        self._faults = []
        self._latency_ms = 0

    def _add_fault(self, body):
        """Check one POST /_sim/faults body and apply it: expire sessions, set latency, or arm a fault."""
        if not isinstance(body, dict):
            raise WsapiError(400, INV_INPUT_NOT_JSON_OBJ, "a JSON object was expected")
        if body.get("expire_sessions"):
            check_members(body, {"expire_sessions": "bool"})
            self.expire_sessions()
            return
        if "latency_ms" in body:
            check_members(body, {"latency_ms": "int"}, required=("latency_ms",))
            if body["latency_ms"] < 0:
                raise errors.out_of_range("latency_ms must be 0 or more", "latency_ms")
            self._latency_ms = body["latency_ms"]
            return
        kind = next((name for name in _MATCHED_FAULTS if name in body), None)
        if kind is not None:
            body = self._check_matched_fault(body, kind)
        elif body.get("drop") or body.get("lose_answer"):
            body = check_members(body, dict(_WHERE, drop="bool", lose_answer="bool"))
        else:
            body = check_members(body, dict(_WHERE, status="int", code="int", desc="str", ref="str"),
                                 required=("status", "code"))
            if not 400 <= body["status"] <= 599:
                raise errors.out_of_range("status must be an HTTP error status (400-599)", "status")
        if body.get("count", 1) < 1:
            raise errors.out_of_range("count must be 1 or more", "count")
        if body.get("skip", 0) < 0:
            raise errors.out_of_range("skip must be 0 or more", "skip")
        self._faults.append({
            "method": body.get("method", "*").upper(), "path": body.get("path", "*"),
            "count": body.get("count", 1), "skip": body.get("skip", 0), "drop": bool(body.get("drop")),
            "lose_answer": bool(body.get("lose_answer")), "late_ms": body.get("late_ms"), "task_ms": body.get("task_ms"),
            "expire_session": bool(body.get("expire_session")), "reset": bool(body.get("reset")),
            "status": body.get("status"), "code": body.get("code"),
            "desc": body.get("desc", "injected fault"), "ref": body.get("ref")})

    @staticmethod
    def _check_matched_fault(body, kind):
        """``late_ms`` or ``task_ms`` (1 or more), ``expire_session`` or ``reset`` (true), with method, path and count."""
        body = check_members(body, dict(_WHERE, **{kind: _MATCHED_FAULTS[kind]}), required=(kind,))
        if _MATCHED_FAULTS[kind] == "int" and body[kind] < 1:
            raise errors.out_of_range("%s must be 1 or more" % kind, kind)
        if _MATCHED_FAULTS[kind] == "bool" and body[kind] is not True:
            raise errors.out_of_range("%s must be true" % kind, kind)
        return body
