"""drift's renderings: one line when nothing changed (for cron), the findings otherwise; JSON; the HTML page.

The JSON has the shape of ``check --format json`` (``ok``, ``findings``, ``values``); ``ok`` is drift's
own verdict: no error and no warning, since a warning here is a rejection to come.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from oidc_validator.drift.codes import BLIND_SPOTS
from oidc_validator.drift.compare import Live
from oidc_validator.drift.package import Onboarded
from oidc_validator.model.findings import Finding, Severity
from oidc_validator.model.text import escape_lines, escape_text
from oidc_validator.report.render import sorted_findings

SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)


def breaks(findings: Sequence[Finding]) -> bool:
    """Something breaks now (an error) or will (a warning): exit 1."""
    return any(f.severity is not Severity.INFO for f in findings)


def _utc(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def drift_values(before: Onboarded, live: Live) -> dict[str, Any]:
    """What was compared: the package's record beside what the IdP shows now."""
    return {
        "bundle": str(before.path),
        "bundle_sha256": before.sha256,
        "onboarded_at": before.doc["generated_at"],
        "checked_at": _utc(live.now),
        "key_source": before.key_source,
        "issuer": before.issuer,
        "live_issuer": live.discovery.get("issuer") if live.discovery is not None else None,
        "audiences": list(before.audiences),
        "jwks_url": before.jwks_url,
        "live_jwks_url": live.jwks_url,
        "package_kids": list(before.kids),
        "live_signing_kids": list(live.signing_kids()),
        "token_kid": live.token_kid,
    }


def render_json(findings: Sequence[Finding], values: Mapping[str, Any]) -> str:
    document = {"ok": not breaks(findings), "findings": [f.to_json() for f in sorted_findings(findings)], "values": dict(values)}
    # Kids, issuers and claims come from the IdP: C1 and bidi characters escaped as in check's JSON.
    return escape_lines(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def _summary(findings: Sequence[Finding]) -> str:
    counts = {s: sum(1 for f in findings if f.severity is s) for s in SEVERITY_ORDER}
    told = ", ".join(f"{counts[s]} {s.value}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}" for s in SEVERITY_ORDER)
    if counts[Severity.ERROR]:
        return f"{told}: Qualys rejects tokens now; send the follow-up package (--update-bundle)."
    if any(f.severity is Severity.WARNING and f.code not in BLIND_SPOTS for f in findings):
        return f"{told}: Qualys will reject tokens; send the follow-up package before then (--update-bundle)."
    if counts[Severity.WARNING]:
        return f"{told}: drift could not see everything it compares; make it reachable and run again."
    return f"{told}: nothing breaks, nothing to send."


def render_text(findings: Sequence[Finding], values: Mapping[str, Any]) -> str:
    """One line when nothing changed, so a cron job mails only when there is something to read."""
    label = escape_text(str(values.get("issuer") or values.get("jwks_url") or values["bundle"]))
    if not findings:
        return f"no drift: {label} matches {escape_text(str(values['bundle']))} (onboarded {escape_text(str(values['onboarded_at']))})\n"
    lines = [f"drift of {label} since {escape_text(str(values['onboarded_at']))}:"]
    for finding in sorted(findings, key=lambda f: SEVERITY_ORDER.index(f.severity)):
        lines.append(f"{finding.severity.value.upper():7} {escape_text(finding.code)}: {escape_text(finding.message)}")
        if finding.severity is not Severity.INFO:
            lines.append(f"        fix: {escape_text(finding.fix)}")
    lines.append(_summary(findings))
    return "\n".join(lines) + "\n"


def render_html(findings: Sequence[Finding], values: Mapping[str, Any], before: Onboarded, live: Live) -> str:
    from oidc_validator.report.html import KeySpan, Timeline
    from oidc_validator.report.html import render_html as page
    from oidc_validator.report.timeline import certificate_validity, token_times

    spans = [
        KeySpan(
            c.kid,
            "pinned certificate" + (" (for OIDC)" if c.use_for_oidc else ""),
            c.certificate.not_valid_before_utc,
            c.certificate.not_valid_after_utc,
        )
        for c in before.certificates
    ]
    published = set(live.published_kids())
    for key in live.keys or ():
        kid = key.get("kid")
        if isinstance(kid, str) and kid not in before.kids:
            spans.append(KeySpan(kid, "new in the JWKS", *(certificate_validity(key) or (None, None))))
    spans += [KeySpan(kid, "removed from the JWKS", None, None) for kid in before.kids if live.keys is not None and kid not in published]
    issued, expires = token_times(live.token.claims if live.token is not None else {})
    timeline = Timeline(now=live.now, keys=tuple(spans), token_kid=live.token_kid, token_issued=issued, token_expires=expires)
    rows = [
        ("Onboarded package", f"{values['bundle']} ({values['onboarded_at']})"),
        ("Package SHA-256", str(values["bundle_sha256"])),
        ("Key source", str(values["key_source"])),
        ("Issuer", str(values["issuer"])),
        ("JWKS URL", str(values["live_jwks_url"] or values["jwks_url"])),
        ("Kids in the package", ", ".join(values["package_kids"]) or "none"),
        ("Signing kids in the JWKS now", ", ".join(values["live_signing_kids"]) or "none"),
        ("Kid of the sample token", str(values["token_kid"] or "no sample token")),
    ]
    if values.get("update_bundle"):
        rows.append(("Follow-up package", str(values["update_bundle"])))
    verdict = _summary(findings) if findings else "No drift: nothing breaks, nothing to send."
    return page(
        title="Drift since onboarding",
        findings=sorted_findings(findings),
        rows=rows,
        timeline=timeline,
        verdicts=(verdict, verdict),
        rows_heading="What was compared",
        ready=not breaks(findings),
    )
