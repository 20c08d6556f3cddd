"""Where the validator may connect, and how: the address policy, the guarded network backend, the client settings.

Each host name is resolved here (or by ``--resolve``) and every address is checked before a
connection is made: no redirect into link-local or cloud metadata addresses, and credentials over
plain http only to an address that is loopback once resolved.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import certifi
import httpcore
import httpx

from oidc_validator.errors import ValidatorError
from oidc_validator.model.context import FetchErrorKind
from oidc_validator.net.options import FetchOptions

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
