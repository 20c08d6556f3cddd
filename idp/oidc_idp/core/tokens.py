"""JWT minting: registered claims, configured claims, and the signature (PyJWT)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

import jwt
from jwt.utils import base64url_encode

from oidc_idp.keys.keystore import SigningKey

ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 - RFC 9068 section 2.1
ID_TOKEN_TYP = "JWT"  # noqa: S105


def registered_claims(*, issuer: str, sub: str, aud: str | list[str], now: int, ttl_seconds: int) -> dict[str, Any]:
    return {
        "iss": issuer,
        "sub": sub,
        "aud": aud,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": secrets.token_urlsafe(16),
    }


def compose_claims(registered: Mapping[str, Any], *extra: Mapping[str, Any]) -> dict[str, Any]:
    """Configured claims first, registered claims last: iss, sub, aud and times always win."""
    claims: dict[str, Any] = {}
    for layer in extra:
        claims.update(layer)
    claims.update(registered)
    return claims


def sign(claims: Mapping[str, Any], key: SigningKey, *, typ: str) -> str:
    return jwt.encode(dict(claims), key.private_key, algorithm=key.alg, headers={"kid": key.kid, "typ": typ})


def at_hash(access_token: str, alg: str) -> str:
    """OIDC Core section 3.1.3.6: left half of the hash of the token's ASCII, base64url.

    The hash is the one of the signing algorithm: SHA-256 for RS256, PS256 and ES256;
    SHA-512 for EdDSA with Ed25519 (as OpenID's EdDSA registration specifies).
    """
    digest = (hashlib.sha512 if alg == "EdDSA" else hashlib.sha256)(access_token.encode("ascii")).digest()
    return base64url_encode(digest[: len(digest) // 2]).decode()
