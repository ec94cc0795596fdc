# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small client for the HPE Alletra / Primera / 3PAR WSAPI v1.

All HTTP of the collection goes through :class:`WsapiClient`: one keep-alive session, login on
first use, logout on close, one re-login on an expired session key, bounded retries where a
repeat is safe, and one error type that carries the WSAPI code.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time
import uuid

try:
    import requests
    from requests import exceptions as requests_exceptions
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as import_error:  # pragma: no cover - exercised by ansible-test import sanity
    requests = None
    requests_exceptions = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = import_error

try:
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
except ImportError:  # pragma: no cover - urllib3 comes with requests
    ConnectTimeoutError = NewConnectionError = ()

API_PREFIX = "/api/v1"
SESSION_HEADER = "X-HP3PAR-WSAPI-SessionKey"

# WSAPI error codes (HP 3PAR WSAPI Developer's Guide, tables 5 and 6; see docs/design.md).
INT_SERV_ERR = 1
INV_USER_PASS = 5
INV_SESS_KEY = 6
URI_RES_NOT_FOUND = 11
INV_INPUT = 12
PERM_DENIED = 13
EXISTENT_CPG = 14
NON_EXISTENT_CPG = 15
EXISTENT_HOST = 16
NON_EXISTENT_HOST = 17
EXISTENT_LUN = 18
NON_EXISTENT_VLUN = 19
EXISTENT_VOL = 22
NON_EXISTENT_VOL = 23
NO_SPACE = 24
HAS_RO_CHILD = 25
EXPORTED_VLUN = 26
TOO_LARGE = 28
SVC_UNAVAIL = 31  # with HTTP 503: the array's WSAPI session limit is reached
HAS_CHILD = 32
IN_USE = 34
INV_INPUT_WRONG_TYPE = 39
INV_INPUT_MISSING_REQUIRED = 40
INV_INPUT_EXCEEDS_RANGE = 43
INV_INPUT_EXCEEDS_LENGTH = 57
INV_INPUT_ILLEGAL_CHAR = 69
EXISTENT_PATH = 73
INV_INPUT_ONE_REQUIRED = 78
EXISTENT_SET = 101
NON_EXISTENT_SET = 102
MEMBER_IN_SET = 104
MEMBER_NOT_IN_SET = 105
NON_EXISTENT_TASK = 145
VV_IN_TASK = 151
INV_INPUT_VV_GROW_SIZE = 152
ONLINE_COPY_IN_PROGRESS = 29

# -- WSAPI enums (shared/spec/wsapi-v1.md): each number once, by name -----------------------
# POST /credentials ``sessionType``: the one session type this client logs in with (the simulator
# takes it as the default when a login gives none).
LOGIN_SESSION_TYPE = 1

# Volume copy types (the ``copyType`` of a volume).
COPY_BASE = 1
COPY_PHYSICAL = 2
COPY_VIRTUAL = 3

# PUT /volumesets/<name> actions.
SET_ADD_MEMBER = 1
SET_REMOVE_MEMBER = 2

# POST /volumes/<name> actions (strings, unlike PUT's numbers).
VOLUME_CREATE_SNAPSHOT = "createSnapshot"
VOLUME_CREATE_PHYSICAL_COPY = "createPhysicalCopy"

# PUT /volumes/<name> actions.
VOLUME_GROW = 3
VOLUME_PROMOTE = 4

# ``priority`` of a physical copy or a promote.
TASK_PRIORITY_HIGH = 1
TASK_PRIORITY_MEDIUM = 2
TASK_PRIORITY_LOW = 3

# PUT /tasks/<id> actions.
TASK_CANCEL = 1

# Task states of GET /tasks/<id>.
TASK_DONE = 1
TASK_ACTIVE = 2
TASK_CANCELLED = 3
TASK_FAILED = 4
TASK_STATES = {TASK_DONE: "done", TASK_ACTIVE: "active", TASK_CANCELLED: "cancelled", TASK_FAILED: "failed"}

