"""Signing key material: generate a key for an algorithm, certify it, publish it as a JWK."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from jwt.utils import base64url_encode

from oidc_idp.keys.certificates import SIGNING_EXTENSIONS, issue_certificate, subject_name

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

RSA_KEY_BITS = 2048
Algorithm = Literal["RS256", "PS256", "ES256", "EdDSA"]
ALGORITHMS: tuple[Algorithm, ...] = ("RS256", "PS256", "ES256", "EdDSA")


def generate_private_key(alg: Algorithm, *, rsa_bits: int = RSA_KEY_BITS) -> PrivateKey:
    if alg in ("RS256", "PS256"):
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def make_kid(alg: Algorithm, public_key: PublicKey) -> str:
    """A readable, stable kid: the algorithm and a digest of the SubjectPublicKeyInfo."""
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return f"{alg.lower()}-{base64url_encode(hashlib.sha256(spki).digest()).decode()[:16]}"


def self_signed_certificate(key: PrivateKey, *, common_name: str, not_before: datetime, validity_days: int) -> x509.Certificate:
    """The X.509 certificate Qualys gets in certificate mode: self-signed, for exactly this key."""
    return issue_certificate(
        key.public_key(),
        subject=subject_name(common_name),
        signer=key,
        not_before=not_before,
        not_after=not_before + timedelta(days=validity_days),
        extensions=SIGNING_EXTENSIONS,
    )


_EXPORTERS: tuple[tuple[tuple[type, ...], Any], ...] = (
    ((rsa.RSAPrivateKey, rsa.RSAPublicKey), RSAAlgorithm),
    ((ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey), ECAlgorithm),
)


def jwk_of(key: PrivateKey | PublicKey) -> dict[str, Any]:
    """PyJWT's own JWK export of a key: the private members too when ``key`` is private."""
    exporter: Any = next((algorithm for kinds, algorithm in _EXPORTERS if isinstance(key, kinds)), OKPAlgorithm)
    jwk: dict[str, Any] = exporter.to_jwk(key, as_dict=True)
    return jwk


def public_jwk(public_key: PublicKey) -> dict[str, Any]:
    """Public members only."""
    # RFC 7517 section 4.3: "use" and "key_ops" should not both be present; we publish "use".
    return {name: value for name, value in jwk_of(public_key).items() if name != "key_ops"}


def published_jwk(kid: str, alg: Algorithm, cert: x509.Certificate) -> dict[str, Any]:
    """The JWK as served: public members, kid, use, alg, the certificate chain and its thumbprint."""
    public_key = cert.public_key()
    assert isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey))
    der = cert.public_bytes(serialization.Encoding.DER)
    jwk = public_jwk(public_key)
    jwk.update(
        {
            "kid": kid,
            "use": "sig",
            "alg": alg,
            # RFC 7517 section 4.7: x5c is standard base64 (not base64url) DER.
            "x5c": [base64.b64encode(der).decode("ascii")],
            "x5t#S256": base64url_encode(hashlib.sha256(der).digest()).decode(),
        }
    )
    return jwk
