"""The one PEM scanner (RFC 7468): the blocks a file holds, by label, and whether a private key was pasted.

Every reader of PEM in the validator goes through here: --cert files, the bundle's certificate files
and the bundle's secret guard. A private key is only noted, its bytes are never returned.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
# Zero-width, so BEGIN lines that share their dashes ("-----BEGIN A-----BEGIN B-----") are each seen:
# the secret guard must find a private key however the text around it is mangled.
_EVERY_BEGIN = re.compile(rb"(?=-----BEGIN ([A-Z0-9 ]+)-----)")

CERTIFICATE = b"CERTIFICATE"
# RFC 7468 section 5.1's label and the legacy ones OpenSSL still writes.
CERTIFICATE_LABELS = frozenset({CERTIFICATE, b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"})
PRIVATE_KEY = b"PRIVATE KEY"  # PKCS#8 "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"...


@dataclass(frozen=True)
class PemBlock:
    label: bytes  # as written, spaces included: callers decide how strictly to read it
    der: bytes | None  # None when the base64 body is corrupt; private key bodies are never kept

    @property
    def is_private_key(self) -> bool:
        return PRIVATE_KEY in self.label


@dataclass(frozen=True)
class PemScan:
    blocks: tuple[PemBlock, ...]
    unterminated: bool  # a BEGIN line without its END line: the file is truncated
    private_key: bool  # some BEGIN line names a private key, in a complete block or not


def looks_like_pem(data: bytes) -> bool:
    return BEGIN.search(data) is not None


def has_private_key(data: bytes) -> bool:
    """Whether any BEGIN line of ``data`` names a private key."""
    return any(PRIVATE_KEY in match.group(1) for match in _EVERY_BEGIN.finditer(data))


def _body(block: re.Match[bytes]) -> bytes | None:
    try:
        return base64.b64decode(b"".join(block.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def scan(data: bytes) -> PemScan:
    blocks = []
    for match in BLOCK.finditer(data):
        label = match.group(1)
        blocks.append(PemBlock(label, None if PRIVATE_KEY in label else _body(match)))
    return PemScan(tuple(blocks), len(BEGIN.findall(data)) > len(blocks), has_private_key(data))
