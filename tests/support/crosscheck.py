"""Cross-checks with joserfc, a JOSE implementation independent of the PyJWT the IdP signs with."""

from __future__ import annotations

import base64
import hashlib
import warnings
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.util import urlsafe_b64encode


def verify(token: str, jwks: dict[str, Any], alg: str) -> jwt.Token:
    """Verify a token using only the served JWKS; raises if joserfc disagrees."""
    with warnings.catch_warnings():
        # joserfc warns that "EdDSA" is superseded by "Ed25519" (RFC 9864); the brief's IdPs still use it.
        warnings.simplefilter("ignore")
        return jwt.decode(token, KeySet.import_key_set(jwks), algorithms=[alg])


def certificate_of(jwk: dict[str, Any]) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(jwk["x5c"][0]))


def spki(public_key: Any) -> bytes:
    return bytes(public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def jwk_public_spki(jwk: dict[str, Any]) -> bytes:
    """The JWK's public key as SubjectPublicKeyInfo DER, as joserfc reads the JWK."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        key = KeySet.import_key_set({"keys": [jwk]}).keys[0]
    return spki(key.public_key)


def x5t_s256(jwk: dict[str, Any]) -> str:
    # joserfc's base64url, not build.b64url: the IdP computes x5t#S256 with PyJWT's, and this is the cross-check.
    der = base64.b64decode(jwk["x5c"][0])
    return urlsafe_b64encode(hashlib.sha256(der).digest()).decode()
