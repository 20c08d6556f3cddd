"""The one fetcher: every remote document the validator reads comes through ``fetch_json``.

Failures never raise: they come back as a ``Fetched`` with an error kind, for the checks to report.
There is deliberately no way to fetch a URL found in a token header (``jku``, ``x5u``): callers only
pass URLs the user gave or discovery announced.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import zlib
from dataclasses import dataclass, replace
from typing import Any

import httpx

from oidc_validator.crypto.jose import strict_json_loads
from oidc_validator.model.context import Fetched
from oidc_validator.net.connect import ConnectPolicy, FetchFailed, client_settings
from oidc_validator.net.options import FetchOptions
from oidc_validator.net.urls import is_loopback_host

JSON_MEDIA_TYPES = frozenset({"application/json", "application/jwk-set+json"})
USER_AGENT = "oidc-validator (pre-onboarding self-check)"
# Every request asks for the body as sent: a compressed body defeats the size cap (a 5 KB "gzip, gzip"
# answer decodes to gigabytes). A server that compresses anyway is decoded here, within the cap.
ACCEPT_ENCODING = "identity"
# zlib window bits per Content-Encoding this fetcher decodes itself (bounded); any other is refused.
DECODED_ENCODINGS: dict[str, int] = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def is_loopback_url(url: str) -> bool:
    try:
        host = httpx.URL(url).host
    except (httpx.InvalidURL, TypeError, ValueError):
        return False
    return is_loopback_host(host)


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json_media_type(content_type: str | None) -> bool:
    kind = media_type(content_type)
    return kind in JSON_MEDIA_TYPES or (kind.startswith("application/") and kind.endswith("+json"))


def parse_json_strictly(body: bytes) -> Any:
    """RFC 8259 JSON only: UTF-8 without BOM, no NaN/Infinity, no duplicate member names (ValueError otherwise)."""
    if body.startswith(b"\xef\xbb\xbf"):
        raise ValueError("body starts with a byte order mark")
    return strict_json_loads(body.decode("utf-8", errors="strict"))


def _check_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchFailed("invalid_url", f"not a valid URL: {one_line(str(exc))}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchFailed("invalid_url", f"not an absolute http(s) URL: {one_line(url, 200)}")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise FetchFailed("invalid_url", f"port {parsed.port} is out of range: {one_line(url, 200)}")
    return parsed


def url_problem(url: str) -> str | None:
    """Why this URL cannot be requested at all, or None."""
    try:
        _check_url(url)
    except FetchFailed as failed:
        return failed.detail
    return None


def _classify(exc: httpx.HTTPError) -> FetchFailed:
    if isinstance(exc, httpx.TimeoutException):
        return FetchFailed("timeout", f"timed out ({type(exc).__name__})")
    reason = str(exc) or type(exc).__name__
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return FetchFailed("tls", f"TLS failed: {one_line(str(cause))}")
        if isinstance(cause, OSError) and cause.strerror:
            # "Connection refused" says more than httpx's "All connection attempts failed".
            errno = None if isinstance(cause, socket.gaierror) else cause.errno
            reason = os.strerror(errno) if isinstance(errno, int) and errno > 0 else cause.strerror
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FetchFailed("invalid_url", one_line(str(exc)))
    if isinstance(exc, httpx.RemoteProtocolError) and "location header" in str(exc).lower():
        # httpx parses Location even when not following redirects, and rejects a malformed one here.
        return FetchFailed("invalid_url", f"redirect to an invalid URL: {one_line(str(exc))}")
    return FetchFailed("connect", f"could not connect: {one_line(reason)}")


@dataclass
class _Progress:
    """What is known so far, so a timeout or failure half-way still reports status and redirects."""

    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    redirects: tuple[str, ...] = ()


async def read_body(response: httpx.Response, max_body_bytes: int) -> bytes:
    """The body, never more than ``max_body_bytes`` on the wire nor once decoded: the raw bytes are counted
    as they arrive, and a gzip or deflate body is decoded here with zlib's output bound, layer by layer."""
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
        raise FetchFailed("too_large", f"Content-Length {declared} bytes is over the {max_body_bytes}-byte limit")
    encodings = [e for e in (v.strip().lower() for v in response.headers.get_list("content-encoding", split_commas=True)) if e]
    encodings = [e for e in encodings if e != "identity"]
    unsupported = [e for e in encodings if e not in DECODED_ENCODINGS]
    if unsupported:
        shown = one_line(", ".join(unsupported), 100)
        raise FetchFailed("not_json", f"the body is encoded as {shown}, which is not decoded (an unencoded answer was asked for)")
    chunks: list[bytes] = []
    size = 0
    # aiter_raw, not aiter_bytes: httpx would decode each chunk whole, and one 5 KB chunk can hold gigabytes.
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > max_body_bytes:
            raise FetchFailed("too_large", f"body is over the {max_body_bytes}-byte limit (reading stopped)")
        chunks.append(chunk)
    body = b"".join(chunks)
    for encoding in reversed(encodings):  # the last encoding listed was applied last
        body = _decode_bounded(body, encoding, max_body_bytes)
    return body


