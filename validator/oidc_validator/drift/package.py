"""The onboarded package, read back and verified: what Qualys Support was sent, as drift compares it.

The package is verified as of the instant it was written (its ``generated_at``): a package that
fails its own checksums, schema or texts cannot be trusted as the record of what was sent, so
drift refuses to compare against it (exit 2). Whether its certificates have expired since is
drift's question, not verify-bundle's, so it is not asked here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from oidc_validator.bundle.material import jwks_key_list
from oidc_validator.bundle.verify.verifier import read_entries, verify_files
from oidc_validator.crypto.certs import load_der, read_certificate_material
from oidc_validator.errors import ValidatorError
from oidc_validator.model.findings import Severity

MAX_PACKAGE_BYTES = 64 * 1024 * 1024  # a package is a few kilobytes; verify-bundle caps each entry too


class DriftError(ValidatorError):
    """drift cannot compare: ``package_unverified``, ``package_unreadable``."""

    code = "drift_error"


@dataclass(frozen=True)
class PinnedCertificate:
    kid: str
    file: str
    use_for_oidc: bool
    certificate: x509.Certificate


@dataclass(frozen=True)
class Onboarded:
    """The package's record of the onboarding: its onboarding.json, certificates and key-set snapshot."""

    path: Path
    sha256: str
    doc: Mapping[str, Any]
    certificates: tuple[PinnedCertificate, ...]
    snapshot_kids: tuple[str, ...]
    generated_at: datetime
    # The issuer discovery published at onboarding (report.json's values), None when it did not say.
    discovered_issuer: str | None
    files: Mapping[str, bytes] = field(repr=False)

    @property
    def key_source(self) -> str:
        return str(self.doc["key_source"])

    @property
    def issuer(self) -> str | None:
        return _string(self.doc, "issuer")

    @property
    def audiences(self) -> tuple[str, ...]:
        return tuple(a for a in self.doc.get("audiences") or () if isinstance(a, str))

    @property
    def jwks_url(self) -> str | None:
        return _string(self.doc, "jwks_url")

    @property
    def oidc_kids(self) -> tuple[str, ...]:
        """The kids Qualys verifies tokens with: in certificate mode, the certificates marked for OIDC."""
        return tuple(c.kid for c in self.certificates if c.use_for_oidc)

    @property
    def kids(self) -> tuple[str, ...]:
        """Every kid the package holds: its certificates in certificate mode, its jwks.json snapshot otherwise."""
        if self.key_source == "certificates":
            return tuple(dict.fromkeys(c.kid for c in self.certificates))
        return self.snapshot_kids


def _string(document: Mapping[str, Any], name: str) -> str | None:
    value = document.get(name)
    return value if isinstance(value, str) else None


def _discovered_issuer(files: Mapping[str, bytes]) -> str | None:
    # verify_files has already refused a package whose report.json is missing or off its schema.
    values = json.loads(files["report.json"]).get("values")
    return _string(values, "discovered_issuer") if isinstance(values, Mapping) else None


def _pinned(doc: Mapping[str, Any], files: Mapping[str, bytes]) -> tuple[PinnedCertificate, ...]:
    pinned: list[PinnedCertificate] = []
    for entry in doc.get("certificates") or ():
        material = read_certificate_material(files[entry["file"]])
        # verify_files has already refused a package whose certificate files are missing, unreadable or not one each.
        pinned.append(PinnedCertificate(entry["kid"], entry["file"], bool(entry["use_for_oidc"]), load_der(material.der_certificates[0])))
    return tuple(pinned)


def _snapshot_kids(files: Mapping[str, bytes]) -> tuple[str, ...]:
    if "jwks.json" not in files:
        return ()
    keys = jwks_key_list(json.loads(files["jwks.json"]))
    return tuple(dict.fromkeys(k["kid"] for k in keys if isinstance(k.get("kid"), str)))


def read_onboarded(path: Path) -> Onboarded:
    """Read and verify the package; raises DriftError (one line, exit 2) when it cannot be trusted."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DriftError(f"--bundle {path}: {exc.strerror or exc}", code="package_unreadable") from None
    if size > MAX_PACKAGE_BYTES:
        raise DriftError(f"--bundle {path} is {size} bytes: not an onboarding package", code="package_unreadable")
    files, problems = read_entries(path)
    try:
        doc = json.loads(files["onboarding.json"]) if "onboarding.json" in files else None
        generated_at = datetime.fromisoformat(doc["generated_at"]) if isinstance(doc, dict) else None
    except (ValueError, TypeError, KeyError):
        generated_at = None
    if not isinstance(doc, dict) or generated_at is None:
        raise DriftError(
            f"--bundle {path} is not an onboarding package (no readable onboarding.json); run 'oidc-validator verify-bundle {path}'",
            code="package_unverified",
        )
    # A package written with --allow-errors (a warning there) was still what Support received: the record stands.
    findings = problems + verify_files(files, now=generated_at)
    failed = list(dict.fromkeys(f.code for f in findings if f.severity is Severity.ERROR))
    if failed:
        raise DriftError(
            f"--bundle {path} does not verify ({', '.join(failed)}), so it cannot stand for what Qualys was sent; "
            f"run 'oidc-validator verify-bundle {path}' for details",
            code="package_unverified",
        )
    return Onboarded(
        path=path,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        doc=doc,
        certificates=_pinned(doc, files),
        snapshot_kids=_snapshot_kids(files),
        generated_at=generated_at,
        discovered_issuer=_discovered_issuer(files),
        files=files,
    )
