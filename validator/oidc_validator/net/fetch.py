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
from dataclasses import dataclass, replace
from typing import Any

import certifi
import httpx

from oidc_validator.crypto.jose import strict_json_loads
from oidc_validator.errors import ValidatorError
from oidc_validator.model.context import Fetched, FetchErrorKind
from oidc_validator.net.options import FetchOptions
from oidc_validator.net.urls import is_loopback_host

JSON_MEDIA_TYPES = frozenset({"application/json", "application/jwk-set+json"})
USER_AGENT = "oidc-validator (pre-onboarding self-check)"


class _Failed(ValidatorError):
    """A fetch that ended early; ``_fetch`` turns it into a ``Fetched`` whose ``error`` is this ``code``."""

    code: FetchErrorKind

    def __init__(self, code: FetchErrorKind, detail: str) -> None:
        super().__init__(detail, code=code)
        self.detail = detail


def ssl_context(options: FetchOptions) -> ssl.SSLContext:
    """Public roots plus the private CA, so a --ca-file never stops public hosts from verifying."""
    context = ssl.create_default_context(cafile=certifi.where())
    if options.ca_file is not None:
        context.load_verify_locations(cafile=str(options.ca_file))
    return context


def httpx_timeout(options: FetchOptions) -> httpx.Timeout:
    total = options.total_timeout_seconds
    return httpx.Timeout(total, connect=min(options.connect_timeout_seconds, total))


def client_settings(options: FetchOptions) -> dict[str, Any]:
    """What every HTTP client of the validator shares: its TLS roots and timeouts, redirects handled by hand
    (each hop is checked), and nothing from the environment (no proxy or netrc the user did not name)."""
    return {"verify": ssl_context(options), "timeout": httpx_timeout(options), "follow_redirects": False, "trust_env": False}


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
        raise _Failed("invalid_url", f"not a valid URL: {one_line(str(exc))}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise _Failed("invalid_url", f"not an absolute http(s) URL: {one_line(url, 200)}")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise _Failed("invalid_url", f"port {parsed.port} is out of range: {one_line(url, 200)}")
    return parsed


def url_problem(url: str) -> str | None:
    """Why this URL cannot be requested at all, or None."""
    try:
        _check_url(url)
    except _Failed as failed:
        return failed.detail
    return None


def _classify(exc: httpx.HTTPError) -> _Failed:
    if isinstance(exc, httpx.TimeoutException):
        return _Failed("timeout", f"timed out ({type(exc).__name__})")
    reason = str(exc) or type(exc).__name__
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return _Failed("tls", f"TLS failed: {one_line(str(cause))}")
        if isinstance(cause, OSError) and cause.strerror:
            # "Connection refused" says more than httpx's "All connection attempts failed".
            errno = None if isinstance(cause, socket.gaierror) else cause.errno
            reason = os.strerror(errno) if isinstance(errno, int) and errno > 0 else cause.strerror
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return _Failed("invalid_url", one_line(str(exc)))
    if isinstance(exc, httpx.RemoteProtocolError) and "location header" in str(exc).lower():
        # httpx parses Location even when not following redirects, and rejects a malformed one here.
        return _Failed("invalid_url", f"redirect to an invalid URL: {one_line(str(exc))}")
    return _Failed("connect", f"could not connect: {one_line(reason)}")


@dataclass
class _Progress:
    """What is known so far, so a timeout or failure half-way still reports status and redirects."""

    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    redirects: tuple[str, ...] = ()


async def _read_capped(response: httpx.Response, max_body_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
        raise _Failed("too_large", f"Content-Length {declared} bytes is over the {max_body_bytes}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_body_bytes:
            raise _Failed("too_large", f"body is over the {max_body_bytes}-byte limit (reading stopped)")
        chunks.append(chunk)
    return b"".join(chunks)


async def _exchange(url: str, options: FetchOptions, progress: _Progress) -> Fetched:
    current = _check_url(url)
    async with httpx.AsyncClient(
        **client_settings(options),
        headers={"Accept": "application/json, application/jwk-set+json", "User-Agent": USER_AGENT},
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
                        raise _Failed("http_status", f"HTTP {response.status_code} {response.reason_phrase}".strip())
                    body = await _read_capped(response, options.max_body_bytes)
            except httpx.HTTPError as exc:
                raise _classify(exc) from None
            return _interpret(url, body, progress)


def _next_hop(current: httpx.URL, response: httpx.Response, options: FetchOptions, progress: _Progress) -> httpx.URL:
    location = response.headers.get("location")
    if not location:
        raise _Failed("http_status", f"HTTP {response.status_code} redirect without a Location header")
    try:
        target = _check_url(str(current.join(location)))
    except (httpx.InvalidURL, _Failed) as exc:
        raise _Failed("invalid_url", f"redirect to an invalid URL: {one_line(str(exc))}") from None
    if current.scheme == "https" and target.scheme == "http":
        raise _Failed("redirect_to_http", f"redirect from https to http ({target}) was not followed")
    if len(progress.redirects) >= options.max_redirects:
        raise _Failed("too_many_redirects", f"more than {options.max_redirects} redirects (next: {target})")
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
    except _Failed as failed:
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
