"""What goes in the onboarding package, computed purely from a Context, the findings and the options."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization

from oidc_validator import __version__
from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.guard import assert_no_secrets
from oidc_validator.bundle.keysource import JWKS_ORIGIN, KeySource, choose_key_source, fetched_jwks
from oidc_validator.bundle.layout import SAMPLE_TOKEN_FILE, certificate_file, is_allowed_name
from oidc_validator.bundle.limits import KeySourceName
from oidc_validator.bundle.material import certificate_facts, file_stem, jwk_facts, jwks_key_list, public_jwks
from oidc_validator.bundle.render import counts, dumps, report_html, report_json, report_text, request_markdown
from oidc_validator.bundle.sample import DecodedSample, choose_sample, is_expired, signature_segments, token_to_include
from oidc_validator.crypto.certs import load_der, x5c_leaf
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity
from oidc_validator.report.render import onboarding_values, sorted_findings

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class BundleOptions:
    key_source: KeySourceName | None = None  # None: the default rule (see keysource.default_key_source)
    use_kids: tuple[str, ...] = ()
    include_token: bool = False
    allow_errors: bool = False
    tool_version: str = __version__
    # Why this key source, when the caller knows better than "chosen with --key-source" (drift keeps the onboarded one).
    key_source_reason: str | None = None
    # Strings that must appear in no file (the client secret and password the run used, if any).
    forbidden: tuple[str, ...] = field(default=(), repr=False)


def utc_iso(moment: datetime) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _audiences(ctx: Context, sample: DecodedSample | None) -> tuple[list[str], bool]:
    if ctx.inputs.audiences:
        return list(ctx.inputs.audiences), False
    aud = sample.claims.get("aud") if sample else None
    if isinstance(aud, str) and aud:
        return [aud], True
    if isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        return list(aud), True
    return [], False


def _issuer(ctx: Context, sample: DecodedSample | None) -> tuple[str | None, bool]:
    if ctx.inputs.issuer:
        return ctx.inputs.issuer, False
    iss = sample.claims.get("iss") if sample else None
    return (iss, True) if isinstance(iss, str) and iss else (None, False)


def _mapping(claims: Mapping[str, Any], claim: str) -> tuple[str, Any]:
    """What Qualys maps: the custom claim, falling back to ``sub`` when it is absent or empty."""
    value = claims.get(claim)
    if claim != "sub" and (value is None or value == ""):
        return "sub", claims.get("sub")
    return claim, value


def _certificates(source: KeySource, sample: DecodedSample | None) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    entries: list[dict[str, Any]] = []
    files: dict[str, bytes] = {}
    taken: set[str] = set()
    for bundled in source.certificates:
        c = bundled.candidate
        name = certificate_file(file_stem(c.kid, taken))
        certificate = c.certificate
        alg = c.jwk.get("alg") if c.jwk is not None else None
        if not isinstance(alg, str) and sample is not None and sample.header.get("kid") == c.kid:
            alg = sample.header.get("alg")  # the algorithm the kid is seen signing with
        entries.append(
            {
                "kid": c.kid,
                "file": name,
                "alg": alg if isinstance(alg, str) else None,
                **certificate_facts(certificate, c.der),
                "use_for_oidc": bundled.use_for_oidc,
                "origin": "jwks_x5c" if c.origin == JWKS_ORIGIN else "cert_file",
            }
        )
        files[name] = certificate.public_bytes(serialization.Encoding.PEM)
    return entries, files


def _key_table(jwks: Any) -> list[dict[str, Any]]:
    table: list[dict[str, Any]] = []
    for key in jwks_key_list(jwks):
        kty, size, curve = jwk_facts(key)
        der = x5c_leaf(key)
        table.append(
            {
                "kid": key.get("kid") if isinstance(key.get("kid"), str) else None,
                "key_type": kty,
                "key_size": size,
                "curve": curve,
                "alg": key.get("alg") if isinstance(key.get("alg"), str) else None,
                "use": key.get("use") if isinstance(key.get("use"), str) else None,
                "certificate_not_before": load_der(der).not_valid_before_utc.isoformat() if der is not None else None,
                "certificate_not_after": load_der(der).not_valid_after_utc.isoformat() if der is not None else None,
            }
        )
    return table


def _sample_entry(ctx: Context, sample: DecodedSample | None, included: bool) -> dict[str, Any] | None:
    if sample is None:
        return None
    used, value = _mapping(sample.claims, ctx.inputs.external_id_claim)
    return {
        "kind": sample.token.kind,
        "header": sample.header,
        "claims": sample.claims,
        "expired": is_expired(sample.claims, ctx.now),
        "mapping_claim_used": used,
        "mapping_value": value,
        "included_file": SAMPLE_TOKEN_FILE if included else None,
    }


def onboarding_document(
    ctx: Context, findings: Sequence[Finding], source: KeySource, sample: DecodedSample | None, options: BundleOptions
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """onboarding.json as a dict, and the certificate files it names."""
    issuer, issuer_from_token = _issuer(ctx, sample)
    audiences, aud_from_token = _audiences(ctx, sample)
    certificates, cert_files = _certificates(source, sample)
    c = counts(findings)
    claim = ctx.inputs.external_id_claim or "sub"
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "idp_name": ctx.inputs.idp_name,
        "entity_id": ctx.inputs.entity_id,
        "issuer": issuer,
        "audiences": audiences,
        "values_from_sample_token": [n for n, derived in (("issuer", issuer_from_token), ("audiences", aud_from_token)) if derived],
        "key_source": source.name,
        "key_source_reason": source.reason,
        "jwks_url": source.jwks_url,
        "certificates": certificates,
        "keys": _key_table(fetched_jwks(ctx)),
        "external_id": ctx.inputs.external_id,
        "mapping_claim": claim,
        "custom_claim": claim if claim != "sub" else None,
        "sample_token": _sample_entry(ctx, sample, options.include_token),
        "validation": {
            "ok": c["error"] == 0,
            "errors": c["error"],
            "warnings": c["warning"],
            "infos": c["info"],
            "remaining_errors": list(dict.fromkeys(f.code for f in sorted_findings(findings) if f.severity == Severity.ERROR)),
        },
        "tool_version": options.tool_version,
        "generated_at": utc_iso(ctx.now),
    }
    return doc, cert_files


def sha256sums(files: Mapping[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files)).encode("ascii")


def build_contents(
    ctx: Context,
    findings: Sequence[Finding],
    options: BundleOptions | None = None,
    *,
    clock: datetime | None = None,
    update: Mapping[str, Any] | None = None,
) -> dict[str, bytes]:
    """Every file of the bundle, name -> bytes, sorted by name; raises BundleError (nothing to write) on refusal.

    ``clock`` is the real time (the CLI reads it once); ``ctx.now`` may be --now. A token must be dead at
    both before it goes in, since --now set in the future would otherwise pass a live token as expired.
    ``update``: onboarding.json's record of the package this one follows up (drift --update-bundle); REQUEST.md
    is then written as an update of the existing onboarding.
    """
    options = options or BundleOptions()
    moments = (ctx.now,) if clock is None else (ctx.now, clock)
    errors = list(dict.fromkeys(f.code for f in sorted_findings(findings) if f.severity == Severity.ERROR))
    if errors and not options.allow_errors:
        raise BundleError(
            f"the checks found {len(errors)} error(s) ({', '.join(errors)}); fix them, or pass --allow-errors to write the package anyway",
            code="errors_remain",
        )
    sample = choose_sample(ctx)
    raw_token = token_to_include(sample, moments) if options.include_token else None
    source = choose_key_source(ctx, options.key_source, options.use_kids)
    if options.key_source_reason is not None:
        source = dataclasses.replace(source, reason=options.key_source_reason)
    doc, files = onboarding_document(ctx, findings, source, sample, options)
    if update is not None:
        doc["update"] = dict(update)
    jwks = fetched_jwks(ctx)
    if jwks is not None:
        files["jwks.json"] = dumps(public_jwks(jwks))
    files["onboarding.json"] = dumps(doc)
    values = onboarding_values(ctx)
    files["report.json"] = report_json(findings, values)
    files["report.txt"] = report_text(findings, values)
    # From the two files' bytes, not from the objects they were made of: verify-bundle has only the files.
    files["report.html"] = report_html(json.loads(files["onboarding.json"]), json.loads(files["report.json"]))
    if raw_token is not None:
        files[SAMPLE_TOKEN_FILE] = (raw_token + "\n").encode("ascii")
    names = sorted([*files, "REQUEST.md", "SHA256SUMS"])
    # The report's order, so verify-bundle can derive REQUEST.md again from onboarding.json and report.json.
    files["REQUEST.md"] = request_markdown(doc, sorted_findings(findings), names)
    allowed = {SAMPLE_TOKEN_FILE: raw_token.split(".")[2]} if raw_token is not None else None
    assert_no_secrets(
        files,
        token_signatures=signature_segments(ctx.inputs.tokens),
        forbidden=options.forbidden,
        allowed_signatures=allowed,
        live_at=moments,
    )
    files["SHA256SUMS"] = sha256sums(files)
    # verify-bundle refuses any name outside bundle.layout; a writer bug must fail here, not at Support.
    stray = sorted(name for name in files if not is_allowed_name(name))
    if stray:
        raise BundleError(f"internal error: the bundle would hold entries outside its layout: {', '.join(stray)}", code="bundle_layout")
    return {name: files[name] for name in sorted(files)}
