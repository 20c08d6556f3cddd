"""Faults the fetcher meets in the wild, from loopback servers started here: each is a Fetched error
(a finding for the checks) within the configured timeout, never a hang or a traceback."""

from __future__ import annotations

import socket
import ssl
import struct
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from oidc_idp.keys.tls import ensure_tls
from oidc_validator.model.context import Fetched
from oidc_validator.net.fetch import fetch_json
from oidc_validator.net.options import FetchOptions
from rawhttp import endless_chunked_json, raw_server, read_head

OPTIONS = FetchOptions(connect_timeout_seconds=0.5, total_timeout_seconds=1.0, max_body_bytes=64 * 1024)


def reset(conn: socket.socket) -> None:
    read_head(conn, timeout_seconds=2)
    # SO_LINGER with a zero timeout turns close() into a TCP RST.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def silent(conn: socket.socket) -> None:
    read_head(conn, timeout_seconds=2)
    time.sleep(3)  # never answers within the client's deadline; bounded so the thread ends


def jwks(conn: socket.socket) -> None:
    read_head(conn, timeout_seconds=2)
    body = b'{"keys": []}'
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


def timed(url: str, options: FetchOptions = OPTIONS) -> tuple[Fetched, float]:
    started = time.monotonic()
    fetched = fetch_json(url, options)
    return fetched, time.monotonic() - started


def test_a_connection_reset_is_a_connect_error() -> None:
    with raw_server(reset) as port:
        fetched, _ = timed(f"http://127.0.0.1:{port}/jwks")
    assert fetched.error == "connect"


def test_a_server_that_never_answers_is_a_timeout_within_the_deadline() -> None:
    with raw_server(silent) as port:
        fetched, seconds = timed(f"http://127.0.0.1:{port}/jwks")
    assert fetched.error == "timeout"
    assert seconds < OPTIONS.total_timeout_seconds + 1.0


def test_an_endless_body_stops_at_the_size_cap() -> None:
    with raw_server(endless_chunked_json(b'{"keys": [')) as port:
        fetched, seconds = timed(f"http://127.0.0.1:{port}/jwks")
    assert fetched.error in ("too_large", "timeout")
    assert seconds < OPTIONS.total_timeout_seconds + 1.0


@pytest.fixture(scope="module")
def tls_for_another_host(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    """A server certificate from a trusted CA, but for another host name than the one the client asks for."""
    files = ensure_tls(tmp_path_factory.mktemp("tls"), "other.example", datetime.now(UTC))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.cert_file, files.key_file)
    return context, files.ca_file


def test_a_certificate_for_another_host_is_a_tls_error(tls_for_another_host: tuple[ssl.SSLContext, Path]) -> None:
    context, ca_file = tls_for_another_host
    # The certificate names other.example, localhost, 127.0.0.1 and ::1; the server answers on 127.0.0.2.
    with raw_server(jwks, tls=context, host="127.0.0.2") as port:
        fetched, _ = timed(
            f"https://127.0.0.2:{port}/jwks", FetchOptions(connect_timeout_seconds=0.5, total_timeout_seconds=1.0, ca_file=ca_file)
        )
    assert fetched.error == "tls"


def test_the_same_server_with_the_right_name_is_fetched(tls_for_another_host: tuple[ssl.SSLContext, Path]) -> None:
    context, ca_file = tls_for_another_host
    with raw_server(jwks, tls=context) as port:
        fetched, _ = timed(f"https://127.0.0.1:{port}/jwks", FetchOptions(ca_file=ca_file))
    assert fetched.ok and fetched.json == {"keys": []}