# Host personas (``persona`` of a host, HOST_PERSONA_*).
PERSONA_GENERIC = 1
PERSONA_GENERIC_ALUA = 2
PERSONA_GENERIC_LEGACY = 3
PERSONA_HPUX_LEGACY = 4
PERSONA_AIX_LEGACY = 5
PERSONA_EGENERA = 6
PERSONA_ONTAP_LEGACY = 7
PERSONA_VMWARE = 8
PERSONA_OPENVMS = 9
PERSONA_HPUX = 10
PERSONA_WINDOWS_SERVER = 11

# vLUN types (``type`` of a vLUN): what an export rule exports to.
VLUN_EMPTY = 1
VLUN_PORT = 2
VLUN_HOST = 3
VLUN_MATCHED_SET = 4
VLUN_HOST_SET = 5

# Port protocols (``protocol`` of a port, PORT_PROTO_*).
PROTOCOL_FC = 1
PROTOCOL_ISCSI = 2
PROTOCOL_FCOE = 3
PROTOCOL_IP = 4
PROTOCOL_SAS = 5
PROTOCOL_NVME = 6


def _names(prefix):
    """The names tasks give and read for the constants ``<prefix><NAME>`` above, by number:
    PERSONA_WINDOWS_SERVER is 'windows-server', VLUN_MATCHED_SET 'matched-set'."""
    return dict((number, constant[len(prefix):].lower().replace("_", "-"))
                for constant, number in globals().items() if constant.startswith(prefix) and isinstance(number, int))


PERSONAS = _names("PERSONA_")
PERSONA_NUMBERS = dict((name, number) for number, name in PERSONAS.items())
VLUN_TYPES = _names("VLUN_")
PROTOCOLS = _names("PROTOCOL_")
PROTOCOL_NUMBERS = dict((name, number) for number, name in PROTOCOLS.items())

# Port modes and link states (``mode`` and ``linkState`` of a port).
PORT_MODE_TARGET = 2
PORT_MODE_INITIATOR = 3
PORT_MODE_PEER = 4
PORT_LINK_READY = 4
PORT_LINK_SYNC = 5
PORT_LINK_OFFLINE = 10


def enum_name(names, number):
    """The name of WSAPI enum value ``number`` in ``names`` (PERSONAS, VLUN_TYPES, PROTOCOLS, ...).

    None when the array gave none; ``unknown-<number>`` for a value this collection has no name
    for (a newer array's), so a result never mixes names and numbers in one field.
    """
    if number is None:
        return None
    return names.get(number, "unknown-%s" % (number,))


# Requests that change nothing when repeated; other methods are repeated only when the request
# provably never reached the array.
IDEMPOTENT_METHODS = frozenset(["GET", "HEAD", "DELETE"])
HTTP_BAD_REQUEST = 400
HTTP_FORBIDDEN = 403
HTTP_NOT_FOUND = 404
HTTP_SERVER_ERROR = 500
HTTP_BAD_GATEWAY = 502
HTTP_SERVICE_UNAVAILABLE = 503
HTTP_GATEWAY_TIMEOUT = 504
RETRY_STATUSES = frozenset([HTTP_BAD_GATEWAY, HTTP_SERVICE_UNAVAILABLE, HTTP_GATEWAY_TIMEOUT])
# Longest pause between two attempts, in seconds.
MAX_BACKOFF = 8.0
# DELETE /credentials/<key> is sent at most this often: once more after a 5xx or no answer.
LOGOUT_ATTEMPTS = 2

HTTPS_SCHEME = "https"
HTTP_SCHEME = "http"
PLAIN_HTTP_WARNING = (
    "wsapi_url %s is plain http:// (allow_http is true): the password and the WSAPI session key travel "
    "unencrypted and anyone on the network path can read and reuse them. Use https:// for a real array")
NO_VERIFY_WARNING = (
    "validate_certs is false: the array's TLS certificate is not verified, so a man-in-the-middle can pose as "
    "the array and capture the password and the session key. Set ca_path to the PEM file of the CA that signed "
    "the array's certificate instead")
# Failed polls of a task tolerated in a row before waiting gives up.
POLL_ERRORS = 5


