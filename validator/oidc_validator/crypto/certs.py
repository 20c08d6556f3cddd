"""Pure certificate helpers: load PEM/DER, compare public keys with JWKs, thumbprints, validity."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from oidc_validator.crypto.jose import public_key_from_jwk
from oidc_validator.errors import ValidatorError

EXPIRY_WARNING = timedelta(days=30)

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_PEM_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")


class CertificateError(ValidatorError, ValueError):
    """Bytes that are not a DER X.509 certificate; still a ValueError, as cryptography's own parse error is."""

    code = "certificate_invalid"


@dataclass(frozen=True)
class CertificateMaterial:
    """What a --cert file holds: DER certificates, whether a private key was in it, or why it is unusable."""

    der_certificates: tuple[bytes, ...]
    contains_private_key: bool
    error: str | None = None


def read_certificate_material(data: bytes) -> CertificateMaterial:
    """Parse a PEM bundle or a single DER certificate; a private key is noted, never kept."""
    if b"-----BEGIN" in data:
        private = any(b"PRIVATE KEY" in m.group(1) for m in _PEM_BEGIN.finditer(data))
        blocks = list(_PEM_BLOCK.finditer(data))
        ders: list[bytes] = []
        for block in blocks:
            if block.group(1) != b"CERTIFICATE":
                continue
            try:
                der = base64.b64decode(b"".join(block.group(2).split()), validate=True)
                x509.load_der_x509_certificate(der)
            except (binascii.Error, ValueError):
                return CertificateMaterial(tuple(ders), private, "a PEM CERTIFICATE block is corrupt or truncated")
            ders.append(der)
        if len(_PEM_BEGIN.findall(data)) > len(blocks):
            return CertificateMaterial(tuple(ders), private, "a PEM block has no END line: the file is truncated")
        if not ders:
            return CertificateMaterial((), private, "the PEM file holds no CERTIFICATE block")
        return CertificateMaterial(tuple(ders), private)
    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        return CertificateMaterial((), False, "neither PEM nor a DER X.509 certificate (or truncated)")
    return CertificateMaterial((data,), False)


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


def x5t(der: bytes) -> str:
    """RFC 7517 section 4.8: base64url SHA-1 of the DER certificate."""
    return base64.urlsafe_b64encode(hashlib.sha1(der, usedforsecurity=False).digest()).rstrip(b"=").decode()


def x5t_s256(der: bytes) -> str:
    """RFC 7517 section 4.9: base64url SHA-256 of the DER certificate."""
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


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


def public_jwk(public_key: Any) -> dict[str, Any] | None:
    """The JWK (public members only, PyJWT's export) of an RSA, EC or Ed25519 public key; None for other key types."""
    jwk: dict[str, Any]
    if isinstance(public_key, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(public_key, as_dict=True)
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        jwk = OKPAlgorithm.to_jwk(public_key, as_dict=True)
    else:
        return None
    jwk.pop("key_ops", None)  # RFC 7517 section 4.3: callers set "use"
    return jwk
