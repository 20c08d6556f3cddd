"""Read a --cert file into a ``CertificateFile``: certificates as DER, problems as data.

Private keys sent by mistake are only noted (``contains_private_key``): their bytes are dropped here
and never stored, printed or logged.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import load_der_private_key

from oidc_validator.crypto import pem
from oidc_validator.crypto.certs import is_certificate
from oidc_validator.model.context import CertificateFile, CertificateInput

MAX_CERT_FILE_BYTES = 1024 * 1024


def _from_pem(data: bytes) -> tuple[tuple[bytes, ...], bool, str | None]:
    found = pem.scan(data)
    certificates: list[bytes] = []
    problems: list[str] = []
    for block in found.blocks:
        if block.is_private_key or block.label.strip() not in pem.CERTIFICATE_LABELS:
            continue  # a key is only noted (found.private_key); a public key or a CSR: the checks report no certificate
        if block.der is not None and is_certificate(block.der):
            certificates.append(block.der)
        else:
            problems.append("a CERTIFICATE block is corrupt or truncated")
    if found.unterminated:
        problems.append("a PEM block has no END line (truncated file?)")
    return tuple(certificates), found.private_key, "; ".join(problems) or None


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
    if pem.looks_like_pem(data):
        certificates, private_key, problem = _from_pem(data)
        return CertificateFile(item.path, item.kid, certificates, private_key, problem)
    if is_certificate(data):
        return CertificateFile(item.path, item.kid, (data,))
    if _is_der_private_key(data):
        return CertificateFile(item.path, item.kid, contains_private_key=True)
    if not data.strip():
        return CertificateFile(item.path, item.kid, error="the file is empty")
    return CertificateFile(item.path, item.kid, error="neither a PEM nor a DER X.509 certificate (truncated or another format)")
