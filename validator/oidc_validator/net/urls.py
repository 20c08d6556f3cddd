"""Small URL facts shared by the fetcher and the checks."""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str | None) -> bool:
    """localhost, *.localhost (RFC 6761 section 6.3) or a loopback IP: reachable from this machine only."""
    if not host:
        return False
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
