"""The request head (request line and headers) is capped at 16 KiB: 431, never buffered without end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import rawhttp
from oidc_idp import RunningIdp, running
from oidc_validator.net.head_cap import MAX_HEAD_BYTES
from rawhttp import padded_request

TIMEOUT_SECONDS = 10


@pytest.fixture(scope="module")
def idp() -> Iterator[RunningIdp]:
    with running() as server:
        yield server


def exchange(idp: RunningIdp, request: bytes) -> bytes:
    return rawhttp.exchange(idp.port, request, timeout_seconds=TIMEOUT_SECONDS)


def head(extra_header_bytes: int, body: bytes = b"", path: str = "/jwks") -> bytes:
    return padded_request(extra_header_bytes, path=path, body=body)


def test_a_head_under_the_cap_is_served(idp: RunningIdp) -> None:
    assert exchange(idp, head(MAX_HEAD_BYTES // 2)).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("size", [MAX_HEAD_BYTES + 1, 1024 * 1024, 8 * 1024 * 1024], ids=["just_over", "1_MiB", "8_MiB"])
def test_a_head_over_the_cap_gets_431_and_a_closed_connection(idp: RunningIdp, size: int) -> None:
    answer = exchange(idp, head(size))
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b'"error":"invalid_request"' in answer


def test_a_body_sent_in_the_same_write_as_the_head_does_not_count_as_head(idp: RunningIdp) -> None:
    body = b"grant_type=client_credentials&pad=" + b"b" * 40_000
    answer = exchange(idp, head(MAX_HEAD_BYTES // 2, body=body, path="/token"))
    assert answer.startswith(b"HTTP/1.1 401 ")  # no client credentials: the token endpoint answered, not the cap


def test_the_server_still_serves_after_refusing_a_head(idp: RunningIdp) -> None:
    exchange(idp, head(2 * MAX_HEAD_BYTES))
    assert exchange(idp, head(10)).startswith(b"HTTP/1.1 200")
