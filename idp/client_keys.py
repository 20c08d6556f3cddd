"""Public keys that other parties sign with: clients (private_key_jwt) and trusted assertion issuers.

Imported with joserfc, the JOSE library authlib's RFC 7523 support is built on.
"""

from __future__ import annotations

import warnings
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet, import_key

PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})
# What the IdP accepts on assertions: the asymmetric algorithms it signs with itself.
ASSERTION_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")


def check_public_keys(jwks: dict[str, Any] | None, public_key_pem: str | None) -> None:
    """Config validation: the keys import, and none carries private or symmetric material."""
    if jwks is not None:
        keys = jwks.get("keys")
        if not isinstance(keys, list) or not keys:
            raise ValueError("jwks must be a JWK Set with a non-empty 'keys' list")
        for key in keys:
            if not isinstance(key, dict) or PRIVATE_MEMBERS & set(key):
                raise ValueError("jwks must hold public asymmetric keys only (no private or symmetric members)")
    if public_key_pem is not None and "PRIVATE KEY" in public_key_pem:
        raise ValueError("public_key_pem holds a private key; give the public key only")
    try:
        load_public_keys(jwks, public_key_pem)
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"the public key does not import: {exc}") from None


def load_public_keys(jwks: dict[str, Any] | None, public_key_pem: str | None) -> KeySet:
    with warnings.catch_warnings():
        # joserfc warns that "EdDSA" is superseded (RFC 9864); configs written for today's IdPs still use it.
        warnings.simplefilter("ignore")
        if jwks is not None:
            return KeySet.import_key_set(jwks)
        if public_key_pem is None:
            raise ValueError("no public key")
        return KeySet([import_key(public_key_pem.encode())])
