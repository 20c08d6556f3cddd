"""The validator tests' fixtures: the bundle tests' test IdP on a fixed clock, and a misbehaving loopback
web server for the fetcher's fault tests, over HTTP and HTTPS.

Every route of the misbehaving server is bounded: the slow ones give up after a few seconds whether or not anyone listens.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from build import T0
from bundling import LIVE, idp_context
from oidc_idp import Clock, RunningIdp, running
from oidc_idp.keys.tls import ensure_tls
from oidc_validator.model.context import Context

log = logging.getLogger(__name__)
JWKS = {"keys": []}
TEN_MB = 10 * 1024 * 1024
DRIP_LIMIT_SECONDS = 5.0


@pytest.fixture(scope="module")
def server() -> Iterator[RunningIdp]:
    """The default test IdP with its clock fixed at T0, one per module."""
    with running(clock=Clock(fixed=T0)) as idp:
        yield idp


@pytest.fixture(scope="module")
def ctx(server: RunningIdp) -> Context:
    """What the checks would see of ``server`` at LIVE, while its tokens are valid."""
    return idp_context(server, now=LIVE)


@dataclass(frozen=True)
class Faulty:
    base_url: str
    ca_file: Path | None
    requested: list[str]  # every path asked for, so tests can prove a URL was never fetched

    def url(self, path: str) -> str:
        return self.base_url + path


def _handler(other_base: Callable[[], str], requested: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet: tests read their own output
            pass

        def _send(self, status: int, content_type: str | None, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path
            requested.append(path)
            try:
                if path == "/jwks":
                    self._send(200, "application/jwk-set+json", json.dumps(JWKS).encode())
                elif path == "/plain-token/.well-known/openid-configuration":
                    base = f"http://127.0.0.1:{self.server.server_address[1]}"
                    document = {"issuer": base + "/plain-token", "jwks_uri": base + "/jwks", "token_endpoint": "http://192.0.2.1/token"}
                    self._send(200, "application/json", json.dumps(document).encode())
                elif path == "/html":
                    self._send(200, "text/html; charset=utf-8", b"<html><body>Sign in</body></html>")
                elif path == "/not-json":
                    self._send(200, "application/json", b"{'keys': []}")
                elif path == "/nan":
                    self._send(200, "application/json", b'{"keys": NaN}')
                elif path == "/duplicate":
                    self._send(200, "application/json", b'{"keys": [], "keys": []}')
                elif path == "/status":
                    self._send(404, "application/json", b'{"error": "not found"}')
                elif path == "/big":
                    self._big(declare_length=True)
                elif path == "/big-chunked":
                    self._big(declare_length=False)
                elif path == "/slow-headers":
                    time.sleep(DRIP_LIMIT_SECONDS)
                    self._send(200, "application/json", b"{}")
                elif path == "/drip":
                    self._drip()
                elif path == "/to-http":
                    self._send(302, None, b"", {"Location": other_base() + "/jwks"})
                elif path == "/bad-location":
                    self._send(302, None, b"", {"Location": "http://[::1"})
                elif path == "/big-port":
                    self._send(302, None, b"", {"Location": "http://127.0.0.1:99999/jwks"})
                elif path == "/loop":
                    self._send(302, None, b"", {"Location": "/loop"})
                elif path.startswith("/hop/"):
                    left = int(path.rsplit("/", 1)[1])
                    self._send(302, None, b"", {"Location": f"/hop/{left - 1}" if left > 1 else "/jwks"})
                else:
                    self._send(404, "text/plain", b"no such route")
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass  # the client stopped reading on purpose (size cap, deadline)

        def do_POST(self) -> None:
            """Token endpoints: one that echoes the request (a careless IdP), one too slow, one not JSON."""
            body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0)).decode()
            requested.append(self.path)
            try:
                if self.path == "/token-echo":
                    echo = {"error": "invalid_client", "error_description": f"rejected {body} {self.headers.get('Authorization')}"}
                    self._send(401, "application/json", json.dumps(echo).encode())
                elif self.path == "/token-slow":
                    time.sleep(DRIP_LIMIT_SECONDS)
                    self._send(200, "application/json", b"{}")
                elif self.path == "/token-html":
                    self._send(200, "text/html", b"<html>login</html>")
                elif self.path == "/token-big":
                    self._big(declare_length=True)
                else:
                    self._send(404, "text/plain", b"no such route")
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass

        def _big(self, *, declare_length: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if declare_length:
                self.send_header("Content-Length", str(TEN_MB))
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b" " * 65536
            for _ in range(TEN_MB // len(chunk)):
                data = chunk if declare_length else b"%x\r\n%s\r\n" % (len(chunk), chunk)
                self.wfile.write(data)
            if not declare_length:
                self.wfile.write(b"0\r\n\r\n")

        def _drip(self) -> None:
            body = b'{"keys": []}' + b" " * 1000
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            deadline = time.monotonic() + DRIP_LIMIT_SECONDS
            for byte in body:
                if time.monotonic() > deadline:
                    break
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.05)

    return Handler


class _FaultyServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # The clients under test hang up on purpose (deadlines, size caps, refused redirects). socketserver
        # would print each resulting traceback to sys.stderr, where capsys takes it for the CLI's own output.
        log.debug("faulty server: a client at %s went away", client_address, exc_info=True)


def _serve(handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext | None) -> tuple[ThreadingHTTPServer, threading.Thread]:
    server = _FaultyServer(("127.0.0.1", 0), handler)
    if context is not None:
        # Handshake in the handler thread, so one stuck client cannot block accepting the next.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(scope="module")
def faulty_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Faulty, Faulty]]:
    """(http, https) misbehaving servers; the https one's /to-http redirects to the http one."""
    tls = ensure_tls(tmp_path_factory.mktemp("faulty-tls"), "127.0.0.1", datetime.now(UTC))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert_file, tls.key_file)
    bases: dict[str, str] = {}
    plain_log: list[str] = []
    secure_log: list[str] = []
    plain, plain_thread = _serve(_handler(lambda: bases["https"], plain_log), None)
    secure, secure_thread = _serve(_handler(lambda: bases["http"], secure_log), context)
    bases["http"] = f"http://127.0.0.1:{plain.server_address[1]}"
    bases["https"] = f"https://127.0.0.1:{secure.server_address[1]}"
    try:
        yield Faulty(bases["http"], None, plain_log), Faulty(bases["https"], tls.ca_file, secure_log)
    finally:
        for server, thread in ((plain, plain_thread), (secure, secure_thread)):
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


@pytest.fixture(scope="module")
def faulty(faulty_servers: tuple[Faulty, Faulty]) -> Faulty:
    return faulty_servers[0]


@pytest.fixture(scope="module")
def faulty_tls(faulty_servers: tuple[Faulty, Faulty]) -> Faulty:
    return faulty_servers[1]


@pytest.fixture
def refused_url() -> str:
    """A loopback port nobody listens on: bound, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/jwks"
