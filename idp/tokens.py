"""JWT minting: registered claims, configured claims, and the signature (PyJWT)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import jwt

from .keystore import SigningKey

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
