"""HTTP/1.1 at the socket level, for tests that need bytes no client library would send or accept."""

from __future__ import annotations

import socket

HEAD_END = b"\r\n\r\n"


def read_head(sock: socket.socket, *, limit_bytes: int = 65536, timeout_seconds: float = 10.0) -> bytes:
    """What the peer sends up to the end of its head (or until it closes, or ``limit_bytes``)."""
    sock.settimeout(timeout_seconds)
    data = b""
    while HEAD_END not in data and len(data) < limit_bytes:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data
