# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small client for the HPE Alletra / Primera / 3PAR WSAPI v1.

All HTTP of the collection goes through :class:`WsapiClient`: one keep-alive session, login on
first use, logout on close, one re-login on an expired session key, bounded retries where a
repeat is safe, and one error type that carries the WSAPI code. It needs only Python's standard
library (http.client and ssl): a module starts without importing an HTTP library, which would
cost more than the module's whole work.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import select
import socket
import ssl
import time
import uuid

try:
    import http.client as http_client
    from urllib.parse import unquote, urlencode, urlsplit
except ImportError:  # pragma: no cover - Python 2, which no target of this collection runs
    import httplib as http_client
    from urllib import unquote, urlencode
    from urlparse import urlsplit

API_PREFIX = "/api/v1"
# The WSAPI major version this client speaks; GET /api names the array's before the first login.
API_MAJOR_VERSION = 1
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


class _NoAnswer(Exception):
    """No HTTP answer. ``sent`` is False when the request cannot have reached the array (no connection)."""

    def __init__(self, reason, sent):
        super(_NoAnswer, self).__init__(reason)
        self.sent = sent


class _TlsFailure(Exception):
    """The TLS handshake failed; ``unverified`` when the array's certificate was not trusted."""

    def __init__(self, reason, unverified):
        super(_TlsFailure, self).__init__(reason)
        self.unverified = unverified


class _Response(object):
    """What the client uses of an HTTP answer."""

    def __init__(self, status_code, reason, content_type, content):
        self.status_code = status_code
        self.reason = reason
        self.content_type = content_type or ""
        self.content = content

    def json(self):
        return json.loads(self.content.decode("utf-8"))


