"""Signing key material: generate a key for an algorithm, certify it, publish it as a JWK."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from .config import Algorithm

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

RSA_KEY_BITS = 2048


def generate_private_key(alg: Algorithm, *, rsa_bits: int = RSA_KEY_BITS) -> PrivateKey:
    if alg in ("RS256", "PS256"):
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_kid(alg: Algorithm, public_key: PublicKey) -> str:
    """A readable, stable kid: the algorithm and a digest of the SubjectPublicKeyInfo."""
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return f"{alg.lower()}-{b64url(hashlib.sha256(spki).digest())[:16]}"


def _cert_signature_hash(key: PrivateKey) -> hashes.SHA256 | None:
    # Ed25519 certificates are signed without a separate digest (RFC 8410 section 6).
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def self_signed_certificate(key: PrivateKey, *, common_name: str, not_before: datetime, validity_days: int) -> x509.Certificate:
    """The X.509 certificate Qualys gets in certificate mode: self-signed, for exactly this key."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "oidc-onboarding test IdP"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=validity_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, _cert_signature_hash(key))
    )


def public_jwk(public_key: PublicKey) -> dict[str, Any]:
    """Public members only, produced by PyJWT's own JWK export."""
    if isinstance(public_key, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(public_key, as_dict=True)
    else:
        jwk = OKPAlgorithm.to_jwk(public_key, as_dict=True)
    # RFC 7517 section 4.3: "use" and "key_ops" should not both be present; we publish "use".
    return {name: value for name, value in jwk.items() if name != "key_ops"}


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
            "x5t#S256": b64url(hashlib.sha256(der).digest()),
        }
    )
    return jwk