class WsapiError(Exception):
    """An error answered by the array, or no answer at all (status and code are then None)."""

    def __init__(self, message, status=None, code=None, desc=None, ref=None, method=None, path=None):
        super(WsapiError, self).__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.desc = desc
        self.ref = ref
        self.method = method
        self.path = path

    def __str__(self):
        return self.message

    @property
    def unanswered(self):
        """True when a request got no answer: the array may or may not have acted on it."""
        return self.status is None and self.method is not None

    def as_dict(self):
        """The fields a module returns beside its message."""
        return dict(status=self.status, code=self.code, desc=self.desc, ref=self.ref, method=self.method, path=self.path)


class WsapiTaskError(WsapiError):
    """An array task (copy, promote) that failed, was cancelled or outlived its timeout."""

    def __init__(self, message, task=None):
        super(WsapiTaskError, self).__init__(message)
        self.task = task


def _not_sent(error):
    """True when requests failed before the request could reach the server."""
    if isinstance(error, requests_exceptions.ConnectTimeout):
        return True
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _answer(response):
    """The decoded JSON body of a response, or None when it has none."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def base_url(url, allow_http=False):
    """The array's base URL without a trailing ``/api/v1``; plain http:// only with ``allow_http``."""
    url = (url or "").strip().rstrip("/")
    if url.endswith(API_PREFIX):
        url = url[:-len(API_PREFIX)]
    scheme, sep, dummy = url.partition("://")
    scheme = scheme.lower() if sep else None
    if scheme == HTTP_SCHEME and not allow_http:
        raise WsapiError(
            "wsapi_url %s is plain http://, which would send the password and the session key unencrypted: "
            "use https://, or set allow_http: true (ALLETRA_ALLOW_HTTP) for a lab array or simulator "
            "without TLS" % _shown(url))
    if scheme not in (HTTPS_SCHEME, HTTP_SCHEME):
        raise WsapiError("wsapi_url %r must start with https:// (for example https://array.example.com:443)" % (_shown(url),))
    return url


def check_ca_path(ca_path):
    """Refuse a ca_path that requests could not load (it would fail the first request obscurely)."""
    hint = "ca_path must be the PEM file of the CA that signed the array's certificate"
    if not os.path.exists(ca_path):
        raise WsapiError("ca_path %r does not exist: %s" % (ca_path, hint))
    if not os.path.isfile(ca_path):
        raise WsapiError("ca_path %r is not a file: %s" % (ca_path, hint))
    try:
        with open(ca_path, "rb"):
            pass
    except (IOError, OSError) as err:
        raise WsapiError("ca_path %r cannot be read (%s): %s" % (ca_path, err.strerror or err, hint))


def _verify_setting(validate_certs, ca_path):
    """What requests gets as ``verify``: False, the checked ca_path, or True (system trust store)."""
    if not validate_certs:
        try:
            requests.packages.urllib3.disable_warnings()
        except AttributeError:  # pragma: no cover
            pass
        return False
    if ca_path:
        check_ca_path(ca_path)
        return ca_path
    return True


