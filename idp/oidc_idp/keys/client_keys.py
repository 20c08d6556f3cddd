"""Public keys that other parties sign with: clients (private_key_jwt) and trusted assertion issuers.

Imported with joserfc, the JOSE library authlib's RFC 7523 support is built on. joserfc is
imported when a client key is (about 30 ms): the config module imports this one, and serving
discovery and the JWKS needs no client key.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

if TYPE_CHECKING:
    from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey

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
    from joserfc.errors import JoseError

    try:
        load_public_keys(jwks, public_key_pem)
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"the public key does not import: {exc}") from None


def load_public_keys(jwks: dict[str, Any] | None, public_key_pem: str | None) -> KeySet:
    from joserfc.jwk import KeySet

    with warnings.catch_warnings():
        # joserfc warns that "EdDSA" is superseded (RFC 9864); configs written for today's IdPs still use it.
        warnings.simplefilter("ignore")
        if jwks is not None:
            return KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        if public_key_pem is None:
            raise ValueError("no public key")
        return KeySet([_import_pem(public_key_pem)])


def _import_pem(text: str) -> RSAKey | ECKey | OKPKey:
    # Parsed with cryptography first: joserfc would take bytes it cannot parse as a symmetric key,
    # which would turn a broken PEM into an HMAC secret.
    from joserfc.jwk import import_key

    public = serialization.load_pem_public_key(text.encode())
    data = text.encode()
    if isinstance(public, rsa.RSAPublicKey):
        return import_key(data, "RSA")
    if isinstance(public, ec.EllipticCurvePublicKey):
        return import_key(data, "EC")
    if isinstance(public, ed25519.Ed25519PublicKey):
        return import_key(data, "OKP")
    raise ValueError("public_key_pem must be an RSA, EC or Ed25519 public key")
