"""Pure certificate helpers: load PEM/DER, compare public keys with JWKs, thumbprints, validity."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from jwt.utils import base64url_encode

from oidc_validator.crypto import pem
from oidc_validator.crypto.jwk import public_key_from_jwk
from oidc_validator.errors import ValidatorError

EXPIRY_WARNING = timedelta(days=30)


class CertificateError(ValidatorError, ValueError):
    """Bytes that are not a DER X.509 certificate; still a ValueError, as cryptography's own parse error is."""

    code = "certificate_invalid"


@dataclass(frozen=True)
class CertificateMaterial:
    """What a --cert file holds: DER certificates, whether a private key was in it, or why it is unusable."""

    der_certificates: tuple[bytes, ...]
    contains_private_key: bool
    error: str | None = None


def is_certificate(der: bytes) -> bool:
    try:
        x509.load_der_x509_certificate(der)
    except ValueError:
        return False
    return True


def read_certificate_material(data: bytes) -> CertificateMaterial:
    """Parse a PEM bundle or a single DER certificate; a private key is noted, never kept."""
    if b"-----BEGIN" not in data:
        if not is_certificate(data):
            return CertificateMaterial((), False, "neither PEM nor a DER X.509 certificate (or truncated)")
        return CertificateMaterial((data,), False)
    found = pem.scan(data)
    ders: list[bytes] = []
    for block in found.blocks:
        if block.label != pem.CERTIFICATE:
            continue
        if block.der is None or not is_certificate(block.der):
            return CertificateMaterial(tuple(ders), found.private_key, "a PEM CERTIFICATE block is corrupt or truncated")
        ders.append(block.der)
    if found.unterminated:
        return CertificateMaterial(tuple(ders), found.private_key, "a PEM block has no END line: the file is truncated")
    if not ders:
        return CertificateMaterial((), found.private_key, "the PEM file holds no CERTIFICATE block")
    return CertificateMaterial(tuple(ders), found.private_key)


def load_der(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise CertificateError(f"not a DER X.509 certificate: {exc}") from None


def spki_der(public_key: Any) -> bytes:
    return bytes(public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def jwk_spki(jwk: Mapping[str, Any]) -> bytes:
    """The JWK's public key as SubjectPublicKeyInfo DER; raises ValueError if it cannot be built."""
    return spki_der(public_key_from_jwk(jwk))


def same_public_key(certificate: x509.Certificate, jwk: Mapping[str, Any]) -> bool:
    """RFC 7517 section 4.7: the x5c leaf's key must be the JWK's. Unbuildable JWKs match nothing."""
    try:
        return spki_der(certificate.public_key()) == jwk_spki(jwk)
    except ValueError:
        return False


def x5c_leaf(jwk: Mapping[str, Any]) -> bytes | None:
    """RFC 7517 section 4.7: the DER of the x5c leaf (standard base64, not base64url); None when absent or unusable."""
    chain = jwk.get("x5c")
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        return None
    try:
        der = base64.b64decode(chain[0], validate=True)
    except (binascii.Error, ValueError):
        return None  # the JWKS checks report a corrupt x5c; its callers only skip it
    return der if is_certificate(der) else None


def x5t(der: bytes) -> str:
    """RFC 7517 section 4.8: base64url SHA-1 of the DER certificate."""
    return base64url_encode(hashlib.sha1(der, usedforsecurity=False).digest()).decode()


def x5t_s256(der: bytes) -> str:
    """RFC 7517 section 4.9: base64url SHA-256 of the DER certificate."""
    return base64url_encode(hashlib.sha256(der).digest()).decode()


def fingerprint_sha256(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest().upper()


Validity = Literal["valid", "expiring", "expired", "not_yet_valid"]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def validity(certificate: x509.Certificate, now: datetime, *, warn_within: timedelta = EXPIRY_WARNING) -> Validity:
    """RFC 5280 section 4.1.2.5: valid from notBefore to notAfter inclusive, judged at ``now``."""
    now = _aware(now)
    if now < certificate.not_valid_before_utc:
        return "not_yet_valid"
    if now > certificate.not_valid_after_utc:
        return "expired"
    if certificate.not_valid_after_utc - now <= warn_within:
        return "expiring"
    return "valid"


def describe(certificate: x509.Certificate) -> dict[str, str]:
    """Public facts about a certificate for evidence: subject, validity window, fingerprint."""
    return {
        "subject": certificate.subject.rfc4514_string(),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "sha256_fingerprint": fingerprint_sha256(certificate),
    }