def _answer(response):
    """The decoded JSON body of a response, or None when it has none or it is not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _not_wsapi(response, method, path, url):
    """The error for an answer with a body that is not JSON: another web server answers at wsapi_url."""
    kind = response.content_type.split(";")[0].strip() or "no content type"
    return WsapiError(
        "%s %s: the answer is not a WSAPI answer (HTTP %s, %s): check that wsapi_url %s is the array's WSAPI address "
        "(https://<array>, port 443 or the one `showwsapi` names)" % (method, path, response.status_code, kind, _shown(url)),
        status=response.status_code, method=method, path=path)


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
    """Refuse a ca_path that TLS could not load (it would fail the first request obscurely)."""
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


def _tls_context(validate_certs, ca_path):
    """The TLS settings of the connection: no verification, the checked ca_path, or the system's trust
    store (which SSL_CERT_FILE and SSL_CERT_DIR may point elsewhere). The system's store is loaded only
    when it is the one used: reading it costs every run tens of milliseconds."""
    if not validate_certs:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if not ca_path:
        return ssl.create_default_context()
    check_ca_path(ca_path)
    try:
        return ssl.create_default_context(cafile=ca_path)
    except ssl.SSLError as err:
        raise WsapiError("ca_path %r holds no PEM certificate TLS can use (%s): ca_path must be the PEM file of the "
                         "CA that signed the array's certificate" % (ca_path, err.reason or err))


def _proxy_for(scheme, host, port, environ=None):
    """The (host, port, headers) of the HTTP proxy that https_proxy (http_proxy for http://) names for the
    array, or None for a direct connection: unset, or the array in no_proxy. Read as curl reads them."""
    environ = os.environ if environ is None else environ
    proxy = environ.get(scheme + "_proxy") or environ.get(scheme.upper() + "_PROXY")
    if not proxy or _bypassed(host.lower(), port, environ.get("no_proxy") or environ.get("NO_PROXY") or ""):
        return None
    parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    headers = {}
    if parts.username:
        credentials = "%s:%s" % (unquote(parts.username), unquote(parts.password or ""))
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")
    return parts.hostname, parts.port or 8080, headers


def _bypassed(host, port, no_proxy):
    """True when no_proxy (comma-separated names, domains, name:port, or *) covers host:port."""
    for entry in no_proxy.lower().split(","):
        name, dummy, entry_port = entry.strip().partition(":")
        name = name.lstrip(".")
        if name == "*":
            return True
        if name and (not entry_port or entry_port == str(port)) and (host == name or host.endswith("." + name)):
            return True
    return False


class _Transport(object):
    """One keep-alive HTTP/1.1 connection to the array, opened on first use and after any failure.

    A connection is opened explicitly before a request is written, so a failure to connect is known
    not to have reached the array; a kept connection the array has closed is noticed before reuse.
    """

    def __init__(self, base, context, timeout):
        parts = urlsplit(base)
        self.https = parts.scheme.lower() == HTTPS_SCHEME
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.path = parts.path
        self.context = context
        self.timeout = timeout
        self.proxy = _proxy_for(parts.scheme.lower(), self.host, self.port)
        self._conn = None

    def request(self, method, target, body=None, headers=None):
        """Send one request for ``target`` (path and query) and read its whole answer."""
        conn = self._connection()
        try:
            conn.request(method, self.path + target, body=body, headers=headers or {})
            answer = conn.getresponse()
            response = _Response(answer.status, answer.reason, answer.getheader("Content-Type"), answer.read())
        except (OSError, http_client.HTTPException) as err:
            self.close()
            raise _NoAnswer(_reason(err), sent=True)
        if answer.will_close:
            self.close()
        return response

    def close(self):
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _connection(self):
        if self._conn is not None and _closed_by_peer(self._conn.sock):
            self.close()
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _connect(self):
        host, port = (self.proxy[0], self.proxy[1]) if self.proxy else (self.host, self.port)
        if self.https:
            conn = http_client.HTTPSConnection(host, port, timeout=self.timeout, context=self.context)
        else:
            conn = http_client.HTTPConnection(host, port, timeout=self.timeout)
        if self.proxy:
            conn.set_tunnel(self.host, self.port, headers=self.proxy[2])
        try:
            conn.connect()
        except ssl.SSLError as err:
            conn.close()
            raise _TlsFailure(_reason(err), unverified=isinstance(err, getattr(ssl, "SSLCertVerificationError", ())))
        except (OSError, http_client.HTTPException) as err:
            conn.close()
            raise _NoAnswer(_reason(err), sent=False)
        return conn


def _closed_by_peer(sock):
    """True when a kept connection's socket became readable while idle: the array closed it."""
    if sock is None:
        return True
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _reason(err):
    """A short text for a transport error (some have an empty str())."""
    text = str(err) or err.__class__.__name__
    if isinstance(err, socket.timeout) or text == "timed out":
        return "timed out"
    return text


def _shown(url):
    """A URL fit for messages: a ``user:password@`` part is masked."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    netloc, slash, path = rest.partition("/")
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    return scheme + sep + netloc + slash + path


def check_api_version(version, url):
    """Refuse an array whose ``GET /api`` answer names a WSAPI major version this client does not speak."""
    version = version if isinstance(version, dict) else {}
    major = version.get("major")
    if major == API_MAJOR_VERSION:
        return
    found = ".".join(str(version[part]) for part in ("major", "minor", "revision") if version.get(part) is not None)
    raise WsapiError(
        "the array at %s answers WSAPI version %s (GET /api), and this collection speaks WSAPI %d only: nothing was "
        "changed. Point wsapi_url at an array (or an endpoint of it) that serves WSAPI %d.x"
        % (_shown(url), found or "unknown (%r)" % (version or None,), API_MAJOR_VERSION, API_MAJOR_VERSION))


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
        self.url = base_url(url, allow_http)
        self._context = _tls_context(validate_certs, ca_path) if self.url.lower().startswith(HTTPS_SCHEME + "://") else None
        # What a caller should tell its user about this connection's security (a module warns).
        self.warnings = []
        if self._context is None:
            self.warnings.append(PLAIN_HTTP_WARNING % _shown(self.url))
        elif not validate_certs:
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
        self._headers = {"Accept": "application/json", "User-Agent": user_agent}
        self._http = _Transport(self.url, self._context, timeout)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, tb):
        self.close()
        return False

    # -- sessions -------------------------------------------------------------------------
    def login(self):
        """Open a session; the key goes into every later request.

        The first login of a client reads ``GET /api`` on the same kept connection (no session needed)
        and refuses an array whose WSAPI major version is not API_MAJOR_VERSION, before it logs in.
        While the array's session limit is reached it refuses logins with 503/31, before creating
        anything: such a login is tried again with backoff, at most ``retries`` more times.
        """
        check_api_version(self.api_version(), self.url)
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
        """Delete the session key on the array (best effort) and release the connection."""
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
        target = API_PREFIX + "/credentials/" + key
        for attempt in range(1, LOGOUT_ATTEMPTS + 1):
            try:
                response = self._http.request("DELETE", target, headers=dict(self._headers))
            except (_NoAnswer, _TlsFailure):
                response = None
            # 2xx: deleted; 403/6: the key expired or was deleted by an attempt whose answer was
            # lost, nothing is left to free; another 4xx would not change on a repeat.
            if response is not None and response.status_code < HTTP_SERVER_ERROR:
                return
            if attempt < LOGOUT_ATTEMPTS:
                self._pause(attempt)

    # -- calls ----------------------------------------------------------------------------
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
        """``GET /api`` (outside /api/v1): major, minor, revision and build; read once per client."""
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
        target = prefix + path
        if query:
            target += "?" + urlencode({"query": query})
        headers = dict(self._headers)
        if authenticated:
            headers[SESSION_HEADER] = self.key
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode("utf-8")
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(method, target, body=data, headers=headers)
            except _TlsFailure as err:
                raise self._tls_error(err, method, prefix + path)
            except _NoAnswer as err:
                if (idempotent or not err.sent) and attempt <= self.retries:
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
                raise _error_from(response, method, prefix + _redact(path), self.url)
            answer = _answer(response)
            if answer is None and response.content:
                raise _not_wsapi(response, method, prefix + _redact(path), self.url)
            return answer

    def _tls_error(self, err, method, path):
        if err.unverified:
            return WsapiError(
                "cannot verify the TLS certificate of %s: %s. Set ca_path to the CA that signed the array's "
                "certificate, or validate_certs: false to skip verification" % (_shown(self.url), _short(err)),
                method=method, path=path)
        return WsapiError(
            "the TLS handshake with %s failed: %s. Check that wsapi_url is the array's WSAPI address (https, and "
            "its port)" % (_shown(self.url), _short(err)), method=method, path=path)

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


def _error_from(response, method, path, url):
    answer = _answer(response)
    if not isinstance(answer, dict):
        answer = {}
    if response.content and not answer:
        return _not_wsapi(response, method, path, url)
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
