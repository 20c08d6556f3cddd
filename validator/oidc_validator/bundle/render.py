"""Text renderings inside the bundle: REQUEST.md (pasted into the ticket) and the findings report."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from oidc_validator.model.findings import Finding, Severity
from oidc_validator.model.text import escape_lines, escape_text
from oidc_validator.report import render as report
from oidc_validator.report.html import render_html, timeline_from_onboarding


def counts(findings: Sequence[Finding]) -> dict[str, int]:
    return {s.value: sum(1 for f in findings if f.severity == s) for s in Severity}


def dumps(value: Any) -> bytes:
    """Stable JSON: the same value always gives the same bytes (the zip must be reproducible)."""
    return (json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


def report_json(findings: Sequence[Finding], values: Mapping[str, Any]) -> bytes:
    """The same document as ``oidc-validator check --format json`` (schemas/report.schema.json)."""
    return (report.render_json(findings, values) + "\n").encode("utf-8")


def report_text(findings: Sequence[Finding], values: Mapping[str, Any]) -> bytes:
    """The same report as ``oidc-validator check``, without colour: it is a file."""
    return report.render_text(findings, values, colour=False).encode("utf-8")


def report_findings(report_document: Mapping[str, Any]) -> list[Finding]:
    """The findings of a report.json document (schemas/report.schema.json), in its order."""
    return [
        Finding(f["code"], Severity(f["severity"]), f["area"], f["message"], f["fix"], dict(f["evidence"]))
        for f in report_document["findings"]
    ]


def report_html(doc: Mapping[str, Any], report_document: Mapping[str, Any]) -> bytes:
    """report.html, from onboarding.json and report.json alone, so verify-bundle can derive it again byte for byte."""
    if doc.get("key_source") == "certificates":
        kids = ", ".join(str(c.get("kid")) for c in doc.get("certificates") or [])
        source = f"certificates (pinned kids: {kids or 'none'})"
    else:
        source = f"JWKS URL {doc.get('jwks_url')}"
    rows = [*report.value_rows(report_document["values"]), ("Key source", source), ("Package made at", str(doc.get("generated_at")))]
    name = doc.get("idp_name") or doc.get("issuer") or "IdP"
    page = render_html(
        title=f"Qualys OIDC onboarding package: {name}",
        findings=report_findings(report_document),
        rows=rows,
        timeline=timeline_from_onboarding(doc),
    )
    return page.encode("utf-8")


def _one_line(value: Any) -> str:
    """Whitespace runs (newlines and separators included) become one space; what is left goes through escape_text."""
    return escape_text(" ".join(str(value).split()))


def code_span(value: Any) -> str:
    """Outside text as an inline code span: one line, escaped, and unable to end the span or the table row."""
    return "`" + _one_line(value).replace("`", "'").replace("|", "\\|") + "`"


def cell(value: Any) -> str:
    """A Markdown table cell: never breaks the table, whatever the IdP put in a name or claim."""
    if value is None or value == "" or value == []:
        return "*(not given)*"
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    return code_span(value)


# Running text that starts Markdown structure or active content: code spans, emphasis, links and images,
# HTML and autolinks, entities (&#x202e; would render an invisible override), table pipes, and the
# backslash itself so that no escape here can be undone by the text. Not "_": claim names and codes are
# full of intraword underscores, which never emphasise; a bare _x_ could only italicise.
_MARKDOWN_ACTIVE = re.compile(r"([\\`*\[\]<>|&])")


def prose(value: Any) -> str:
    """Outside text (a finding's message quotes claims and kids) in a Markdown line: one line, escaped, inert."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", _one_line(value))


def _times(claims: Mapping[str, Any]) -> str:
    """iat and exp as readable UTC times: Support compares them with their own logs."""
    parts = []
    for claim, label in (("iat", "issued"), ("exp", "expires")):
        value = claims.get(claim)
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 253402300800:
            parts.append(f"{label} {datetime.fromtimestamp(value, UTC).isoformat().replace('+00:00', 'Z')}")
    return ", ".join(parts) or "no readable iat/exp"


def fence(text: str) -> str:
    """A code fence longer than any backtick run in the text: claims are the IdP's data and must not end the block."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _mapping_text(doc: Mapping[str, Any]) -> str:
    claim = doc["mapping_claim"]
    if claim == "sub":
        return "`sub` (the default)"
    return f"custom claim {cell(claim)} (Qualys falls back to `sub` when it is absent or empty)"


def _key_lines(doc: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    if doc["key_source"] == "certificates":
        lines += [
            "| kid | file | alg | key | subject | valid until | SHA-256 fingerprint | use for OIDC |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in doc["certificates"]:
            key = f"{c['key_type']} {c['key_size']}" + (f" {c['curve']}" if c.get("curve") else "")
            lines.append(
                f"| {cell(c['kid'])} | {cell(c['file'])} | {cell(c['alg'])} | {prose(key)} | {cell(c['subject'])} "
                f"| {prose(c['not_after'])} "
                f"| {cell(c['sha256_fingerprint'])} | {'yes' if c['use_for_oidc'] else 'no'} |"
            )
    else:
        lines += ["| kid | alg | key | use | certificate valid until |", "|---|---|---|---|---|"]
        for k in doc["keys"]:
            key = f"{k['key_type'] or '?'} {k['key_size'] or ''}".strip() + (f" {k['curve']}" if k.get("curve") else "")
            not_after = prose(k["certificate_not_after"]) if k["certificate_not_after"] else "no x5c"
            lines.append(f"| {cell(k['kid'])} | {cell(k['alg'])} | {prose(key)} | {cell(k['use'])} | {not_after} |")
        if not doc["keys"]:
            lines.append("| *(the key set was not fetched)* | | | | |")
    return lines


def _kid_list(kids: Sequence[str]) -> str:
    return ", ".join(code_span(k) for k in kids) or "none"


def _replacements(doc: Mapping[str, Any], update: Mapping[str, Any]) -> list[str]:
    """What Support changes in the existing configuration: the values that differ, and the certificates."""
    rows = [
        (label, before, now)
        for label, before, now in (
            ("Issuer", update["previous_issuer"], doc["issuer"]),
            ("Audience", update["previous_audiences"], doc["audiences"]),
            ("Key source", update["previous_key_source"], doc["key_source"]),
            (
                "JWKS URL",
                update["previous_jwks_url"] if update["previous_key_source"] == "jwks_url" else None,
                doc["jwks_url"] if doc["key_source"] == "jwks_url" else None,
            ),
        )
        if before != now
    ]
    out: list[str] = []
    if rows:
        out += [
            "| Value | Onboarded | Now |",
            "|---|---|---|",
            *[f"| {label} | {cell(before)} | {cell(now)} |" for label, before, now in rows],
            "",
        ]
    if doc["key_source"] == "certificates":
        previous = list(update["previous_kids"]) if update["previous_key_source"] == "certificates" else []
        current = [c["kid"] for c in doc["certificates"]]
        files = {c["kid"]: c["file"] for c in doc["certificates"]}
        added = [k for k in current if k not in previous]
        switched = update["previous_key_source"] != "certificates"
        out += [
            "Pin the certificates in this package; Qualys stops polling the JWKS URL:"
            if switched
            else "Replace the pinned certificates with the ones in this package:",
            "",
            f"- add: {', '.join(f'{code_span(k)} ({code_span(files[k])})' for k in added) or 'none'}",
            f"- keep: {_kid_list([k for k in current if k in previous])}",
            f"- remove: {_kid_list([k for k in previous if k not in current])}",
            "",
        ]
    elif update["previous_key_source"] == "certificates":
        out += [
            f"Remove the pinned certificates ({_kid_list(update['previous_kids'])}): Qualys fetches the keys from the JWKS URL "
            "above from now on, and follows the IdP's rotations by itself.",
            "",
        ]
    elif not rows:
        out += ["Nothing needs replacing: Qualys polls the JWKS URL and follows the keys by itself. This package records the change.", ""]
    return out


def _update_lines(doc: Mapping[str, Any]) -> list[str]:
    update = doc["update"]
    changes = update["changes"]
    return [
        "# Request: update our existing OpenID Connect API authentication",
        "",
        f"This package updates the OIDC onboarding sent on {prose(update['previous_generated_at'])} "
        f"(that package's SHA-256: {code_span(update['previous_sha256'])}). The identity provider has changed since; "
        "please update the existing configuration for our Qualys subscription as below. Every value is listed again further down.",
        "",
        "## What changed",
        "",
        *([f"- {prose(c['severity'])} {code_span(c['code'])}: {prose(c['message'])}" for c in changes] or ["- nothing that breaks tokens"]),
        "",
        "## What to replace",
        "",
        *_replacements(doc, update),
        "## The values now",
        "",
    ]


def request_markdown(doc: Mapping[str, Any], findings: Sequence[Finding], files: Sequence[str]) -> bytes:
    errors = [f for f in findings if f.severity == Severity.ERROR]
    warnings = [f for f in findings if f.severity == Severity.WARNING]
    out: list[str] = []
    if errors:
        # Whoever reads the ticket first must see that the request is known to be incomplete.
        out += [f"> **Validation errors remain ({len(errors)}).** This package was produced with `--allow-errors`;", ">"]
        out += [f"> - {code_span(f.code)}: {prose(f.message)}" for f in errors]
        out.append("")
    source = doc["key_source"]
    if source == "jwks_url":
        keys_value = f"JWKS URL {cell(doc['jwks_url'])} (Qualys polls it; no certificate is pinned)"
    else:
        names = ", ".join(f"{code_span(c['file'])} (kid {code_span(c['kid'])})" for c in doc["certificates"])
        keys_value = f"{len(doc['certificates'])} X.509 certificate(s), each paired with its kid: {names}"
    sample = doc["sample_token"]
    if doc.get("update") is not None:
        out += _update_lines(doc)
    else:
        out += [
            "# Request: enable OpenID Connect API authentication",
            "",
            "Please enable OpenID Connect (OIDC) API authentication for our Qualys subscription with the identity provider below.",
        ]
    out += [
        "The attached package holds the same values as data (`onboarding.json`), the signing material and the validation report.",
        "",
        "| Prerequisite | Value |",
        "|---|---|",
        f"| IdP name | {cell(doc['idp_name'])} |",
        f"| Entity ID | {cell(doc['entity_id'])} |",
        f"| Signing keys ({'JWKS URL' if source == 'jwks_url' else 'certificates'}) | {keys_value} |",
        f"| Audience | {cell(doc['audiences'])} |",
        f"| Issuer | {cell(doc['issuer'])} |",
        f"| External ID | {cell(doc['external_id'])} |",
        f"| Mapping claim | {_mapping_text(doc)} |",
        "",
    ]
    derived = doc.get("values_from_sample_token") or []
    if derived:
        out += [f"The {' and '.join(derived)} were read from the sample token's claims (`iss`, `aud`).", ""]
    out += [f"Key source: {prose(doc['key_source_reason'])}.", "", "## Signing keys", "", *_key_lines(doc), ""]
    if sample is not None:
        # json.dumps escapes C0 controls only: C1 controls and bidi overrides in a claim go through escape_text.
        # escape_lines, not escape_text: the indentation's own newlines are the block's structure (json.dumps has escaped
        # every newline inside a string already).
        decoded = escape_lines(json.dumps({"header": sample["header"], "claims": sample["claims"]}, indent=2, ensure_ascii=False))
        out += [
            "## Sample token (decoded; the signature is withheld)",
            "",
            f"Kind: {prose(sample['kind'])}; {_times(sample['claims'])}; "
            f"expired at generation time: {'yes' if sample['expired'] else 'no'}."
            + (f" The whole (expired) token is in {code_span(sample['included_file'])}." if sample.get("included_file") else ""),
            "",
            fence(decoded) + "json",
            decoded,
            fence(decoded),
            "",
        ]
    c = counts(findings)
    out += ["## Validation", "", f"{c['error']} error(s), {c['warning']} warning(s), {c['info']} info (details in `report.txt`).", ""]
    out += [f"- **error** {code_span(f.code)}: {prose(f.message)}" for f in errors]
    out += [f"- warning {code_span(f.code)}: {prose(f.message)}" for f in warnings]
    if errors or warnings:
        out.append("")
    out += ["## Files", "", *[f"- {code_span(name)}" for name in files], ""]
    out.append(f"Generated by oidc-validator {prose(doc['tool_version'])} at {prose(doc['generated_at'])}; `SHA256SUMS` covers every file.")
    return ("\n".join(out) + "\n").encode("utf-8")
