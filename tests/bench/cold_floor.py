"""The cold start's floors (``make bench``): the least a Python server can do from spawn to a first JWKS answer.

``asyncio``: the standard library alone, one static JWKS. ``uvicorn``: uvicorn as ``oidc-idp serve`` runs
it (httptools, uvloop when installed, no lifespan, no WebSocket, no access log), a raw ASGI app answering
the same static JWKS. Each binds 127.0.0.1 on a free port and prints one JSON ready line with its
``jwks_uri``, as ``oidc-idp serve`` does; SIGINT stops it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from typing import Any

# A stand-in of the IdP's JWKS size (one RSA key, its x5c and thumbprints), not real key material.
JWKS = json.dumps(
    {"keys": [{"kty": "RSA", "kid": "floor", "use": "sig", "alg": "RS256", "n": "x" * 342, "e": "AQAB", "x5c": ["y" * 1000]}]}
)
BODY = JWKS.encode()


def ready(port: int) -> None:
    sys.stdout.write(json.dumps({"event": "ready", "jwks_uri": f"http://127.0.0.1:{port}/jwks"}) + "\n")
    sys.stdout.flush()


def serve_asyncio(sock: socket.socket) -> None:
    import asyncio

    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: %d\r\n\r\n" % len(BODY)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(head + BODY)
        await writer.drain()
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(answer, sock=sock)
        ready(sock.getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def serve_uvicorn(sock: socket.socket) -> None:
    import uvicorn

    headers = [(b"content-length", str(len(BODY)).encode()), (b"content-type", b"application/json")]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": BODY})

    config = uvicorn.Config(app, lifespan="off", access_log=False, log_level="warning", server_header=False, http="httptools", ws="none")
    server = uvicorn.Server(config)

    def announce() -> None:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.002)
        ready(sock.getsockname()[1])

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])


def main() -> int:
    sock = socket.create_server(("127.0.0.1", 0), backlog=2048)
    with contextlib.suppress(KeyboardInterrupt):  # SIGINT is how the bench stops it
        {"asyncio": serve_asyncio, "uvicorn": serve_uvicorn}[sys.argv[1]](sock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
