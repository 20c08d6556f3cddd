"""Run options light enough for argument parsing (no httpx import): ``--help`` stays fast."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ResolveEntry:
    """One --resolve HOST:PORT:ADDRESS[,ADDRESS...] (curl's meaning): connections to HOST on PORT go to these
    addresses instead of what DNS says; TLS server name, certificate check, Host header and redirects keep HOST."""

    host: str  # lower case, no trailing dot, ASCII (IDNA) form: as httpcore names the host it connects to
    port: int
    addresses: tuple[str, ...]


def parse_resolve(text: str) -> ResolveEntry:
    """``HOST:PORT:ADDRESS[,ADDRESS...]``; an IPv6 address may be bracketed (``[::1]``). ValueError says what is wrong."""
    host, sep1, rest = text.partition(":")
    port_text, sep2, address_text = rest.partition(":")
    if not (sep1 and sep2) or not host or not port_text or not address_text:
        raise ValueError(f"expects HOST:PORT:ADDRESS, got {text!r}")
    if any(c.isspace() or c in "/[]@" for c in host):
        raise ValueError(f"{host!r} is not a host name")
    try:
        ascii_host = host.rstrip(".").lower().encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{host!r} is not a host name") from None
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"port {port_text!r} is not a number in 1-65535")
    addresses: list[str] = []
    for item in address_text.split(","):
        bare = item[1:-1] if item.startswith("[") and item.endswith("]") else item
        try:
            addresses.append(str(ipaddress.ip_address(bare)))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address (a host name is not accepted here)") from None
    return ResolveEntry(ascii_host, int(port_text), tuple(addresses))


@dataclass(frozen=True)
class FetchOptions:
    """Network limits shared by the fetcher and the token requests."""

    connect_timeout_seconds: float = 5.0
    # httpx timeouts apply per operation; this one bounds the whole exchange, redirects included.
    total_timeout_seconds: float = 15.0
    max_body_bytes: int = 1024 * 1024
    max_redirects: int = 3
    ca_file: Path | None = None
    resolve: tuple[ResolveEntry, ...] = ()

    def resolved(self, host: str, port: int) -> tuple[str, ...] | None:
        """The --resolve addresses for ``host`` (as httpcore names it) on ``port``, or None to ask DNS."""
        name = host.strip("[]").rstrip(".").lower()
        for entry in self.resolve:
            if entry.host == name and entry.port == port:
                return entry.addresses
        return None


@dataclass(frozen=True)
class GrantRequest:
    """How to obtain sample tokens. The secrets are excluded from repr so they never reach a log."""

    grant: str  # "client_credentials" | "password"
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    scope: str | None = None
