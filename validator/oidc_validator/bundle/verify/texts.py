"""The texts of a bundle (REQUEST.md, report.txt, report.html) must say what its data (onboarding.json, report.json) says.

SHA256SUMS only proves that nothing changed after the sums were written; someone who edits the
issuer in REQUEST.md can write new sums too. Deriving the texts again from the data closes that
gap: the ticket text Support reads is exactly the data the checks ran on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oidc_validator import __version__
from oidc_validator.bundle import codes
from oidc_validator.bundle.render import report_findings, report_html, request_markdown
from oidc_validator.bundle.verify.schema import validated_entry
from oidc_validator.model.findings import Finding
from oidc_validator.report.render import render_text, report_schema


def parse_report(files: Mapping[str, bytes]) -> tuple[dict[str, Any] | None, list[Finding]]:
    report, problems = validated_entry(files, "report.json", codes.REPORT_INVALID, report_schema())
    return (None if problems else report), problems


def text_findings(doc: dict[str, Any] | None, report: dict[str, Any] | None, files: Mapping[str, bytes]) -> list[Finding]:
    """Derive REQUEST.md, report.txt and report.html again; ``doc`` must already have passed the schema."""
    if doc is None or report is None:
        return []
    if doc.get("tool_version") != __version__:
        return [codes.TEXT_NOT_REDERIVED.finding(f"Made by version {doc.get('tool_version')}, verified by {__version__}.")]
    findings = report_findings(report)
    expected = {
        "REQUEST.md": request_markdown(doc, findings, sorted(files)),
        "report.txt": render_text(findings, report["values"], colour=False).encode("utf-8"),
        "report.html": report_html(doc, report),
    }
    return [
        codes.TEXT_INCONSISTENT.finding(f"{name} is not what onboarding.json and report.json say: it was edited.", file=name)
        for name, text in expected.items()
        if name in files and files[name] != text
    ]
