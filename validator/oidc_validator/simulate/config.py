"""The stand-in's configuration, read from an onboarding bundle and a user table."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from oidc_validator.bundle.verify.verifier import read_entries, verify_files
from oidc_validator.crypto.jwk import public_jwk
from oidc_validator.errors import UsageError, ValidatorError
from oidc_validator.model.findings import Severity
from oidc_validator.net.options import FetchOptions


@dataclass(frozen=True)
class StandInConfig:
    issuer: str
    audiences: tuple[str, ...]
    # The claim Qualys maps to a user: the custom claim (falling back to sub when absent or empty), or sub.
    custom_claim: str | None
    users: Mapping[str, str]  # External ID -> Qualys login
    key_source: str  # "jwks_url" | "certificates"
    jwks_url: str | None = None
    certificate_jwks: tuple[dict[str, Any], ...] = ()  # kid-paired public JWKs built from the bundle's certificates
    leeway_seconds: int = 60
    jwks_min_refresh_seconds: float = 10.0
    max_token_bytes: int = 16 * 1024
    fetch: FetchOptions = field(default_factory=FetchOptions)


def parse_users(pairs: Iterable[str], file: Path | None = None) -> dict[str, str]:
    """``EXTERNAL_ID=LOGIN`` pairs from flags and from a file (one per line, # comments)."""
    lines = list(pairs)
    if file is not None:
        try:
            lines += [ln.strip() for ln in file.read_text("utf-8").splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        except OSError as exc:
            raise UsageError(f"cannot read users file {file}: {exc.strerror}", code="users_file_unreadable") from None
    users: dict[str, str] = {}
    for line in lines:
        external_id, sep, login = line.partition("=")
        if not sep or not external_id or not login:
            raise UsageError(f"a user must be EXTERNAL_ID=LOGIN, got {line!r}", code="bad_user")
        if external_id in users:
            # Qualys maps one External ID to exactly one user.
            raise UsageError(f"External ID {external_id!r} is given twice; one External ID maps to one user", code="duplicate_external_id")
        users[external_id] = login
    return users


def _jwk_of(cert_pem: bytes, kid: str, alg: str | None) -> dict[str, Any]:
    jwk = public_jwk(x509.load_pem_x509_certificate(cert_pem).public_key())
    if jwk is None:
        raise ValidatorError(f"certificate for kid {kid} holds an unsupported key type", code="bundle_unsupported_key")
    return {**jwk, "kid": kid, "use": "sig", **({"alg": alg} if alg else {})}


def load_bundle(path: Path, users: Mapping[str, str], *, now: datetime, fetch: FetchOptions | None = None) -> StandInConfig:
    """Verify the bundle (checksums, schema, key material) and configure the stand-in from it."""
    files, findings = read_entries(path)
    findings += verify_files(files, now=now)
    errors = [f for f in findings if f.severity == Severity.ERROR]
    if errors:
        raise UsageError(f"bundle {path} does not verify: {errors[0].code}: {errors[0].message}", code="bundle_invalid")
    return config_from_files(files, users, fetch=fetch, origin=str(path))


def config_from_files(
    files: Mapping[str, bytes], users: Mapping[str, str], *, fetch: FetchOptions | None = None, origin: str = "the bundle"
) -> StandInConfig:
    """The stand-in configured as Support would configure Qualys from these bundle files."""
    doc = json.loads(files["onboarding.json"])
    certs = tuple(_jwk_of(files[c["file"]], c["kid"], c.get("alg")) for c in doc.get("certificates", []) if c.get("use_for_oidc"))
    if not doc.get("issuer") or not doc.get("audiences"):
        raise UsageError(f"{origin} has no issuer or audience: Qualys could not be configured from it", code="bundle_incomplete")
    return StandInConfig(
        issuer=doc["issuer"],
        audiences=tuple(doc["audiences"]),
        custom_claim=doc.get("custom_claim"),
        users=dict(users),
        key_source=doc["key_source"],
        jwks_url=doc.get("jwks_url"),
        certificate_jwks=certs,
        fetch=fetch or FetchOptions(),
    )
