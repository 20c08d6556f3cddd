"""The stand-in's server caps the request head (request line and headers) at 16 KiB: 431, never buffered
without end. Tested against the real uvicorn server that serve() starts, on 127.0.0.1."""

from __future__ import annotations

import json
import selectors
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

import rawhttp
from oidc_validator.net.head_cap import MAX_HEAD_BYTES
from rawhttp import padded_request

TIMEOUT_SECONDS = 10
# serve() as ``oidc-validator simulate`` calls it, minus the bundle: certificate mode with no keys, so every
# token is refused with 401; what matters here is whether the request reached the app at all.
SERVE = """
from oidc_validator.simulate.config import StandInConfig
from oidc_validator.simulate.serve import serve
config = StandInConfig(issuer="https://idp.example", audiences=("a",), custom_claim=None, users={}, key_source="certificates")
serve(config, host="127.0.0.1", port=0, log_level="warning")
"""


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    proc = subprocess.Popen([sys.executable, "-c", SERVE], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        assert selector.select(timeout=30), "the stand-in did not print its ready line"
        yield int(json.loads(proc.stdout.readline())["port"])
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def exchange(port: int, request: bytes) -> bytes:
    return rawhttp.exchange(port, request, timeout_seconds=TIMEOUT_SECONDS)


def head(extra_header_bytes: int, body: bytes = b"") -> bytes:
    return padded_request(extra_header_bytes, path="/api/2.0/fo/asset/ip/?action=list", body=body)


def test_a_head_under_the_cap_reaches_the_stand_in(port: int) -> None:
    assert exchange(port, head(MAX_HEAD_BYTES // 2)).startswith(b"HTTP/1.1 401 ")  # no bearer token: the app answered


@pytest.mark.parametrize("size", [MAX_HEAD_BYTES + 1, 1024 * 1024, 8 * 1024 * 1024], ids=["just_over", "1_MiB", "8_MiB"])
def test_a_head_over_the_cap_gets_431_and_a_closed_connection(port: int, size: int) -> None:
    answer = exchange(port, head(size))
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b"connection: close" in answer


def test_a_body_sent_in_the_same_write_as_the_head_does_not_count_as_head(port: int) -> None:
    answer = exchange(port, head(MAX_HEAD_BYTES // 2, body=b"pad=" + b"b" * 40_000))
    assert answer.startswith(b"HTTP/1.1 401 ")  # the app answered, not the cap


def test_the_stand_in_still_serves_after_refusing_a_head(port: int) -> None:
    exchange(port, head(2 * MAX_HEAD_BYTES))
    assert exchange(port, head(10)).startswith(b"HTTP/1.1 401 ")
