"""Public facts about keys and certificates as the bundle states them, and the key set stripped to public members."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from oidc_validator.crypto.certs import fingerprint_sha256, x5t_s256
from oidc_validator.crypto.jwk import JWK_CURVES, allowed_public_members, public_key_from_jwk


def public_jwks(jwks: Any) -> Any:
    """The key set as fetched, reduced to what a public key set is: {"keys": [...]} with each key's public members.

    An allow-list (crypto.jwk.allowed_public_members), not a deny-list: a private member nested in a key
    or kept under another member of the set is dropped with everything else we do not know to be public.
    Entries of keys that are not objects carry no key and are dropped; a document that is no key set at
    all gives an empty one (check reports it as such).
    """
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list):
        return {"keys": []}
    return {"keys": [allowed_public_members(key) for key in keys if isinstance(key, Mapping)]}


def jwks_key_list(jwks: Any) -> list[dict[str, Any]]:
    if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
        return []
    return [dict(k) for k in jwks["keys"] if isinstance(k, Mapping)]


def key_type_and_size(public_key: Any) -> tuple[str, int | None, str | None]:
    """(JWK kty, size in bits, curve) of a cryptography public key."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA", public_key.key_size, None
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "EC", public_key.curve.key_size, JWK_CURVES.get(public_key.curve.name, public_key.curve.name)
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "OKP", 256, "Ed25519"
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "OKP", 456, "Ed448"
    return type(public_key).__name__, None, None


def jwk_facts(jwk: Mapping[str, Any]) -> tuple[str | None, int | None, str | None]:
    """kty, size and curve of a JWK; a key that cannot be built is described by its members only."""
    try:
        kty, size, curve = key_type_and_size(public_key_from_jwk(jwk))
    except ValueError:
        kty_value, crv_value = jwk.get("kty"), jwk.get("crv")
        return (kty_value if isinstance(kty_value, str) else None), None, (crv_value if isinstance(crv_value, str) else None)
    return kty, size, curve


def certificate_facts(certificate: x509.Certificate, der: bytes) -> dict[str, Any]:
    kty, size, curve = key_type_and_size(certificate.public_key())
    return {
        "key_type": kty,
        "key_size": size,
        "curve": curve,
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "serial_number": format(certificate.serial_number, "X"),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "sha256_fingerprint": fingerprint_sha256(certificate),
        "x5t#S256": x5t_s256(der),
    }


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_stem(kid: str, taken: set[str]) -> str:
    """A file name for a kid: kids are arbitrary strings, file names in a zip should not be."""
    stem = _UNSAFE.sub("_", kid).strip(".") or "key"
    candidate, n = stem, 2
    while candidate.lower() in taken:
        candidate, n = f"{stem}-{n}", n + 1
    taken.add(candidate.lower())
    return candidate


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