def _decode_bounded(data: bytes, encoding: str, max_body_bytes: int) -> bytes:
    """One Content-Encoding layer, decoded to at most ``max_body_bytes`` (zlib stops at ``max_length``)."""
    decoded = bytearray()
    remaining = data
    wbits = DECODED_ENCODINGS[encoding]
    while remaining:  # a gzip body may hold several members, one after the other
        decoder = zlib.decompressobj(wbits)
        try:
            # max_length is at least 1 here (0 would mean unlimited): decoded never exceeds the cap between members.
            decoded += decoder.decompress(remaining, max_body_bytes + 1 - len(decoded))
        except zlib.error as exc:
            if encoding == "deflate" and wbits > 0 and not decoded:
                wbits = -zlib.MAX_WBITS  # "deflate" is often sent raw, without the zlib header (as httpx also allows)
                continue
            raise FetchFailed("not_json", f"the {encoding} body does not decode: {one_line(str(exc))}") from None
        if len(decoded) > max_body_bytes:
            raise FetchFailed("too_large", f"body is over the {max_body_bytes}-byte limit once decoded ({encoding}; decoding stopped)")
        if not decoder.eof:
            raise FetchFailed("not_json", f"the {encoding} body is truncated")
        remaining = decoder.unused_data
    return bytes(decoded)


async def _exchange(url: str, options: FetchOptions, progress: _Progress) -> Fetched:
    current = _check_url(url)
    async with httpx.AsyncClient(
        **client_settings(options, ConnectPolicy(trusted_host=current.raw_host.decode("ascii"))),
        headers={"Accept": "application/json, application/jwk-set+json", "Accept-Encoding": ACCEPT_ENCODING, "User-Agent": USER_AGENT},
    ) as client:
        while True:
            progress.final_url = str(current)
            try:
                async with client.stream("GET", current) as response:
                    progress.status = response.status_code
                    progress.content_type = response.headers.get("content-type")
                    if response.is_redirect:
                        current = _next_hop(current, response, options, progress)
                        continue
                    if not response.is_success:
                        raise FetchFailed("http_status", f"HTTP {response.status_code} {response.reason_phrase}".strip())
                    body = await read_body(response, options.max_body_bytes)
            except httpx.HTTPError as exc:
                raise _classify(exc) from None
            return _interpret(url, body, progress)


def _next_hop(current: httpx.URL, response: httpx.Response, options: FetchOptions, progress: _Progress) -> httpx.URL:
    location = response.headers.get("location")
    if not location:
        raise FetchFailed("http_status", f"HTTP {response.status_code} redirect without a Location header")
    try:
        target = _check_url(str(current.join(location)))
    except (httpx.InvalidURL, FetchFailed) as exc:
        raise FetchFailed("invalid_url", f"redirect to an invalid URL: {one_line(str(exc))}") from None
    if current.scheme == "https" and target.scheme == "http":
        raise FetchFailed("redirect_to_http", f"redirect from https to http ({target}) was not followed")
    if len(progress.redirects) >= options.max_redirects:
        raise FetchFailed("too_many_redirects", f"more than {options.max_redirects} redirects (next: {target})")
    progress.redirects = (*progress.redirects, str(target))
    return target


def _interpret(url: str, body: bytes, progress: _Progress) -> Fetched:
    base = Fetched(url, progress.final_url, progress.status, progress.content_type, body, redirects=progress.redirects)
    if not is_json_media_type(progress.content_type):
        shown = media_type(progress.content_type) or "no Content-Type"
        detail = f"Content-Type is {shown}, expected application/json or application/jwk-set+json"
        return replace(base, error="wrong_content_type", error_detail=detail)
    try:
        document = parse_json_strictly(body)
    except (UnicodeDecodeError, ValueError) as exc:
        return replace(base, error="not_json", error_detail=f"not valid JSON: {one_line(str(exc))}")
    return replace(base, json=document)


async def _fetch(url: str, options: FetchOptions) -> Fetched:
    progress = _Progress()
    try:
        async with asyncio.timeout(options.total_timeout_seconds):
            return await _exchange(url, options, progress)
    except FetchFailed as failed:
        error, detail = failed.code, failed.detail
    except TimeoutError:
        error, detail = "timeout", f"no complete answer within the {options.total_timeout_seconds:g} s total timeout"
    except (OSError, ssl.SSLError, ValueError) as exc:  # e.g. an unreadable --ca-file, raised before any request
        error, detail = "connect", one_line(f"{type(exc).__name__}: {exc}")
    except httpx.InvalidURL as exc:
        error, detail = "invalid_url", one_line(str(exc))
    except Exception as exc:
        # Remote material must never crash the run: whatever a server manages to provoke becomes data.
        error, detail = "connect", one_line(f"unexpected {type(exc).__name__}: {exc}")
    return Fetched(
        url=url,
        final_url=progress.final_url,
        status=progress.status,
        content_type=progress.content_type,
        error=error,
        error_detail=detail,
        redirects=progress.redirects,
    )


def fetch_json(url: str, options: FetchOptions | None = None) -> Fetched:
    """GET a JSON document within the limits of ``options``; every outcome is a ``Fetched``."""
    return asyncio.run(_fetch(url, options or FetchOptions()))
