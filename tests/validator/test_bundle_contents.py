"""The onboarding package built from the real test IdP, opened and read field by field in both key modes."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from build import AUDIENCE, EXTERNAL_ID, certificate, crafted_claims, crafted_context, jwks_of, public_jwk, rsa_key, sign
from bundling import LIVE, idp_context, unzip
from oidc_idp import RunningIdp
from oidc_validator import __version__
from oidc_validator.bundle.archive import zip_bytes
from oidc_validator.bundle.contents import BundleOptions, build_contents
from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.limits import KeySourceName
from oidc_validator.bundle.verify.schema import onboarding_schema
from oidc_validator.crypto.certs import fingerprint_sha256, x5t_s256
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity
from oidc_validator.report.render import onboarding_values, render_text, report_schema


def _doc(files: dict[str, bytes]) -> Any:
    return json.loads(files["onboarding.json"])


def test_one_stable_key_is_sent_as_its_certificate_paired_with_its_kid(ctx: Context) -> None:
    files = unzip(zip_bytes(build_contents(ctx, []), LIVE))
    jwk = jwks_of(ctx)["keys"][0]
    kid = jwk["kid"]
    assert sorted(files) == sorted(
        ["REQUEST.md", "SHA256SUMS", f"certs/{kid}.pem", "jwks.json", "onboarding.json", "report.html", "report.json", "report.txt"]
    )
    doc = _doc(files)
    assert doc["key_source"] == "certificates"
    (entry,) = doc["certificates"]
    certificate = x509.load_pem_x509_certificate(files[f"certs/{kid}.pem"])
    der = certificate.public_bytes(serialization.Encoding.DER)
    assert entry == {
        "kid": kid,
        "file": f"certs/{kid}.pem",
        "alg": "RS256",
        "key_type": "RSA",
        "key_size": 2048,
        "curve": None,
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "serial_number": format(certificate.serial_number, "X"),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "sha256_fingerprint": fingerprint_sha256(certificate),
        "x5t#S256": x5t_s256(der),
        "use_for_oidc": True,
        "origin": "jwks_x5c",
    }
    # The certificate sent is the one the IdP publishes for that kid, byte for byte.
    assert jwk["x5t#S256"] == entry["x5t#S256"]


def test_onboarding_json_carries_every_prerequisite_and_the_decoded_sample_token(server: RunningIdp, ctx: Context) -> None:
    doc = _doc(build_contents(ctx, []))
    assert doc["schema_version"] == 1
    assert doc["idp_name"] == "Test IdP"
    assert doc["entity_id"] == server.issuer
    assert doc["issuer"] == server.issuer
    assert doc["audiences"] == [AUDIENCE]
    assert doc["values_from_sample_token"] == []
    assert doc["jwks_url"] == server.jwks_uri
    assert doc["external_id"] == EXTERNAL_ID
    assert doc["mapping_claim"] == "sub"
    assert doc["custom_claim"] is None
    assert doc["tool_version"] == __version__
    assert doc["generated_at"] == "2026-11-01T12:05:00Z"
    sample = doc["sample_token"]
    assert isinstance(sample, dict)
    assert sample["kind"] == "access_token"  # the token that calls APIs, before the ID token
    assert sample["header"]["kid"] == jwks_of(ctx)["keys"][0]["kid"]
    assert sample["claims"]["iss"] == server.issuer
    assert sample["claims"]["sub"] == EXTERNAL_ID
    assert sample["expired"] is False
    assert sample["mapping_claim_used"] == "sub"
    assert sample["mapping_value"] == EXTERNAL_ID
    assert sample["included_file"] is None
    assert doc["validation"] == {"ok": True, "errors": 0, "warnings": 0, "infos": 0, "remaining_errors": []}


def test_jwks_url_mode_sends_the_url_and_no_certificate(server: RunningIdp, ctx: Context) -> None:
    files = build_contents(ctx, [], BundleOptions(key_source="jwks_url"))
    assert not [n for n in files if n.startswith("certs/")]
    doc = _doc(files)
    assert doc["key_source"] == "jwks_url"
    assert doc["key_source_reason"] == "chosen with --key-source"
    assert doc["jwks_url"] == server.jwks_uri
    assert doc["certificates"] == []
    (key,) = doc["keys"]
    assert key["kid"] == jwks_of(ctx)["keys"][0]["kid"]
    assert (key["key_type"], key["key_size"], key["alg"], key["use"]) == ("RSA", 2048, "RS256", "sig")
    assert key["certificate_not_after"].startswith("2027-11-01")
    request = files["REQUEST.md"].decode()
    assert f"JWKS URL `{server.jwks_uri}`" in request


@pytest.mark.parametrize("mode", ["certificates", "jwks_url"])
def test_onboarding_json_follows_the_shipped_json_schema_in_both_modes(ctx: Context, mode: KeySourceName) -> None:
    doc = _doc(build_contents(ctx, [], BundleOptions(key_source=mode)))
    Draft202012Validator.check_schema(onboarding_schema())
    Draft202012Validator(onboarding_schema()).validate(doc)


def test_request_md_states_every_prerequisite_with_its_value(server: RunningIdp, ctx: Context) -> None:
    kid = jwks_of(ctx)["keys"][0]["kid"]
    request = build_contents(ctx, [])["REQUEST.md"].decode()
    assert request.startswith("# Request: enable OpenID Connect API authentication")
    for line in (
        "| IdP name | `Test IdP` |",
        f"| Entity ID | `{server.issuer}` |",
        f"| Audience | `{AUDIENCE}` |",
        f"| Issuer | `{server.issuer}` |",
        f"| External ID | `{EXTERNAL_ID}` |",
        "| Mapping claim | `sub` (the default) |",
    ):
        assert line in request
    assert f"`certs/{kid}.pem` (kid `{kid}`)" in request
    assert (
        "## Signing keys" in request
        and "| `RSA 2048`" not in request
        and f"| `{kid}` | `certs/{kid}.pem` | `RS256` | RSA 2048 |" in request
    )
    assert "## Sample token (decoded; the signature is withheld)" in request
    assert "Kind: access_token; issued 2026-11-01T12:00:00Z, expires 2026-11-01T13:00:00Z; expired at generation time: no." in request
    assert "0 error(s), 0 warning(s), 0 info" in request


def test_a_custom_mapping_claim_is_named_with_its_fallback(server: RunningIdp) -> None:
    ctx = idp_context(server, now=LIVE, external_id_claim="preferred_username")
    files = build_contents(ctx, [])
    doc = _doc(files)
    assert (doc["mapping_claim"], doc["custom_claim"]) == ("preferred_username", "preferred_username")
    assert doc["sample_token"]["mapping_claim_used"] == "preferred_username"
    assert "custom claim `preferred_username` (Qualys falls back to `sub` when it is absent or empty)" in files["REQUEST.md"].decode()


def test_issuer_and_audience_are_read_from_the_sample_token_when_not_given(server: RunningIdp) -> None:
    ctx = idp_context(server, now=LIVE, issuer=None, audiences=())
    doc = _doc(build_contents(ctx, []))
    assert doc["issuer"] == server.issuer
    assert doc["audiences"] == [AUDIENCE]
    assert doc["values_from_sample_token"] == ["issuer", "audiences"]


def test_report_files_are_the_check_report_with_every_finding(ctx: Context) -> None:
    findings = [
        Finding("token_expired", Severity.WARNING, "token", "The token expired.", "Get a fresh token.", {"exp": 1}),
        Finding("cert_paired", Severity.INFO, "certificates", "certs/x.pem certifies kid 'x'.", "Nothing to fix."),
    ]
    files = build_contents(ctx, findings)
    report = json.loads(files["report.json"])
    Draft202012Validator(report_schema()).validate(report)
    assert report["ok"] is True
    assert sorted(f["code"] for f in report["findings"]) == ["cert_paired", "token_expired"]
    assert report["values"] == json.loads(json.dumps(onboarding_values(ctx)))
    assert files["report.txt"].decode() == render_text(findings, onboarding_values(ctx))
    assert "[token_expired] The token expired." in files["report.txt"].decode()
    assert _doc(files)["validation"] == {"ok": True, "errors": 0, "warnings": 1, "infos": 1, "remaining_errors": []}


def test_sha256sums_covers_every_other_file_sorted(ctx: Context) -> None:
    files = build_contents(ctx, [])
    lines = files["SHA256SUMS"].decode().splitlines()
    expected = [f"{hashlib.sha256(files[n]).hexdigest()}  {n}" for n in sorted(files) if n != "SHA256SUMS"]
    assert lines == expected
    assert list(files) == sorted(files)


def test_claims_holding_backticks_or_pipes_cannot_break_out_of_request_md(server: RunningIdp) -> None:
    ctx = idp_context(server, now=LIVE, idp_name="a | b", external_id="x`y")
    key = rsa_key(fresh=True)
    token = sign({**crafted_claims(exp=LIVE + timedelta(hours=1)), "note": "```\n# injected"}, key, kid="k1", typ="JWT")
    crafted = crafted_context(
        {"keys": [public_jwk(key, "k1", cert=certificate(key), thumbprints=False)]}, tokens=(token,), idp_name="a | b"
    )
    request = build_contents(crafted, [])["REQUEST.md"].decode()
    assert "| IdP name | `a \\| b` |" in request
    assert "\n````json\n" in request  # a fence longer than the claim's backtick run
    assert "| External ID | `x'y` |" in build_contents(ctx, [])["REQUEST.md"].decode()


def test_the_core_refuses_error_findings_unless_errors_are_allowed(ctx: Context) -> None:
    error = Finding("entity_id_missing", Severity.ERROR, "entity", "No Entity ID.", "Give --entity-id.")
    with pytest.raises(BundleError) as caught:
        build_contents(ctx, [error])
    assert caught.value.code == "errors_remain" and "entity_id_missing" in caught.value.message
    assert "REQUEST.md" in build_contents(ctx, [error], BundleOptions(allow_errors=True))
