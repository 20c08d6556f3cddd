"""The one X.509 certificate builder: signing-key certificates, the local TLS CA and its server certificates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519
from cryptography.x509.oid import NameOID

ORGANIZATION = "oidc-onboarding test IdP"
Extension = tuple[x509.ExtensionType, bool]  # (extension, critical)


def subject_name(common_name: str, *, organization: str | None = ORGANIZATION) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)] if organization else []
    return x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _signature_hash(key: Any) -> hashes.SHA256 | None:
    # EdDSA certificates are signed without a separate digest (RFC 8410 section 6).
    return None if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey) else hashes.SHA256()


def issue_certificate(
    public_key: Any,
    *,
    subject: x509.Name,
    signer: Any,
    not_before: datetime,
    not_after: datetime,
    issuer: x509.Name | None = None,
    extensions: Sequence[Extension] = (),
) -> x509.Certificate:
    """A certificate for ``public_key`` signed by ``signer``; self-signed when no ``issuer`` name is given."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signer, _signature_hash(signer))


def key_usage(*, digital_signature: bool = False, key_cert_sign: bool = False, crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


# What Qualys gets in certificate mode: an end-entity certificate that may only sign.
SIGNING_EXTENSIONS: tuple[Extension, ...] = (
    (x509.BasicConstraints(ca=False, path_length=None), True),
    (key_usage(digital_signature=True), True),
)