def _shown(url):
    """A URL fit for messages: a ``user:password@`` part is masked."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    netloc, slash, path = rest.partition("/")
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    return scheme + sep + netloc + slash + path


def _is_session_limit(err):
    return err.status == HTTP_SERVICE_UNAVAILABLE and err.code == SVC_UNAVAIL


def _session_limit_error(err, attempts):
    return WsapiError(
        "login refused: the array's session limit is reached (HTTP %s, WSAPI code %s: %s), still after %d attempts. "
        "Close idle WSAPI sessions on the array (showwsapisession, removewsapisession) or run fewer tasks against it "
        "at once" % (err.status, err.code, err.desc, attempts),
        status=err.status, code=err.code, desc=err.desc, ref=err.ref, method=err.method, path=err.path)


class WsapiClient(object):
    """A WSAPI v1 session. Use as a context manager so the session key is always deleted.

    ``url`` is the array's base URL (``https://array.example.com`` or with a port); a trailing
    ``/api/v1`` is accepted too.
    """

    def __init__(self, url, username, password, validate_certs=True, ca_path=None, timeout=30,
                 retries=3, backoff=0.5, user_agent="alletra.storage", allow_http=False):
        if not HAS_REQUESTS:
            raise WsapiError("the Python library 'requests' is required on the host that runs this module")
        self.url = base_url(url, allow_http)
        # verify goes with every request: requests lets REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE in the
        # environment override a Session-level verify, which would silently ignore ca_path.
        self._verify = _verify_setting(validate_certs, ca_path)
        # What a caller should tell its user about this connection's security (a module warns).
        self.warnings = []
        if self.url.lower().startswith(HTTP_SCHEME + "://"):
            self.warnings.append(PLAIN_HTTP_WARNING % _shown(self.url))
        elif self._verify is False:
            self.warnings.append(NO_VERIFY_WARNING)
        self.username = username
        self._password = password
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.key = None
        self._cache = {}
        # Marks what this client creates, so a create whose answer was lost is recognised as its own.
        self.run_id = uuid.uuid4().hex[:12]
        self._http = requests.Session()
        self._http.headers.update({"Accept": "application/json", "User-Agent": user_agent})

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, tb):
        self.close()
        return False

    # -- sessions -------------------------------------------------------------------------
    def login(self):
        """Open a session; the key goes into every later request.

        While the array's session limit is reached it refuses logins with 503/31, before creating
        anything: such a login is tried again with backoff, at most ``retries`` more times.
        """
        body = {"user": self.username, "password": self._password, "sessionType": LOGIN_SESSION_TYPE}
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = self._send("POST", "/credentials", body, authenticated=False, idempotent=False)
                break
            except WsapiError as err:
                if not _is_session_limit(err):
                    raise
                if attempt > self.retries:
                    raise _session_limit_error(err, attempt)
            self._pause(attempt)
        key = (answer or {}).get("key")
        if not key:
            raise WsapiError("the array accepted the login but returned no session key", method="POST", path=API_PREFIX + "/credentials")
        self.key = key

    def close(self):
        """Delete the session key on the array (best effort) and release connections."""
        key, self.key = self.key, None
        try:
            if key:
                self._logout(key)
        finally:
            self._http.close()

    def _logout(self, key):
        """DELETE the session key; once more after a 5xx or no answer, silent either way.

        Sent without _send's retries, so an array that went away costs at most two attempts.
        """
        url = self.url + API_PREFIX + "/credentials/" + key
        for attempt in range(1, LOGOUT_ATTEMPTS + 1):
            try:
                response = self._http.request("DELETE", url, timeout=self.timeout, verify=self._verify)
            except requests_exceptions.RequestException:
                response = None
            # 2xx: deleted; 403/6: the key expired or was deleted by an attempt whose answer was
            # lost, nothing is left to free; another 4xx would not change on a repeat.
            if response is not None and response.status_code < HTTP_SERVER_ERROR:
                return
            if attempt < LOGOUT_ATTEMPTS:
                self._pause(attempt)

    # -- requests -------------------------------------------------------------------------
    def request(self, method, path, body=None, query=None, idempotent=None):
        """Send one request to ``/api/v1<path>`` and return the decoded JSON answer (or None).

        Logs in on first use and once more when the array says the key expired (403/6).
        ``idempotent`` overrides the method's default for retries (GET and DELETE retry, POST and
        PUT only when the request never reached the array).
        """
        if self.key is None:
            self.login()
        try:
            return self._send(method, path, body, query=query, idempotent=idempotent)
        except WsapiError as err:
            if err.status != HTTP_FORBIDDEN or err.code != INV_SESS_KEY:
                raise
        # The key expired or was deleted; the array did not act on the request.
        self.key = None
        self.login()
        return self._send(method, path, body, query=query, idempotent=idempotent)

    def get_or_none(self, path, *missing_codes):
        """GET an object; None when the array answers one of ``missing_codes``."""
        try:
            return self.request("GET", path)
        except WsapiError as err:
            if err.code in missing_codes:
                return None
            raise

    def members(self, path, query=None):
        """The ``members`` of a collection (``GET /volumes`` and the like)."""
        answer = self.request("GET", path, query=query) or {}
        return answer.get("members") or []

    def cached(self, path):
        """A GET whose answer does not change during one module run (system, /api)."""
        if path not in self._cache:
            self._cache[path] = self.request("GET", path)
        return self._cache[path]

    def api_version(self):
        """``GET /api`` (outside /api/v1): major, minor, revision and build."""
        if "/api" not in self._cache:
            self._cache["/api"] = self._send("GET", "/api", authenticated=False, prefix="")
        return self._cache["/api"]

    def wait_task(self, task_id, timeout=3600, poll_interval=2.0):
        """Wait until a task leaves the active state; return it when done, raise otherwise."""
        deadline = time.monotonic() + timeout
        delay = min(0.2, poll_interval)
        errors = 0
        while True:
            try:
                task = self.request("GET", "/tasks/%s" % task_id)
            except WsapiError as err:
                # A poll changes nothing: an array error or a lost answer is tried again, a few times.
                errors += 1
                if not (err.unanswered or (err.status or 0) >= HTTP_SERVER_ERROR) or errors > POLL_ERRORS or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                continue
            errors = 0
            status = task.get("status")
            if status == TASK_DONE:
                return task
            if status != TASK_ACTIVE:
                raise WsapiTaskError(
                    "array task %s (%s) ended %s" % (task_id, task.get("name"), TASK_STATES.get(status, "in unknown state %r" % (status,))),
                    task=task)
            if time.monotonic() + delay > deadline:
                raise WsapiTaskError(
                    "array task %s (%s) is still running after %s s (raise the task timeout for longer tasks)"
                    % (task_id, task.get("name"), timeout),
                    task=task)
            time.sleep(delay)
            delay = min(delay * 2, poll_interval)

    # -- transport ------------------------------------------------------------------------
    def _send(self, method, path, body=None, query=None, authenticated=True, idempotent=None, prefix=API_PREFIX):
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        url = self.url + prefix + path
        headers = {}
        if authenticated:
            headers[SESSION_HEADER] = self.key
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        params = {"query": query} if query else None
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(method, url, data=data, params=params, headers=headers,
                                              timeout=self.timeout, verify=self._verify)
            except requests_exceptions.SSLError as err:
                raise WsapiError(
                    "cannot verify the TLS certificate of %s: %s. Set ca_path to the CA that signed the array's "
                    "certificate, or validate_certs: false to skip verification" % (_shown(self.url), _short(err)),
                    method=method, path=prefix + path)
            except (requests_exceptions.ConnectionError, requests_exceptions.Timeout) as err:
                safe = idempotent or _not_sent(err)
                if safe and attempt <= self.retries:
                    self._pause(attempt)
                    continue
                raise WsapiError(
                    "no answer from %s to %s %s: %s. Check wsapi_url, timeout and that the array is reachable"
                    % (_shown(self.url), method, prefix + _redact(path), _short(err)),
                    method=method, path=prefix + _redact(path))
            if response.status_code in RETRY_STATUSES and idempotent and attempt <= self.retries:
                self._pause(attempt)
                continue
            if response.status_code == HTTP_NOT_FOUND and method == "DELETE" and attempt > 1:
                # An earlier attempt whose answer was lost deleted the object: the goal is reached.
                return None
            if response.status_code >= HTTP_BAD_REQUEST:
                raise _error_from(response, method, prefix + _redact(path))
            return _answer(response)

    def _pause(self, attempt):
        time.sleep(min(self.backoff * (2 ** (attempt - 1)), MAX_BACKOFF))


def _redact(path):
    """Session keys are secrets; never show one in a message."""
    if path.startswith("/credentials/"):
        return "/credentials/<key>"
    return path


def _short(err):
    text = str(err)
    return text if len(text) < 300 else text[:300] + "..."


def _error_from(response, method, path):
    answer = _answer(response)
    if not isinstance(answer, dict):
        answer = {}
    code = answer.get("code")
    desc = answer.get("desc") or answer.get("message") or response.reason or ""
    ref = answer.get("ref")
    message = "%s %s failed: HTTP %s" % (method, path, response.status_code)
    if code is not None:
        message += ", WSAPI code %s" % code
    if desc:
        message += ": %s" % desc
    if ref:
        message += " (ref %s)" % ref
    return WsapiError(message, status=response.status_code, code=code, desc=desc, ref=ref, method=method, path=path)
