"""``--tls``: a local CA and a server certificate for the host, kept in the keys directory."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from oidc_idp.keys.certificates import issue_certificate, key_usage, subject_name
from oidc_idp.keys.files import PRIVATE_FILE_MODE, PUBLIC_FILE_MODE, private_directory, read_key_file, write_new

CA_VALIDITY = timedelta(days=3650)
SERVER_VALIDITY = timedelta(days=825)
RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path


def _san_names(host: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    try:
        address = ipaddress.ip_address(host.strip("[]"))
        if x509.IPAddress(address) not in names:
            names.append(x509.IPAddress(address))
    except ValueError:
        if x509.DNSName(host) not in names:
            names.append(x509.DNSName(host))
    return names


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    write_new(path, pem, PRIVATE_FILE_MODE)


def _ca(directory: Path, now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ca_file, ca_key_file = directory / "ca.pem", directory / "ca.key.pem"
    if ca_file.exists() and ca_key_file.exists():
        cert = x509.load_pem_x509_certificate(read_key_file(ca_file))
        key = serialization.load_pem_private_key(read_key_file(ca_key_file), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey) and cert.not_valid_after_utc - RENEW_BEFORE > now:
            return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_certificate(
        key.public_key(),
        subject=subject_name("oidc-onboarding test IdP local CA"),
        signer=key,
        not_before=now - timedelta(minutes=5),
        not_after=now + CA_VALIDITY,
        extensions=(
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (key_usage(key_cert_sign=True, crl_sign=True), True),
            (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
        ),
    )
    _write_private(ca_key_file, key)
    write_new(ca_file, cert.public_bytes(serialization.Encoding.PEM), PUBLIC_FILE_MODE)
    return cert, key


def ensure_tls(directory: Path, host: str, now: datetime) -> TlsFiles:
    """Reuse the CA and server certificate when they still cover ``host``; otherwise make them."""
    private_directory(directory.parent)  # the keys directory that holds this one
    private_directory(directory)
    ca_cert, ca_key = _ca(directory, now)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key.pem")
    wanted = _san_names(host)
    if files.cert_file.exists() and files.key_file.exists():
        cert = x509.load_pem_x509_certificate(read_key_file(files.cert_file))
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        if cert.issuer == ca_cert.subject and all(n in san for n in wanted) and cert.not_valid_after_utc - RENEW_BEFORE > now:
            return files
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_certificate(
        key.public_key(),
        subject=subject_name(host),
        issuer=ca_cert.subject,
        signer=ca_key,
        not_before=now - timedelta(minutes=5),
        not_after=now + SERVER_VALIDITY,
        extensions=(
            (x509.SubjectAlternativeName(wanted), False),
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
        ),
    )
    _write_private(files.key_file, key)
    write_new(files.cert_file, cert.public_bytes(serialization.Encoding.PEM), PUBLIC_FILE_MODE)
    return files
