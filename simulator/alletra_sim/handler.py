"""HTTP/1.1 request handler (standard library only): keep-alive, JSON replies, WSAPI-shaped errors."""

import json
import os
import re
import socket
import ssl
import struct
import sys
import traceback
from http.server import BaseHTTPRequestHandler

from .errors import DropConnection, ResetConnection

MAX_BODY = 16 * 1024 * 1024
_STATUS_CODES = {400: 3, 408: 7, 413: 4, 414: 4, 431: 4, 501: 9, 505: 8}
# A session key travels in the path of DELETE /api/v1/credentials/<key> (raw or decoded, "/" maybe as %2F).
_CREDENTIALS_KEY_RE = re.compile(r"(?i)(credentials)(?:/|%2f)[^\s\"'?]+")


def redact_session_keys(text):
    """Session keys are secrets: whatever follows ``credentials/`` (up to a space, quote or ``?``) reads ``<key>``."""
    return _CREDENTIALS_KEY_RE.sub(r"\1/<key>", text)


class WsapiRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hp3par-wsapi"
    sys_version = ""
    timeout = 120
    disable_nagle_algorithm = True

    def version_string(self):
        return self.server_version

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
        super().setup()

    def parse_request(self):
        # Clients sometimes put raw spaces in the query (query="copyOf EQ x"): keep the request line parseable.
        text = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = text.split(" ")
        if len(words) > 3 and words[-1].startswith("HTTP/"):
            self.raw_requestline = ("%s %s %s\r\n" % (words[0], "%20".join(words[1:-1]), words[-1])).encode(
                "iso-8859-1")
        return super().parse_request()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if os.environ.get("ALLETRA_SIM_DEBUG"):
            sys.stderr.write("alletra-sim %s - %s\n" % (self.address_string(), redact_session_keys(format % args)))

    def send_error(self, code, message=None, explain=None):
        self.close_connection = True
        body = {"code": _STATUS_CODES.get(code, 1), "desc": message or self.responses.get(code, ("error",))[0]}
        self._reply(code, body, {})

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self):
        try:
            body_bytes = self._read_body()
        except ValueError:
            self.send_error(413, "client has sent a request that is too long")
            return
        raw_path, _, raw_query = self.path.partition("?")
        if raw_path.startswith(("http://", "https://")):
            raw_path = "/" + raw_path.split("/", 3)[-1]
        simulator = self.server.simulator
        try:
            status, body, headers = simulator.handle(self.command, raw_path, raw_query, self.headers, body_bytes,
                                                     self.client_address[0])
        except DropConnection:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        except ResetConnection:
            self._reset_connection()
            return
        except Exception:  # pylint: disable=broad-except
            traceback.print_exc()
            status, body, headers = 500, {"code": 1, "desc": "internal server error"}, {}
        self._reply(status, body, headers)

    def _reset_connection(self):
        """SO_LINGER on with a zero timeout: closing the socket sends a TCP RST instead of a FIN."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.rfile.close()        # the socket really closes once its reader is closed too
        self.connection.close()

    def _reply(self, status, body, headers):
        data = json.dumps(body).encode("utf-8") if body is not None else b""
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Pragma", "no-cache")
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch
    do_PATCH = _dispatch
