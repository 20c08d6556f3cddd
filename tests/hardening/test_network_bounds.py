"""The fetcher's and the token request's limits hold against servers built to break them: compression
bombs, endless chunked bodies, redirects into link-local and cloud metadata addresses, and plain http
to a name that only looks like loopback.

Every server here listens on 127.0.0.1 for a bounded time. No test contacts any other address: the
``loopback_only_connections`` fixture makes any other connection attempt fail before a packet is sent,
and records it, so a test can also prove that no connection was attempted at all.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import socket
import time
import tracemalloc
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import httpcore
import pytest

from oidc_validator.net.connect import credentials_over_http_problem
from oidc_validator.net.fetch import fetch_json
from oidc_validator.net.obtain import obtain_tokens
from oidc_validator.net.options import FetchOptions, GrantRequest
from rawhttp import endless_chunked_json, raw_server, read_head

OPTIONS = FetchOptions(connect_timeout_seconds=1.0, total_timeout_seconds=5.0, max_body_bytes=64 * 1024)
GRANT = GrantRequest("client_credentials", "demo-client", "demo-secret")
BOMB_DECODED_BYTES = 256 * 1024 * 1024
# The bomb decodes to 256 MB; a bounded reader never holds more than a few times the 64 KB cap.
PEAK_MEMORY_LIMIT_BYTES = 32 * 1024 * 1024


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """256 MB of zeros, gzipped twice: about 3 KB on the wire, sent as ``Content-Encoding: gzip, gzip``."""
    inner = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    layer = b"".join([inner.compress(zeros) for _ in range(BOMB_DECODED_BYTES // len(zeros))] + [inner.flush()])
    return gzip.compress(layer, 9)


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every host the HTTP stack tries to connect to; anything but a loopback IP is refused before a packet is sent."""
    attempted: list[str] = []
    real = httpcore.AnyIOBackend.connect_tcp

    async def loopback_only(self: httpcore.AnyIOBackend, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        attempted.append(host)
        try:
            loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
        except ValueError:
            loopback = False  # a name: the fetcher should have resolved it already; never let the test resolve it here
        if not loopback:
            raise httpcore.ConnectError(f"test guard: no connection to {host} outside loopback")
        return await real(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", loopback_only)
    return attempted


def answering(head: bytes, body: bytes = b"") -> Callable[[socket.socket], None]:
    def handle(conn: socket.socket) -> None:
        read_head(conn, timeout_seconds=2)
        conn.sendall(head + b"\r\n" + body)

    return handle


def bomb_head(bomb: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip, gzip\r\nContent-Length: %d\r\n" % len(bomb)


def measured(call: Callable[[], Any]) -> tuple[Any, float, int]:
    """The call's result, its duration and the peak of Python-allocated memory during it."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = call()
        return result, time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_gzip_bomb_as_jwks_stops_at_the_size_cap_quickly_and_in_bounded_memory(gzip_bomb: bytes, connections: list[str]) -> None:
    with raw_server(answering(bomb_head(gzip_bomb), gzip_bomb)) as port:
        fetched, seconds, peak = measured(lambda: fetch_json(f"http://127.0.0.1:{port}/jwks", OPTIONS))
    assert fetched.error == "too_large", fetched.error_detail
    assert "65536-byte limit" in (fetched.error_detail or "")
    assert seconds < 3
    assert peak < PEAK_MEMORY_LIMIT_BYTES


def test_a_gzip_bomb_from_the_token_endpoint_stops_at_the_size_cap_quickly_and_in_bounded_memory(
    gzip_bomb: bytes, connections: list[str]
) -> None:
    with raw_server(answering(bomb_head(gzip_bomb), gzip_bomb)) as port:
        (tokens, failures), seconds, peak = measured(lambda: obtain_tokens(f"http://127.0.0.1:{port}/token", GRANT, OPTIONS))
    assert tokens == ()
    assert "65536-byte limit" in failures[0].detail
    assert seconds < 3
    assert peak < PEAK_MEMORY_LIMIT_BYTES


def test_an_endless_chunked_token_response_stops_at_the_size_cap_before_the_deadline(connections: list[str]) -> None:
    with raw_server(endless_chunked_json(b'{"access_token": "')) as port:
        (tokens, failures), seconds, _ = measured(lambda: obtain_tokens(f"http://127.0.0.1:{port}/token", GRANT, OPTIONS))
    assert tokens == ()
    assert "65536-byte limit" in failures[0].detail
    assert seconds < 2  # the server would go on for 3 s; the cap, not the server, ends it


def test_the_fetcher_asks_for_an_unencoded_answer(connections: list[str]) -> None:
    heads: list[bytes] = []

    def record(conn: socket.socket) -> None:
        heads.append(read_head(conn, timeout_seconds=2))
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"keys": []}')

    with raw_server(record) as port:
        assert fetch_json(f"http://127.0.0.1:{port}/jwks", OPTIONS).ok
    assert b"\r\naccept-encoding: identity\r\n" in heads[0].lower()


def test_a_small_gzipped_jwks_from_a_server_that_ignores_identity_is_still_read(connections: list[str]) -> None:
    body = gzip.compress(b'{"keys": []}')
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n" % len(body)
    with raw_server(answering(head, body)) as port:
        fetched = fetch_json(f"http://127.0.0.1:{port}/jwks", OPTIONS)
    assert fetched.ok, fetched.error_detail
    assert fetched.json == {"keys": []}


def test_an_answer_in_an_encoding_the_fetcher_does_not_decode_is_refused_as_data(connections: list[str]) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: br\r\nContent-Length: 4\r\n"
    with raw_server(answering(head, b"\x0b\x02\x80\x00")) as port:
        fetched = fetch_json(f"http://127.0.0.1:{port}/jwks", OPTIONS)
    assert fetched.error == "not_json"
    assert "br" in (fetched.error_detail or "")


@pytest.mark.parametrize(
    ("location", "address"),
    [("http://169.254.169.254/latest/meta-data/", "169.254.169.254"), ("http://[fd00:ec2::254]/", "fd00:ec2::254")],
)
def test_a_redirect_to_a_cloud_metadata_address_is_refused_without_connecting(location: str, address: str, connections: list[str]) -> None:
    head = b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n" % location.encode()
    with raw_server(answering(head)) as port:
        fetched = fetch_json(f"http://127.0.0.1:{port}/jwks", OPTIONS)
    assert fetched.error == "invalid_url", fetched.error_detail
    assert address in (fetched.error_detail or "")
    assert connections == ["127.0.0.1"]


def test_a_redirect_to_a_name_that_resolves_to_a_link_local_address_is_refused_without_connecting(
    connections: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import oidc_validator.net.connect as connect_module

    real_resolve = connect_module.resolve_host

    async def metadata_for_one_name(host: str, port: int) -> Sequence[str]:
        return ["169.254.169.254"] if host == "metadata.example" else await real_resolve(host, port)

    monkeypatch.setattr(connect_module, "resolve_host", metadata_for_one_name)
    head = b"HTTP/1.1 302 Found\r\nLocation: http://metadata.example/latest/meta-data/\r\nContent-Length: 0\r\n"
    with raw_server(answering(head)) as port:
        fetched = fetch_json(f"http://127.0.0.1:{port}/jwks", OPTIONS)
    assert fetched.error == "invalid_url", fetched.error_detail
    assert connections == ["127.0.0.1"]


def test_a_link_local_address_the_user_gave_in_the_first_place_is_not_refused(
    connections: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import oidc_validator.net.connect as connect_module

    monkeypatch.setattr(connect_module, "resolve_host", resolving_to("169.254.169.254"))
    fetched = fetch_json("http://metadata.example/latest/meta-data/", OPTIONS)
    # The fetcher went on to connect (the test guard refused it before any packet): no policy refusal.
    assert fetched.error == "connect", fetched.error_detail
    assert connections == ["169.254.169.254"]


def test_a_redirect_between_paths_of_the_same_loopback_server_is_still_followed(connections: list[str]) -> None:
    def handle(conn: socket.socket) -> None:
        head = read_head(conn, timeout_seconds=2)
        if head.startswith(b"GET /start "):
            conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /jwks\r\nContent-Length: 0\r\n\r\n")
            head = read_head(conn, timeout_seconds=2)
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"keys": []}')

    with raw_server(handle) as port:
        fetched = fetch_json(f"http://127.0.0.1:{port}/start", OPTIONS)
    assert fetched.ok, fetched.error_detail
    assert len(fetched.redirects) == 1


def resolving_to(*addresses: str) -> Callable[[str, int], Any]:
    async def resolve(host: str, port: int) -> Sequence[str]:
        return list(addresses)

    return resolve


def test_credentials_over_plain_http_are_refused_for_a_dot_localhost_name_that_resolves_off_the_machine() -> None:
    problem = asyncio.run(credentials_over_http_problem("idp.localhost", 80, resolving_to("203.0.113.7")))
    assert problem is not None and "203.0.113.7" in problem


def test_credentials_over_plain_http_are_refused_if_any_address_of_the_name_is_off_the_machine() -> None:
    problem = asyncio.run(credentials_over_http_problem("idp.localhost", 80, resolving_to("127.0.0.1", "203.0.113.7")))
    assert problem is not None


def test_credentials_over_plain_http_are_allowed_to_a_name_that_resolves_to_loopback_only() -> None:
    assert asyncio.run(credentials_over_http_problem("idp.localhost", 80, resolving_to("127.0.0.1", "::1"))) is None


def test_the_token_request_over_plain_http_to_localhost_still_works(connections: list[str]) -> None:
    body = b'{"access_token": "a.b.c", "token_type": "Bearer"}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    with raw_server(answering(head, body)) as port:
        tokens, failures = obtain_tokens(f"http://localhost:{port}/token", GRANT, OPTIONS)
    assert failures == ()
    assert [t.raw for t in tokens] == ["a.b.c"]


def test_no_secret_is_sent_over_plain_http_to_a_dot_localhost_name_that_resolves_off_the_machine(
    connections: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import oidc_validator.net.connect as connect_module

    monkeypatch.setattr(connect_module, "resolve_host", resolving_to("192.0.2.10"))
    tokens, (failure,) = obtain_tokens("http://idp.localhost:8080/token", GRANT, OPTIONS)
    assert tokens == ()
    assert "192.0.2.10" in failure.detail and "not loopback" in failure.detail
    assert "demo-secret" not in failure.detail
    assert connections == []
