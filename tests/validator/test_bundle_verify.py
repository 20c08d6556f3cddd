"""verify-bundle: integrity (SHA256SUMS), shape (the JSON Schema) and substance (key checks re-run on the bundled files)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from build import T0, certificate, crafted_claims, crafted_context, public_jwk, rsa_key, sign
from bundling import LIVE, rezip, unzip
from oidc_validator.bundle.archive import write_zip
from oidc_validator.bundle.codes import BUNDLE_CATALOGUE
from oidc_validator.bundle.contents import BundleOptions, build_contents, sha256sums
from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.limits import KeySourceName
from oidc_validator.bundle.verify.verifier import verify_bundle, verify_files
from oidc_validator.checks.certificates import KID_MISMATCH
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity


def _codes(findings: list[Finding], severity: Severity | None = None) -> list[str]:
    return [f.code for f in findings if severity is None or f.severity == severity]


def _bundle(ctx: Context, tmp_path: Path, options: BundleOptions | None = None, findings: list[Finding] | None = None) -> Path:
    return write_zip(tmp_path / "bundle.zip", build_contents(ctx, findings or [], options), ctx.now)


def _resummed(files: dict[str, bytes]) -> dict[str, bytes]:
    """Files edited by someone who also fixed SHA256SUMS: integrity passes, so the deeper checks must catch it."""
    rest = {n: d for n, d in files.items() if n != "SHA256SUMS"}
    return {**rest, "SHA256SUMS": sha256sums(rest)}


@pytest.mark.parametrize("mode", ["certificates", "jwks_url"])
def test_a_fresh_bundle_verifies_with_only_informational_findings(ctx: Context, tmp_path: Path, mode: KeySourceName) -> None:
    findings = verify_bundle(_bundle(ctx, tmp_path, BundleOptions(key_source=mode)), now=LIVE)
    assert _codes(findings, Severity.ERROR) == [] and _codes(findings, Severity.WARNING) == []
    assert _codes(findings)[-1] == "bundle_verified"
    if mode == "certificates":
        assert "cert_paired" in _codes(findings)  # the validator's own pairing check ran on certs/*.pem


def test_a_tampered_file_is_caught(ctx: Context, tmp_path: Path) -> None:
    files = unzip(_bundle(ctx, tmp_path))
    files["REQUEST.md"] = files["REQUEST.md"].replace(b"Test IdP", b"Evil IdP")
    findings = verify_bundle(rezip(files, tmp_path / "t.zip"), now=LIVE)
    tampered = [f for f in findings if f.code == "bundle_file_tampered"]
    assert [f.evidence["file"] for f in tampered] == ["REQUEST.md"]
    assert tampered[0].evidence["expected"] == hashlib.sha256(unzip(_bundle(ctx, tmp_path))["REQUEST.md"]).hexdigest()
    assert "bundle_verified" not in _codes(findings)


def test_a_missing_file_is_caught(ctx: Context, tmp_path: Path) -> None:
    files = unzip(_bundle(ctx, tmp_path))
    del files["jwks.json"]
    findings = verify_bundle(rezip(files, tmp_path / "m.zip"), now=LIVE)
    assert [(f.code, f.evidence["file"]) for f in findings if f.code == "bundle_file_missing"] == [("bundle_file_missing", "jwks.json")]


def test_an_added_file_and_a_missing_sha256sums_are_caught(ctx: Context, tmp_path: Path) -> None:
    files = unzip(_bundle(ctx, tmp_path))
    findings = verify_bundle(rezip({**files, "notes.txt": b"hi"}, tmp_path / "x.zip"), now=LIVE)
    assert ("bundle_file_unlisted", "notes.txt") in [(f.code, f.evidence.get("file")) for f in findings]
    del files["SHA256SUMS"]
    assert "bundle_checksums_missing" in _codes(verify_bundle(rezip(files, tmp_path / "n.zip"), now=LIVE))


def test_an_onboarding_json_that_breaks_the_schema_is_caught_even_with_fixed_checksums(ctx: Context, tmp_path: Path) -> None:
    files = unzip(_bundle(ctx, tmp_path))
    doc = json.loads(files["onboarding.json"])
    doc["key_source"] = "carrier pigeon"
    doc["unexpected"] = True
    del doc["issuer"]
    files["onboarding.json"] = json.dumps(doc).encode()
    findings = verify_bundle(rezip(_resummed(files), tmp_path / "s.zip"), now=LIVE)
    invalid = [f.message for f in findings if f.code == "bundle_onboarding_invalid"]
    assert any("'issuer' is a required property" in m for m in invalid)
    assert any("$.key_source" in m for m in invalid)
    assert any("'unexpected' was unexpected" in m for m in invalid)
    assert "bundle_file_tampered" not in _codes(findings)


def test_request_md_edited_with_fresh_checksums_no_longer_matches_the_data(ctx: Context, tmp_path: Path) -> None:
    files = unzip(_bundle(ctx, tmp_path))
    assert ctx.inputs.issuer is not None
    files["REQUEST.md"] = files["REQUEST.md"].replace(
        f"| Issuer | `{ctx.inputs.issuer}` |".encode(), b"| Issuer | `https://evil.example` |"
    )
    findings = verify_bundle(rezip(_resummed(files), tmp_path / "r.zip"), now=LIVE)
    assert [(f.code, f.evidence["file"]) for f in findings if f.severity == Severity.ERROR] == [("bundle_text_inconsistent", "REQUEST.md")]


def test_a_report_json_that_breaks_the_report_schema_is_caught(ctx: Context, tmp_path: Path) -> None:
    files = unzip(_bundle(ctx, tmp_path))
    report = json.loads(files["report.json"])
    report["findings"].append({"code": "Not A Code", "severity": "fatal"})
    files["report.json"] = json.dumps(report).encode()
    findings = verify_bundle(rezip(_resummed(files), tmp_path / "rj.zip"), now=LIVE)
    assert {f.code for f in findings if f.severity == Severity.ERROR} == {"bundle_report_invalid"}


def test_onboarding_json_that_is_not_json_is_caught(ctx: Context, tmp_path: Path) -> None:
    files = unzip(_bundle(ctx, tmp_path))
    files["onboarding.json"] = b"{not json"
    assert "bundle_onboarding_invalid" in _codes(verify_bundle(rezip(_resummed(files), tmp_path / "j.zip"), now=LIVE))


def test_a_certificate_swapped_for_another_key_is_caught_by_the_key_checks(ctx: Context, tmp_path: Path) -> None:
    files = unzip(_bundle(ctx, tmp_path))
    (cert_name,) = [n for n in files if n.startswith("certs/")]
    stranger = rsa_key(fresh=True)
    files[cert_name] = certificate(stranger).public_bytes(serialization.Encoding.PEM)
    findings = verify_bundle(rezip(_resummed(files), tmp_path / "c.zip"), now=LIVE)
    codes = _codes(findings, Severity.ERROR)
    assert KID_MISMATCH.code in codes  # the validator's own pairing check: the file's key is not the kid's
    assert "bundle_certificate_facts_mismatch" in codes  # and onboarding.json describes another certificate


def test_certificates_are_judged_as_of_the_verification_time(ctx: Context, tmp_path: Path) -> None:
    path = _bundle(ctx, tmp_path)
    expired = verify_bundle(path, now=LIVE + timedelta(days=400))
    assert "certificate_expired" in _codes(expired, Severity.ERROR)
    expiring = verify_bundle(path, now=LIVE + timedelta(days=350))
    assert "certificate_expiring" in _codes(expiring, Severity.WARNING)


def test_private_members_or_a_private_key_slipped_into_a_bundle_are_caught(ctx: Context, tmp_path: Path) -> None:
    files = unzip(_bundle(ctx, tmp_path, BundleOptions(key_source="jwks_url")))
    jwks = json.loads(files["jwks.json"])
    jwks["keys"][0]["d"] = "c2VjcmV0"
    files["jwks.json"] = json.dumps(jwks).encode()
    files["REQUEST.md"] += b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    findings = verify_bundle(rezip(_resummed(files), tmp_path / "p.zip"), now=LIVE)
    assert ("bundle_secret", "REQUEST.md") in [(f.code, f.evidence.get("file")) for f in findings]
    assert "jwk_private_members" in _codes(findings, Severity.ERROR)


def test_a_bundled_token_that_is_still_live_at_verification_is_an_error(ctx: Context, tmp_path: Path) -> None:
    files = unzip(_bundle(ctx, tmp_path))
    doc = json.loads(files["onboarding.json"])
    doc["sample_token"]["included_file"] = "sample-token-expired.jwt"
    files["onboarding.json"] = json.dumps(doc).encode()
    files["sample-token-expired.jwt"] = ctx.inputs.tokens[0].raw.encode()
    findings = verify_bundle(rezip(_resummed(files), tmp_path / "l.zip"), now=LIVE)
    assert "bundle_live_token" in _codes(findings, Severity.ERROR)


def test_a_token_kid_without_a_certificate_for_oidc_is_caught() -> None:
    a, b = rsa_key(fresh=True), rsa_key(fresh=True)
    jwks = {
        "keys": [public_jwk(a, "a", cert=certificate(a), thumbprints=False), public_jwk(b, "b", cert=certificate(b), thumbprints=False)]
    }
    token = sign(crafted_claims(exp=T0 + timedelta(hours=1)), b, kid="b", typ="JWT")
    ctx = crafted_context(jwks, tokens=(token,))
    files = build_contents(ctx, [], BundleOptions(key_source="certificates", use_kids=("a",)))
    findings = verify_files(files, now=T0)
    assert [f.evidence for f in findings if f.code == "bundle_token_kid_not_bundled"] == [{"kid": "b", "bundled_kids": ["a"]}]


def test_a_bundle_written_with_allowed_errors_verifies_with_a_warning(ctx: Context, tmp_path: Path) -> None:
    error = Finding("entity_id_missing", Severity.ERROR, "entity", "No Entity ID.", "Give --entity-id.")
    findings = verify_bundle(_bundle(ctx, tmp_path, BundleOptions(allow_errors=True), [error]), now=LIVE)
    assert _codes(findings, Severity.WARNING) == ["bundle_errors_remain"]


def test_a_file_that_is_not_a_zip_is_a_finding_and_a_missing_file_an_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really")
    assert _codes(verify_bundle(junk, now=LIVE)) == ["bundle_unreadable"]
    with pytest.raises(BundleError) as caught:
        verify_bundle(tmp_path / "absent.zip", now=LIVE)
    assert caught.value.code == "bundle_not_found"


def test_unsafe_entry_names_are_reported_not_extracted(ctx: Context, tmp_path: Path) -> None:
    files = unzip(_bundle(ctx, tmp_path))
    findings = verify_bundle(rezip({**files, "../escape.txt": b"x"}, tmp_path / "u.zip"), now=LIVE)
    assert "bundle_entry_unsafe" in _codes(findings)


def test_every_bundle_code_is_in_the_bundle_catalogue_with_a_fix() -> None:
    codes = list(BUNDLE_CATALOGUE)
    assert len(codes) >= 20
    assert all(c.area == "bundle" and c.code.startswith("bundle_") and c.fix for c in codes)


@pytest.mark.parametrize(
    "garbage", [b"", b"\xff\xfe not utf-8", b"[]", b'{"keys": "nope", "certificates": 7}', b"-----BEGIN CERTIFICATE-----\nAAAA"]
)
def test_any_file_replaced_by_garbage_gives_errors_never_an_exception(ctx: Context, tmp_path: Path, garbage: bytes) -> None:
    files = unzip(_bundle(ctx, tmp_path))
    for name in files:
        if name == "SHA256SUMS":
            continue
        broken = _resummed({**files, name: garbage})
        findings = verify_files(broken, now=LIVE)
        assert _codes(findings, Severity.ERROR), f"garbage in {name} went unnoticed"


def _drop_request(files: dict[str, bytes]) -> dict[str, bytes]:
    return _resummed({n: d for n, d in files.items() if n != "REQUEST.md"})


def _bad_sum_line(files: dict[str, bytes]) -> dict[str, bytes]:
    return {**files, "SHA256SUMS": files["SHA256SUMS"] + b"not a checksum line\n"}


def _drop_certificate(files: dict[str, bytes]) -> dict[str, bytes]:
    return _resummed({n: d for n, d in files.items() if not n.startswith("certs/")})


def _extra_certificate(files: dict[str, bytes]) -> dict[str, bytes]:
    (name,) = [n for n in files if n.startswith("certs/")]
    return _resummed({**files, "certs/extra.pem": files[name]})


def _two_certificates_in_one_file(files: dict[str, bytes]) -> dict[str, bytes]:
    (name,) = [n for n in files if n.startswith("certs/")]
    return _resummed({**files, name: files[name] * 2})


def _older_tool(files: dict[str, bytes]) -> dict[str, bytes]:
    doc = json.loads(files["onboarding.json"])
    doc["tool_version"] = "0.0.1"
    return _resummed({**files, "onboarding.json": json.dumps(doc).encode()})


def _token_kid_unknown(files: dict[str, bytes]) -> dict[str, bytes]:
    doc = json.loads(files["onboarding.json"])
    doc["key_source"], doc["certificates"] = "jwks_url", []
    doc["sample_token"]["header"]["kid"] = "rotated-away"
    rest = {n: d for n, d in files.items() if not n.startswith("certs/")}
    return _resummed({**rest, "onboarding.json": json.dumps(doc).encode()})


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (_drop_request, "bundle_required_file_missing"),
        (_bad_sum_line, "bundle_checksums_malformed"),
        (_drop_certificate, "bundle_certificate_file_missing"),
        (_extra_certificate, "bundle_certificate_unlisted"),
        (_two_certificates_in_one_file, "bundle_certificate_unreadable"),
        (_older_tool, "bundle_text_not_rederived"),
        (_token_kid_unknown, "bundle_token_kid_not_in_jwks"),
        (lambda files: _resummed({**files, "jwks.json": b'{"keys": {}}'}), "bundle_jwks_invalid"),
    ],
)
def test_each_way_a_bundle_can_go_wrong_has_its_own_code(ctx: Context, tmp_path: Path, edit: Any, code: str) -> None:
    files = edit(unzip(_bundle(ctx, tmp_path)))
    assert code in _codes(verify_files(files, now=LIVE))


def test_an_entry_too_large_to_be_a_bundle_file_is_not_read(ctx: Context, tmp_path: Path) -> None:
    files = unzip(_bundle(ctx, tmp_path))
    findings = verify_bundle(rezip({**files, "huge.txt": b"0" * (4 * 1024 * 1024 + 1)}, tmp_path / "h.zip"), now=LIVE)
    assert [f.evidence["file"] for f in findings if f.code == "bundle_entry_too_large"] == ["huge.txt"]


def test_every_bundle_code_is_asserted_by_some_bundle_test() -> None:
    source = "".join(p.read_text() for p in Path(__file__).parent.glob("test_bundle_*.py"))
    silent = [c.code for c in BUNDLE_CATALOGUE if c.code not in source]
    assert silent == []
