"""HTTP/1.1 at the socket level, for tests that need bytes no client library would send or accept.

Everything here stays on loopback addresses, with timeouts and a bounded server lifetime.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator

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


def exchange(port: int, request: bytes, *, timeout_seconds: float = 10.0) -> bytes:
    """Send raw bytes in one write to 127.0.0.1:port; the answer's head (and what came with it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_seconds) as sock:
        with contextlib.suppress(OSError):  # the server may close while a huge head is still being sent
            sock.sendall(request)
        return read_head(sock, timeout_seconds=timeout_seconds)


def padded_request(extra_header_bytes: int, *, path: str = "/", body: bytes = b"") -> bytes:
    """A GET (a form POST when there is a body) whose head carries ``extra_header_bytes`` of padding."""
    method = b"POST" if body else b"GET"
    return (
        method + b" " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * extra_header_bytes + b"\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + str(len(body)).encode() + HEAD_END + body
    )


@contextlib.contextmanager
def raw_server(
    handle: Callable[[socket.socket], None],
    *,
    tls: ssl.SSLContext | None = None,
    host: str = "127.0.0.1",
    lifetime_seconds: float = 8.0,
) -> Iterator[int]:
    """A one-purpose TCP server on a loopback ``host`` that handles each connection in a thread, for a bounded time; yields its port."""
    listener = socket.create_server((host, 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def guarded(conn: socket.socket) -> None:
        try:
            handle(conn)
        except OSError:
            pass  # the client hung up on purpose (size cap, timeout, refusal)
        finally:
            conn.close()

    def serve() -> None:
        deadline = time.monotonic() + lifetime_seconds
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            if tls is not None:
                try:
                    conn = tls.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    conn.close()
                    continue
            threading.Thread(target=guarded, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


def endless_chunked_json(opening: bytes, *, seconds: float = 3.0) -> Callable[[socket.socket], None]:
    """A handler answering 200 with a chunked JSON body that starts with ``opening`` and never ends (for ``seconds``)."""

    def handle(conn: socket.socket) -> None:
        read_head(conn, timeout_seconds=2)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = opening + b" " * 8000
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    return handle
