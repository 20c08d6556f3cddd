"""verify-bundle's key checks: the validator's own JWKS and certificate checks, run on the bundled material.

The bundle is turned back into a Context (jwks.json as the fetched key set, certs/*.pem as
--cert files paired with onboarding.json's kids), so Support gets the same verdicts the
customer got, from the same code, on exactly the files that were sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from oidc_validator.bundle import codes
from oidc_validator.bundle.material import certificate_facts
from oidc_validator.checks import certificates as cert_checks
from oidc_validator.checks import jwks as jwks_checks
from oidc_validator.checks import jwks_x5c
from oidc_validator.crypto import certs
from oidc_validator.model.context import CertificateFile, Context, Fetched, Inputs, Observations
from oidc_validator.model.findings import Finding

_JWKS_CHECKS: tuple[Callable[[Context], Iterable[Finding]], ...] = (
    jwks_checks.check_jwks_fetched,
    jwks_checks.check_kids,
    jwks_checks.check_keys,
    jwks_checks.check_private_material,
    jwks_x5c.check_certificates_in_jwks,
)
_CERTIFICATE_CHECKS: tuple[Callable[[Context], Iterable[Finding]], ...] = (
    cert_checks.check_certificate_files,
    cert_checks.check_certificate_validity,
    cert_checks.check_certificate_pairing,
)
_FACTS = ("sha256_fingerprint", "x5t#S256", "not_before", "not_after", "subject")


def parse_jwks(files: Mapping[str, bytes]) -> tuple[Any, list[Finding]]:
    if "jwks.json" not in files:
        return None, []
    try:
        jwks = json.loads(files["jwks.json"])
    except ValueError:
        return None, [codes.JWKS_INVALID.finding("jwks.json is not valid JSON.", file="jwks.json")]
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        return None, [codes.JWKS_INVALID.finding('jwks.json is not {"keys": [...]}.', file="jwks.json")]
    return jwks, []


def _certificate_entries(doc: Any) -> list[dict[str, Any]]:
    entries = doc.get("certificates") if isinstance(doc, dict) else None
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("file"), str)] if isinstance(entries, list) else []


def _bundled_certificates(doc: Any, files: Mapping[str, bytes]) -> tuple[list[CertificateFile], list[Finding]]:
    findings: list[Finding] = []
    result: list[CertificateFile] = []
    described = set()
    for entry in _certificate_entries(doc):
        name, kid = entry["file"], entry.get("kid") if isinstance(entry.get("kid"), str) else None
        described.add(name)
        if name not in files:
            findings.append(
                codes.CERT_FILE_MISSING.finding(
                    f"onboarding.json names {name} (kid {kid!r}), which is not in the bundle.", file=name, kid=kid
                )
            )
            continue
        material = certs.read_certificate_material(files[name])
        result.append(CertificateFile(Path(name), kid, material.der_certificates, material.contains_private_key, material.error))
        if material.error is None and len(material.der_certificates) == 1:
            facts = certificate_facts(certs.load_der(material.der_certificates[0]), material.der_certificates[0])
            differing = [f for f in _FACTS if entry.get(f) != facts[f]]
            if differing:
                findings.append(
                    codes.CERT_FACTS_MISMATCH.finding(
                        f"onboarding.json's {', '.join(differing)} for {name} differ from the certificate's.",
                        file=name,
                        kid=kid,
                        fields=differing,
                        expected={f: facts[f] for f in differing},
                        actual={f: entry.get(f) for f in differing},
                    )
                )
        elif material.error is None:
            findings.append(
                codes.CERT_UNREADABLE.finding(f"{name} holds {len(material.der_certificates)} certificates, not one.", file=name)
            )
    for name in sorted(n for n in files if n.startswith("certs/") and n not in described):
        findings.append(codes.CERT_UNLISTED.finding(f"{name} is in the bundle but onboarding.json does not describe it.", file=name))
    return result, findings


def key_findings(doc: Any, files: Mapping[str, bytes], now: datetime) -> list[Finding]:
    """Re-run the key checks on the bundle's jwks.json and certificates, as of ``now``."""
    jwks, findings = parse_jwks(files)
    bundled, cert_findings = _bundled_certificates(doc, files)
    findings += cert_findings
    jwks_url = doc.get("jwks_url") if isinstance(doc, dict) and isinstance(doc.get("jwks_url"), str) else None
    observations = Observations(
        jwks=Fetched(url="jwks.json", final_url="jwks.json", json=jwks) if jwks is not None else None,
        jwks_url_used=jwks_url,
        certificates=tuple(bundled),
    )
    ctx = Context(Inputs(jwks_url=jwks_url), observations, now)
    checks = (_JWKS_CHECKS if jwks is not None else ()) + (_CERTIFICATE_CHECKS if bundled else ())
    for check in checks:
        findings.extend(check(ctx))
    return findings


def token_kid_findings(doc: Any, jwks: Any) -> list[Finding]:
    """Tokens are signed under one kid: the bundle must give Qualys that kid's key."""
    sample = doc.get("sample_token") if isinstance(doc, dict) else None
    header = sample.get("header") if isinstance(sample, dict) else None
    kid = header.get("kid") if isinstance(header, dict) else None
    if not isinstance(kid, str):
        return []
    if doc.get("key_source") == "certificates":
        oidc = [e.get("kid") for e in _certificate_entries(doc) if e.get("use_for_oidc") is True]
        if kid not in oidc:
            return [
                codes.TOKEN_KID_NOT_BUNDLED.finding(
                    f"The sample token's kid {kid!r} has no certificate for OIDC in the bundle.", kid=kid, bundled_kids=oidc
                )
            ]
        return []
    snapshot = [k.get("kid") for k in jwks.get("keys", []) if isinstance(k, dict)] if isinstance(jwks, dict) else []
    if jwks is not None and kid not in snapshot:
        return [
            codes.TOKEN_KID_NOT_IN_SNAPSHOT.finding(f"The sample token's kid {kid!r} is not in jwks.json.", kid=kid, jwks_kids=snapshot)
        ]
    return []
