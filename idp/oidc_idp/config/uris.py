"""The URI rules of client registration: absolute redirect URIs, and which count as loopback (RFC 8252)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Characters a browser and urlsplit could read differently in an authority (RFC 3986 section 3.2).
_AMBIGUOUS = re.compile(r"[\\\s\x00-\x1f\x7f]")


def absolute_uri(value: str) -> str:
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc or parts.fragment:
        # RFC 6749 section 3.1.2: an absolute URI without a fragment.
        raise ValueError(f"{value!r} must be an absolute URI without a fragment")
    return value


def is_loopback_uri(value: str) -> bool:
    """An http(s) URI on a loopback host, any port and path (RFC 8252 sections 7.3 and 8.3).

    No userinfo, no fragment, nothing a browser might parse as another host.
    """
    if _AMBIGUOUS.search(value):
        return False
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and "@" not in parts.netloc and not parts.fragment and parts.hostname in LOOPBACK_HOSTS
