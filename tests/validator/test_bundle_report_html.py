"""report.html in the onboarding package: derived from onboarding.json and report.json, re-derived by verify-bundle,
reproducible, and covered by the secret scan."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from build import with_now
from bundling import LIVE, rezip, unzip
from oidc_validator import __version__
from oidc_validator.bundle.archive import write_zip, zip_bytes
from oidc_validator.bundle.contents import build_contents, sha256sums
from oidc_validator.bundle.guard import secret_problems
from oidc_validator.bundle.layout import required_names
from oidc_validator.bundle.render import report_html
from oidc_validator.bundle.verify.verifier import verify_bundle
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

FINDINGS = [
    Finding("cert_expiring", Severity.WARNING, "certificates", "The certificate expires in 9 days.", "Renew it.", {"days": 9}),
    Finding("jwks_fetched", Severity.INFO, "jwks", "The key set was fetched.", "", {}),
]


def _resummed(files: dict[str, bytes]) -> dict[str, bytes]:
    rest = {n: d for n, d in files.items() if n != "SHA256SUMS"}
    return {**rest, "SHA256SUMS": sha256sums(rest)}


def test_every_package_has_a_report_html_made_from_its_onboarding_json_and_report_json(ctx: Context) -> None:
    files = build_contents(ctx, FINDINGS)
    assert "report.html" in required_names(__version__)
    doc, report = json.loads(files["onboarding.json"]), json.loads(files["report.json"])
    assert files["report.html"] == report_html(doc, report)
    page = files["report.html"].decode()
    assert "Ready to send to Qualys Support" in page and "cert_expiring" in page and "Renew it." in page
    assert "Test IdP" in page and "<svg" in page and "now 2026-11-01 12:05Z" in page
    for key in doc["keys"]:
        assert key["kid"] in page and key["certificate_not_before"] is not None


def test_the_report_html_is_byte_identical_for_the_same_inputs_and_now_and_follows_now(ctx: Context) -> None:
    first, second = build_contents(ctx, FINDINGS), build_contents(ctx, FINDINGS)
    assert first["report.html"] == second["report.html"]
    assert zip_bytes(first, ctx.now) == zip_bytes(second, ctx.now)
    later = build_contents(with_now(ctx, LIVE + timedelta(days=1)), FINDINGS)
    assert later["report.html"] != first["report.html"] and b"now 2026-11-02 12:05Z" in later["report.html"]


def test_a_fresh_package_with_report_html_verifies(ctx: Context, tmp_path: Path) -> None:
    findings = verify_bundle(write_zip(tmp_path / "b.zip", build_contents(ctx, FINDINGS), ctx.now), now=LIVE)
    assert [f.code for f in findings if f.severity is not Severity.INFO] == []
    assert findings[-1].code == "bundle_verified"


def test_an_edited_report_html_is_caught_even_with_fresh_checksums(ctx: Context, tmp_path: Path) -> None:
    files = unzip(zip_bytes(build_contents(ctx, FINDINGS), ctx.now))
    files["report.html"] = files["report.html"].replace(b"Ready to send to Qualys Support", b"Approved by Qualys")
    findings = verify_bundle(rezip(_resummed(files), tmp_path / "e.zip"), now=LIVE)
    errors = [(f.code, f.evidence.get("file")) for f in findings if f.severity is Severity.ERROR]
    assert errors == [("bundle_text_inconsistent", "report.html")]


def test_a_package_without_report_html_is_missing_a_required_file(ctx: Context, tmp_path: Path) -> None:
    files = unzip(zip_bytes(build_contents(ctx, FINDINGS), ctx.now))
    del files["report.html"]
    findings = verify_bundle(rezip(_resummed(files), tmp_path / "m.zip"), now=LIVE)
    assert ("bundle_required_file_missing", "report.html") in [(f.code, f.evidence.get("file")) for f in findings]


def test_the_secret_scan_reads_report_html_as_the_browser_shows_it() -> None:
    # html.escape turns the quotes of a JSON-style assignment into entities; the scan must see through them.
    escaped = b"<dd>{&quot;password&quot;: &quot;hunter2-hunter2&quot;}</dd>"
    assert secret_problems({"report.html": escaped}) == ["report.html contains a credential (secret or password assignment)"]
    assert secret_problems({"report.txt": escaped}) == []  # only HTML is decoded: in other files an entity is just text
    pem = b"<dd>-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END PRIVATE KEY-----</dd>"
    assert secret_problems({"report.html": pem}) == ["report.html contains a PEM private key"]
