"""The floors ``make bench`` prints beside two targets: the least an endpoint on the same stack can cost.

Plain ASGI endpoints on uvicorn (the uvloop and httptools the IdP and the stand-in use), pinned to
the core they are pinned to, with the IdP's own RS256 key:

- ``POST /sign`` reads the body and signs a claim set shaped like the IdP's access tokens with
  PyJWT. No OAuth and no client authentication: a token endpoint that did nothing but sign.
- ``GET /verify`` takes the Bearer token and verifies its RS256 signature with cryptography. No
  header or claim rules, no key selection, no user mapping: a stand-in that did nothing but the signature.
- ``GET /bare`` answers a small JSON document: the bare endpoint ``/verify`` is compared with.

Run: ``python tests/bench/floor_app.py KEYS_DIR``; it prints one JSON ready line with its base URL.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import jwt
import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from oidc_idp.keys.keystore import KeyStore

Message = dict[str, Any]


def _json(status: int, document: object) -> tuple[Message, Message]:
    body = json.dumps(document).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return {"type": "http.response.start", "status": status, "headers": headers}, {"type": "http.response.body", "body": body}


def floor_app(keys_dir: Path) -> Any:
    key = KeyStore(keys_dir).load().active("RS256")
    if key is None:
        raise SystemExit(f"no active RS256 key in {keys_dir}")
    public_key = key.certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SystemExit(f"the active key in {keys_dir} is not an RSA key")

    def sign() -> tuple[Message, Message]:
        now = int(time.time())
        claims = {"iss": "http://127.0.0.1/", "sub": "demo-client", "aud": "https://qualys.example/api", "iat": now, "nbf": now}
        claims |= {"exp": now + 300, "jti": secrets.token_urlsafe(16), "client_id": "demo-client"}
        token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt"})
        return _json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 300})

    def verify(headers: list[tuple[bytes, bytes]]) -> tuple[Message, Message]:
        authorization = next((v for k, v in headers if k == b"authorization"), b"")
        try:
            signing_input, _, signature = authorization.partition(b" ")[2].rpartition(b".")
            raw = base64.urlsafe_b64decode(signature + b"=" * (-len(signature) % 4))
            public_key.verify(raw, signing_input, padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, InvalidSignature):
            return _json(401, {"error": "invalid_token"})
        return _json(200, {"verified": True})

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        path = scope["path"]
        start, body = sign() if path == "/sign" else verify(scope["headers"]) if path == "/verify" else _json(200, {"bare": True})
        await send(start)
        await send(body)

    return app


def main() -> None:
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(floor_app(Path(sys.argv[1])), log_level="warning", access_log=False, lifespan="off", server_header=False)
    server = uvicorn.Server(config)

    def announce() -> None:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.005)
        print(json.dumps({"event": "ready", "base_url": f"http://127.0.0.1:{sock.getsockname()[1]}"}), flush=True)

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])  # uvicorn's own loop set-up: uvloop, as for the IdP and the stand-in


if __name__ == "__main__":
    main()
