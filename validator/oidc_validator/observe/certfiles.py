"""Read a --cert file into a ``CertificateFile``: certificates as DER, problems as data.

Private keys sent by mistake are only noted (``contains_private_key``): their bytes are dropped here
and never stored, printed or logged.
"""

from __future__ import annotations

import base64
import binascii
import re

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_der_private_key

from oidc_validator.model.context import CertificateFile, CertificateInput

MAX_CERT_FILE_BYTES = 1024 * 1024
# RFC 7468 textual encoding; the label decides what a block is.
BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
CERTIFICATE_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}


def _parse_der_certificate(der: bytes) -> bytes:
    x509.load_der_x509_certificate(der)  # raises ValueError when the DER is not a certificate
    return der


def _from_pem(data: bytes) -> tuple[tuple[bytes, ...], bool, str | None]:
    certificates: list[bytes] = []
    private_key = False
    problems: list[str] = []
    for match in BLOCK.finditer(data):
        label = match.group(1).strip()
        if b"PRIVATE KEY" in label:
            private_key = True
            continue
        if label not in CERTIFICATE_LABELS:
            continue  # a public key or a CSR: the checks report that no certificate was found
        try:
            der = base64.b64decode(b"".join(match.group(2).split()), validate=True)
            certificates.append(_parse_der_certificate(der))
        except (binascii.Error, ValueError):
            problems.append("a CERTIFICATE block is corrupt or truncated")
    complete = len(BLOCK.findall(data))
    begun = len(BEGIN.findall(data))
    if begun > complete:
        # A lone BEGIN line with a private key label still means key material was pasted.
        private_key = private_key or any(b"PRIVATE KEY" in label for label in BEGIN.findall(data))
        problems.append("a PEM block has no END line (truncated file?)")
    return tuple(certificates), private_key, "; ".join(problems) or None


def _is_der_private_key(data: bytes) -> bool:
    try:
        load_der_private_key(data, password=None)
    except TypeError:  # encrypted: still a private key
        return True
    except Exception:  # ValueError, UnsupportedAlgorithm...: whatever it is, it is not a readable key
        return False
    return True


def read_certificate_file(item: CertificateInput) -> CertificateFile:
    """PEM (any number of blocks) or DER; never raises for a bad or unreadable file."""
    try:
        with item.path.open("rb") as handle:
            data = handle.read(MAX_CERT_FILE_BYTES + 1)
    except OSError as exc:
        return CertificateFile(item.path, item.kid, error=f"cannot read {item.path}: {exc.strerror or exc}")
    if len(data) > MAX_CERT_FILE_BYTES:
        return CertificateFile(item.path, item.kid, error=f"{item.path} is over {MAX_CERT_FILE_BYTES} bytes: not a certificate")
    if BEGIN.search(data):
        certificates, private_key, problem = _from_pem(data)
        return CertificateFile(item.path, item.kid, certificates, private_key, problem)
    try:
        return CertificateFile(item.path, item.kid, (_parse_der_certificate(data),))
    except ValueError:
        pass
    if _is_der_private_key(data):
        return CertificateFile(item.path, item.kid, contains_private_key=True)
    if not data.strip():
        return CertificateFile(item.path, item.kid, error="the file is empty")
    return CertificateFile(item.path, item.kid, error="neither a PEM nor a DER X.509 certificate (truncated or another format)")
