"""Render a check's findings: a readable text report, or JSON described by schemas/report.schema.json.

``values`` collects the onboarding values the run found (what the Support request would carry).
Tokens appear only as decoded header fields and claims: never raw, never their signature.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any, TextIO

from oidc_validator.crypto.jose import JoseError, split_compact
from oidc_validator.model.context import Context, SampleToken
from oidc_validator.model.findings import Code, Finding, Severity
from oidc_validator.model.text import escape_lines, escape_text, terminal_json

SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}
COLOUR = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


@cache
def package_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in oidc_validator/schemas/ (report.schema.json, onboarding.schema.json); read once."""
    text = resources.files("oidc_validator").joinpath("schemas", name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def report_schema() -> dict[str, Any]:
    return package_schema("report.schema.json")


def use_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to anything non-empty (no-color.org)."""
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def is_ok(findings: Iterable[Finding]) -> bool:
    return not any(f.severity is Severity.ERROR for f in findings)


def mapping_claim(claims: Mapping[str, Any], configured: str) -> str:
    """Qualys falls back to sub when the custom claim is absent or empty."""
    value = claims.get(configured)
    return configured if value not in (None, "", [], {}) else "sub"


def _utc(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _token_values(token: SampleToken, claim: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": token.kind, "source": token.source}
    try:
        jws = split_compact(token.raw)
    except JoseError as exc:
        entry["decode_error"] = str(exc)
        return entry
    header, claims = jws.header, jws.payload
    chosen = mapping_claim(claims, claim)
    entry.update(
        {key: header[key] for key in ("alg", "kid", "typ") if isinstance(header.get(key), str)},
        iss=claims.get("iss"),
        aud=claims.get("aud"),
        mapping_claim=chosen,
        mapping_value=claims.get(chosen),
        expires=_utc(claims.get("exp")),
    )
    return entry


def onboarding_values(ctx: Context) -> dict[str, Any]:
    inputs, seen = ctx.inputs, ctx.observations
    discovery = seen.discovery.json if seen.discovery is not None and seen.discovery.ok and isinstance(seen.discovery.json, dict) else {}
    jwks = seen.jwks.json if seen.jwks is not None and seen.jwks.ok and isinstance(seen.jwks.json, dict) else {}
    keys: list[Any] = jwks["keys"] if isinstance(jwks.get("keys"), list) else []
    return {
        "idp_name": inputs.idp_name,
        "entity_id": inputs.entity_id,
        "issuer": inputs.issuer,
        "discovered_issuer": discovery.get("issuer") if isinstance(discovery.get("issuer"), str) else None,
        "audiences": list(inputs.audiences),
        "jwks_url": seen.jwks_url_used,
        "kids": [k["kid"] for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)],
        "certificates": [
            {"path": str(c.path), "kid": c.kid, "count": len(c.der_certificates), "error": c.error} for c in seen.certificates
        ],
        "external_id": inputs.external_id,
        "external_id_claim": inputs.external_id_claim,
        "tokens": [_token_values(t, inputs.external_id_claim) for t in inputs.tokens],
    }


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.area, SEVERITY_ORDER[f.severity], f.code))


def render_json(findings: Sequence[Finding], values: Mapping[str, Any]) -> str:
    document = {"ok": is_ok(findings), "findings": [f.to_json() for f in sorted_findings(findings)], "values": dict(values)}
    # json.dumps escapes C0 controls only; this JSON is printed too, so C1 controls and bidi characters are
    # escaped as well (still valid JSON: the escapes are JSON's own, and only strings can hold such characters).
    return escape_lines(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def _evidence(evidence: Mapping[str, Any]) -> str:
    shown = {key: value for key, value in evidence.items() if value not in (None, "", [], {})}
    return ", ".join(f"{escape_text(key)}={terminal_json(value)}" for key, value in shown.items())


def value_rows(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The onboarding values as (label, value) pairs, unescaped: each renderer escapes for its own medium."""
    shown = [
        ("IdP name", values.get("idp_name")),
        ("Entity ID", values.get("entity_id")),
        ("Issuer", values.get("issuer") or values.get("discovered_issuer")),
        ("Audience", ", ".join(values.get("audiences") or []) or None),
        ("JWKS URL", values.get("jwks_url")),
        ("Key IDs", ", ".join(values.get("kids") or []) or None),
        ("External ID claim", values.get("external_id_claim")),
        ("External ID", values.get("external_id")),
    ]
    rows = [(label, str(value) if value is not None else "(not given)") for label, value in shown]
    for token in values.get("tokens") or []:
        label = f"Token ({token['kind']} from {token['source']})"
        if "decode_error" in token:
            rows.append((label, "not decodable"))
        else:
            rows.append((label, f"{token.get('mapping_claim')} = {token.get('mapping_value')!r}"))
    return rows


def _values_lines(values: Mapping[str, Any]) -> list[str]:
    lines = ["Onboarding values"]
    for label, value in value_rows(values):
        if label.startswith("Token ("):
            lines.append(f"  {label}: {value}")
        else:
            lines.append(f"  {label + ':':<19} {value}")
    # Every value here comes from the IdP, a token or a flag: escaped as whole lines (our labels are plain text).
    return [escape_text(line) for line in lines]


def render_text(findings: Sequence[Finding], values: Mapping[str, Any], *, colour: bool = False) -> str:
    lines = _values_lines(values)
    area = None
    for finding in sorted_findings(findings):
        if finding.area != area:
            area = finding.area
            lines += ["", _paint(escape_text(area.upper()), "1", colour)]
        label = _paint(f"{MARK[finding.severity]} {finding.severity.value.upper()}", COLOUR[finding.severity], colour)
        # Messages quote kids, algs, claims and file names: escaped before the colour codes are added around them.
        lines.append(f"  {label} [{escape_text(finding.code)}] {escape_text(finding.message)}")
        if finding.severity is not Severity.INFO or finding.fix:
            lines.append(f"      fix: {escape_text(finding.fix)}")
        evidence = _evidence(finding.evidence)
        if evidence:
            lines.append(f"      evidence: {evidence}")
    counts = {severity: sum(1 for f in findings if f.severity is severity) for severity in Severity}
    summary = ", ".join(f"{counts[s]} {s.value}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}" for s in Severity)
    verdict = "ready to send to Qualys Support" if is_ok(findings) else "NOT ready: fix the errors above"
    lines += ["", _paint(f"Summary: {summary}. {verdict}.", "32" if is_ok(findings) else "31;1", colour)]
    return "\n".join(lines) + "\n"


def catalogue_markdown(codes: Iterable[Code]) -> str:
    """docs/checks.md, generated from the check table so the docs cannot drift from the code."""
    lines = [
        "# Check catalogue",
        "",
        "Generated by `oidc-validator catalogue` from the validator's check table; do not edit by hand.",
        "Exit code of `oidc-validator check`: 0 when no check reports an error (warnings allowed),",
        "1 when one does, 2 when it could not run.",
        "Column *non-signing keys*: whether the code can fire on a JWKS key that no verifier would ever choose to check a",
        "signature (use other than sig, a JWE alg, key_ops without verify, an X25519/X448 key); every other key finding",
        'is reported only for keys that could sign, and a non-signing key is otherwise just "ignored: not a signing key".',
    ]
    area = None
    for code in codes:
        if code.area != area:
            area = code.area
            lines += ["", f"## {area}", "", "| code | severity | non-signing keys | meaning | fix |", "|---|---|---|---|---|"]
        cells = (f"`{code.code}`", code.severity.value, "yes" if code.non_signing_keys else "no", code.meaning, code.fix)
        lines.append("| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
