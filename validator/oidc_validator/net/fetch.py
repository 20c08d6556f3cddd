"""The one fetcher: every remote document the validator reads comes through ``fetch_json``.

Failures never raise: they come back as a ``Fetched`` with an error kind, for the checks to report.
There is deliberately no way to fetch a URL found in a token header (``jku``, ``x5u``): callers only
pass URLs the user gave or discovery announced.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import ssl
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import certifi
import httpcore
import httpx

from oidc_validator.crypto.jose import strict_json_loads
from oidc_validator.errors import ValidatorError
from oidc_validator.model.context import Fetched, FetchErrorKind
from oidc_validator.net.options import FetchOptions
from oidc_validator.net.urls import is_loopback_host

JSON_MEDIA_TYPES = frozenset({"application/json", "application/jwk-set+json"})
USER_AGENT = "oidc-validator (pre-onboarding self-check)"
# Every request asks for the body as sent: a compressed body defeats the size cap (a 5 KB "gzip, gzip"
# answer decodes to gigabytes). A server that compresses anyway is decoded here, within the cap.
ACCEPT_ENCODING = "identity"
# zlib window bits per Content-Encoding this fetcher decodes itself (bounded); any other is refused.
DECODED_ENCODINGS: dict[str, int] = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
# Cloud metadata services outside the link-local ranges (169.254.0.0/16, fe80::/10): AWS over IPv6,
# Alibaba Cloud, Azure's wire server. A redirect must never lead there.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200", "168.63.129.16"))

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


class FetchFailed(ValidatorError):
    """A fetch that ended early; ``_fetch`` turns it into a ``Fetched`` whose ``error`` is this ``code``
    (the token request turns its ``detail`` into a TokenRequestFailure)."""

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


def _normal_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope id (fe80::1%eth0) is not part of the address
    except ValueError:
        return None
    # ::ffff:169.254.169.254 reaches the IPv4 address: judge it as that address.
    return ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip


def is_link_local_or_metadata(address: str) -> bool:
    ip = _ip(address)
    return ip is not None and (ip.is_link_local or ip in METADATA_ADDRESSES)


def is_loopback_address(address: str) -> bool:
    ip = _ip(address)
    return ip is not None and ip.is_loopback


async def resolve_host(host: str, port: int) -> Sequence[str]:
    """The IP addresses ``host`` resolves to, in the resolver's order (an IP literal resolves to itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(_normal_host(host), port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def credentials_over_http_problem(host: str, port: int, resolve: Resolver) -> str | None:
    """Why credentials may not go over plain http to ``host``, or None when every address it resolves to is loopback.

    Decided by address, not by name: ``*.localhost`` is loopback by RFC 6761, but a resolver may still
    answer with an address off this machine, and the secret would travel there in the clear."""
    addresses = await resolve(host, port)
    if not addresses:
        return f"{host} resolves to no address"
    for address in addresses:
        if not is_loopback_address(address):
            return f"{host} resolves to {address}, which is not loopback: no credentials are sent over plain http beyond this machine"
    return None


@dataclass(frozen=True)
class ConnectPolicy:
    """Which addresses one client may connect to, checked on the resolved address right before connecting.

    ``trusted_host`` is the host the user (or discovery, for the token endpoint) named: whatever it resolves
    to was chosen, so only hosts reached otherwise (by redirect) are kept out of link-local and metadata
    addresses. ``loopback_only`` is for credentials over plain http. Hosts are compared in the ASCII (IDNA)
    form httpcore connects with, so an internationalised name the user gave is still recognised."""

    trusted_host: str
    loopback_only: bool = False


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving each host itself and connecting only to addresses the policy admits.

    The connection goes to the very address that was checked, so a second DNS answer cannot change it;
    TLS still verifies the certificate against the host name (httpcore passes the origin as server name)."""

    def __init__(self, policy: ConnectPolicy, options: FetchOptions) -> None:
        self._policy = policy
        self._options = options
        self._inner = httpcore.AnyIOBackend()

    async def _admitted(self, host: str, port: int) -> Sequence[str]:
        # --resolve replaces only the lookup: the addresses still pass every check below, and TLS still
        # verifies the certificate against ``host`` (httpcore passes the origin, not the address, as server name).
        pinned = self._options.resolved(host, port)
        try:
            # Looked up on the module at call time: the one seam tests use to resolve without DNS.
            addresses = pinned if pinned is not None else await resolve_host(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        if self._policy.loopback_only:
            problem = await credentials_over_http_problem(host, port, _resolved(addresses))
            if problem is not None:
                raise FetchFailed("connect", problem)
        if _normal_host(host) != _normal_host(self._policy.trusted_host):
            for address in addresses:
                if is_link_local_or_metadata(address):
                    # invalid_url: the redirect target is not a URL the fetcher will request. (A kind of its
                    # own would mean a new FetchErrorKind in model.context and a fix text in checks.base.)
                    raise FetchFailed(
                        "invalid_url",
                        f"redirect to {host} ({address}), a link-local or cloud metadata address, was not followed",
                    )
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: httpcore.ConnectError | None = None
        for address in await self._admitted(host, port):
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:  # e.g. ::1 refused, 127.0.0.1 listening: try the next address
                failure = exc
        raise failure or httpcore.ConnectError(f"{host} resolves to no address")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _resolved(addresses: Sequence[str]) -> Resolver:
    async def resolve(host: str, port: int) -> Sequence[str]:
        return addresses

    return resolve


def guarded_transport(options: FetchOptions, policy: ConnectPolicy) -> httpx.AsyncHTTPTransport:
    context = ssl_context(options)
    transport = httpx.AsyncHTTPTransport(verify=context, trust_env=False)
    # httpx takes no network backend; its pool is replaced by one with the same TLS context that has the guard.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context, max_connections=10, keepalive_expiry=5.0, network_backend=_GuardedBackend(policy, options)
    )
    return transport


def client_settings(options: FetchOptions, policy: ConnectPolicy) -> dict[str, Any]:
    """What every HTTP client of the validator shares: its TLS roots and timeouts, connections only where
    ``policy`` admits, redirects handled by hand (each hop is checked), no compressed bodies, and nothing
    from the environment (no proxy or netrc the user did not name)."""
    return {
        "transport": guarded_transport(options, policy),
        "timeout": httpx_timeout(options),
        "follow_redirects": False,
        "trust_env": False,
    }


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
