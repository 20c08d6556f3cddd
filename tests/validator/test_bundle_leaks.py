"""Security fixes in the package: private key material hidden anywhere in a JWKS, entries bundle never writes, secrets
in any file or JSON string, and --now in the future passing a live token off as expired.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from build import T0, certificate, crafted_claims, crafted_context, public_jwk, rsa_key, sign
from bundling import LIVE, unzip
from oidc_validator.bundle.archive import write_zip
from oidc_validator.bundle.contents import BundleOptions, build_contents, sha256sums
from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.guard import secret_problems
from oidc_validator.bundle.verify.verifier import verify_bundle, verify_files
from oidc_validator.checks.run import run_checks
from oidc_validator.cli.bundle_commands import run_verify_bundle
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

AFTER_EXPIRY = T0 + timedelta(hours=2)  # the IdP's tokens live one hour (exp = T0 + 1h)
EXP = T0 + timedelta(hours=1)


def _codes(findings: list[Finding], severity: Severity | None = None) -> list[str]:
    return [f.code for f in findings if severity is None or f.severity == severity]


def _private_jwk(kid: str) -> dict[str, Any]:
    return public_jwk(rsa_key(fresh=True), kid, private=True)


def _leaky_jwks() -> tuple[dict[str, Any], list[str]]:
    """The reported document: a private member nested in a key, and whole private keys under another member."""
    k1 = public_jwk(rsa_key(), "k1", cert=certificate(rsa_key()), thumbprints=False)
    nested, other = _private_jwk("nested"), _private_jwk("other")
    k2 = {**public_jwk(rsa_key(seed=1), "k2"), "extra": {"d": nested["d"]}}
    doc = {"keys": [k1, k2], "signing_keys": [other]}
    return doc, [nested["d"], other["d"], other["p"], other["q"]]


def _all_bytes(files: dict[str, bytes]) -> bytes:
    return b"".join(files.values())


# Fix 1: private members below the top level of a key, or in another member of the set


def test_jwks_json_holds_only_each_keys_public_members_and_only_the_keys_member() -> None:
    doc, secrets = _leaky_jwks()
    files = build_contents(crafted_context(doc), [], BundleOptions(key_source="jwks_url"))
    published = json.loads(files["jwks.json"])
    assert list(published) == ["keys"]
    k1, k2 = doc["keys"]
    assert published["keys"] == [k1, {m: v for m, v in k2.items() if m != "extra"}]  # k1 is all public: kept whole
    for secret in secrets:
        assert secret.encode() not in _all_bytes(files)


def test_check_names_private_material_anywhere_in_the_jwks_document() -> None:
    doc, secrets = _leaky_jwks()
    findings = run_checks(crafted_context(doc))
    (finding,) = [f for f in findings if f.code == "jwks_private_material"]
    assert finding.severity == Severity.ERROR
    assert finding.evidence["paths"] == [
        "$.keys[1].extra.d",
        *(f"$.signing_keys[0].{m}" for m in ("d", "p", "q", "dp", "dq", "qi")),
    ]
    shown = json.dumps([f.to_json() for f in findings])
    assert not any(secret in shown for secret in secrets)


def test_a_private_member_at_a_keys_top_level_is_still_reported_once_as_before() -> None:
    findings = run_checks(crafted_context({"keys": [_private_jwk("k")]}))
    assert "jwk_private_members" in _codes(findings) and "jwks_private_material" not in _codes(findings)


def test_the_final_guard_scans_whole_json_trees() -> None:
    nested = json.dumps({"sample_token": {"claims": {"cnf": {"jwk": _private_jwk("x")}}}}).encode()
    pem = rsa_key(fresh=True).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    in_a_string = json.dumps({"note": pem.decode()}).encode()
    problems = secret_problems({"onboarding.json": nested, "report.json": in_a_string})
    assert "onboarding.json contains private key members (d) at $.sample_token.claims.cnf.jwk.d" in problems
    assert "report.json contains a PEM private key at $.note" in problems


# Fix 2: verify-bundle accepts exactly what bundle writes


@pytest.fixture(scope="module")
def fresh(ctx: Context, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    path = tmp_path_factory.mktemp("fresh") / "bundle.zip"
    return unzip(write_zip(path, build_contents(ctx, [], BundleOptions(key_source="jwks_url")), ctx.now))


def _resummed(files: dict[str, bytes]) -> dict[str, bytes]:
    rest = {n: d for n, d in files.items() if n != "SHA256SUMS"}
    return {**rest, "SHA256SUMS": sha256sums(rest)}


def _zip(path: Path, files: dict[str, bytes], modes: dict[str, int] | None = None) -> Path:
    """A package rewritten by hand, SHA256SUMS included, with the Unix mode (file type included) given per entry."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 1, 12, 0, 0))
            info.create_system = 3
            info.external_attr = (modes or {}).get(name, 0o100644) << 16
            archive.writestr(info, data)
    return path


def _verify(path: Path) -> tuple[list[Finding], int, str]:
    out = io.StringIO()
    code = run_verify_bundle(path, now=LIVE, out=out, err=io.StringIO())
    return verify_bundle(path, now=LIVE), code, out.getvalue()


def test_a_fresh_package_has_no_entry_findings(fresh: dict[str, bytes], tmp_path: Path) -> None:
    findings, code, out = _verify(_zip(tmp_path / "ok.zip", fresh))
    assert code == 0 and _codes(findings, Severity.ERROR) == [] and out.rstrip().endswith(": verified")


@pytest.mark.parametrize("name", ["C:/Users/Public/evil.bat", "C:evil.bat", "certs/../../evil.pem", "notes\x1b[2J.txt"])
def test_windows_absolute_and_drive_relative_names_are_unsafe_even_when_listed(fresh: dict[str, bytes], tmp_path: Path, name: str) -> None:
    findings, code, out = _verify(_zip(tmp_path / "w.zip", _resummed({**fresh, name: b"echo hi\n"})))
    assert code == 1 and "NOT verified" in out
    assert [f.evidence["entry"] for f in findings if f.code == "bundle_entry_unsafe"] == [name]


@pytest.mark.parametrize(
    ("mode", "problem"),
    [(0o120777, "a symbolic link"), (0o104644, "setuid"), (0o102644, "setgid"), (0o100755, "executable"), (0o100744, "executable")],
)
def test_symlinks_setuid_and_executable_entries_are_refused(fresh: dict[str, bytes], tmp_path: Path, mode: int, problem: str) -> None:
    findings, code, _ = _verify(_zip(tmp_path / "m.zip", fresh, {"report.txt": mode}))
    (finding,) = [f for f in findings if f.code == "bundle_entry_mode"]
    assert finding.evidence["entry"] == "report.txt" and problem in finding.evidence["problem"]
    assert code == 1


def test_a_case_twin_that_would_overwrite_request_md_is_refused(fresh: dict[str, bytes], tmp_path: Path) -> None:
    twin = fresh["REQUEST.md"].replace(b"Test IdP", b"Evil IdP")
    findings, code, _ = _verify(_zip(tmp_path / "c.zip", _resummed({**fresh, "request.md": twin})))
    assert [f.evidence["entries"] for f in findings if f.code == "bundle_entry_case_twin"] == [["REQUEST.md", "request.md"]]
    assert [f.evidence["entry"] for f in findings if f.code == "bundle_entry_not_allowed"] == ["request.md"]
    assert code == 1


def test_an_extra_listed_file_with_a_live_jwt_and_a_secret_is_refused_without_showing_either(
    ctx: Context, fresh: dict[str, bytes], tmp_path: Path
) -> None:
    token = ctx.inputs.tokens[0].raw
    notes = f"token: {token}\nclient_secret=hunter2-super-secret\n".encode()
    findings, code, out = _verify(_zip(tmp_path / "n.zip", _resummed({**fresh, "notes.txt": notes})))
    assert ("bundle_entry_not_allowed", "notes.txt") in [(f.code, f.evidence.get("entry")) for f in findings]
    assert ("bundle_live_token", "notes.txt") in [(f.code, f.evidence.get("file")) for f in findings]
    assert ("bundle_secret", "notes.txt", "credential") in [(f.code, f.evidence.get("file"), f.evidence.get("kind")) for f in findings]
    shown = out + json.dumps([f.to_json() for f in findings])
    assert token.split(".")[2] not in shown and "hunter2" not in shown
    assert code == 1


def test_a_live_jwt_in_idp_name_is_refused(ctx: Context, fresh: dict[str, bytes]) -> None:
    doc = json.loads(fresh["onboarding.json"])
    doc["idp_name"] = ctx.inputs.tokens[0].raw
    findings = verify_files(_resummed({**fresh, "onboarding.json": json.dumps(doc).encode()}), now=LIVE)
    assert ("onboarding.json", "$.idp_name") in [
        (f.evidence["file"], f.evidence["where"]) for f in findings if f.code == "bundle_live_token"
    ]
    assert "bundle_verified" not in _codes(findings)


def test_a_private_jwk_inside_the_sample_tokens_claims_is_refused(fresh: dict[str, bytes]) -> None:
    doc = json.loads(fresh["onboarding.json"])
    doc["sample_token"]["claims"]["cnf"] = {"jwk": _private_jwk("holder")}
    findings = verify_files(_resummed({**fresh, "onboarding.json": json.dumps(doc).encode()}), now=LIVE)
    where = [f.evidence["where"] for f in findings if f.code == "bundle_secret"]
    assert "$.sample_token.claims.cnf.jwk.d" in where and "$.sample_token.claims.cnf.jwk.qi" in where


def test_a_jwks_json_with_nested_private_members_is_not_verified(fresh: dict[str, bytes]) -> None:
    jwks = json.loads(fresh["jwks.json"])
    jwks["keys"][0]["extra"] = {"d": _private_jwk("n")["d"]}
    jwks["signing_keys"] = [_private_jwk("o")]
    findings = verify_files(_resummed({**fresh, "jwks.json": json.dumps(jwks).encode()}), now=LIVE)
    where = [f.evidence["where"] for f in findings if f.code == "bundle_secret"]
    assert "$.keys[0].extra.d" in where and "$.signing_keys[0].d" in where
    assert "jwks_private_material" in _codes(findings, Severity.ERROR)


def test_every_name_bundle_writes_is_in_the_layout_the_verifier_reads(ctx: Context) -> None:
    from oidc_validator.bundle.layout import is_allowed_name

    expired = idp_context_like(ctx, AFTER_EXPIRY)
    for options in (BundleOptions(key_source="certificates", include_token=True), BundleOptions(key_source="jwks_url")):
        files = build_contents(expired, [], options, clock=AFTER_EXPIRY)
        assert all(is_allowed_name(name) for name in files), sorted(files)


def idp_context_like(ctx: Context, now: datetime) -> Context:
    return dataclasses.replace(ctx, now=now)


# Fix 3: --include-token with --now in the future


def test_include_token_is_refused_when_the_real_clock_says_the_token_is_live(ctx: Context) -> None:
    future = idp_context_like(ctx, AFTER_EXPIRY)  # --now two hours on: by it, the token has expired
    with pytest.raises(BundleError) as caught:
        build_contents(future, [], BundleOptions(include_token=True), clock=LIVE)
    assert caught.value.code == "live_token_refused"
    assert ctx.inputs.tokens[0].raw.split(".")[2] not in caught.value.message


@pytest.mark.parametrize(
    ("past_exp", "refused"), [(timedelta(seconds=5), True), (timedelta(seconds=59), True), (timedelta(seconds=61), False)]
)
def test_a_token_just_past_exp_but_inside_the_stand_ins_leeway_is_still_live(ctx: Context, past_exp: timedelta, refused: bool) -> None:
    moment = EXP + past_exp
    later = idp_context_like(ctx, moment)
    if refused:
        with pytest.raises(BundleError) as caught:
            build_contents(later, [], BundleOptions(include_token=True), clock=moment)
        assert caught.value.code == "live_token_refused"
    else:
        assert "sample-token-expired.jwt" in build_contents(later, [], BundleOptions(include_token=True), clock=moment)


def test_the_bundles_leeway_is_the_stand_ins() -> None:
    from oidc_validator.bundle.limits import TOKEN_LEEWAY_SECONDS
    from oidc_validator.simulate.config import StandInConfig

    (field,) = [f for f in dataclasses.fields(StandInConfig) if f.name == "leeway_seconds"]
    assert field.default == TOKEN_LEEWAY_SECONDS


def test_verify_bundle_judges_an_included_token_by_the_real_clock_too(ctx: Context, tmp_path: Path) -> None:
    expired = idp_context_like(ctx, AFTER_EXPIRY)
    files = build_contents(expired, [], BundleOptions(include_token=True), clock=AFTER_EXPIRY)
    path = write_zip(tmp_path / "t.zip", files, AFTER_EXPIRY)
    assert "bundle_live_token" not in _codes(verify_bundle(path, now=AFTER_EXPIRY, clock=AFTER_EXPIRY))
    assert "bundle_live_token" in _codes(verify_bundle(path, now=AFTER_EXPIRY, clock=LIVE), Severity.ERROR)


def test_a_crafted_token_with_a_future_exp_anywhere_is_live_and_refused_by_the_writer() -> None:
    key = rsa_key()
    token = sign(crafted_claims(exp=T0 + timedelta(days=1)), key)
    base = crafted_context({"keys": [public_jwk(key)]})
    named = dataclasses.replace(base, inputs=dataclasses.replace(base.inputs, idp_name=f"IdP {token}"))
    with pytest.raises(BundleError) as caught:
        build_contents(named, [], BundleOptions(key_source="jwks_url"), clock=T0)
    assert caught.value.code == "secret_in_bundle" and "live token" in caught.value.message
    assert token.split(".")[2] not in caught.value.message


def test_run_bundle_refuses_a_live_token_when_now_is_in_the_future(ctx: Context, tmp_path: Path) -> None:
    import argparse

    from oidc_validator.cli.arguments import add_bundle_arguments
    from oidc_validator.cli.bundle_commands import run_bundle

    parser = argparse.ArgumentParser()
    add_bundle_arguments(parser)
    args = parser.parse_args(["--include-token", "-o", str(tmp_path / "b.zip")])
    err = io.StringIO()
    code = run_bundle(idp_context_like(ctx, AFTER_EXPIRY), [], args, clock=LIVE, out=io.StringIO(), err=err)
    assert code == 2 and "still valid" in err.getvalue() and not (tmp_path / "b.zip").exists()


def test_a_secret_in_an_entry_name_is_never_repeated_in_the_findings(ctx: Context, fresh: dict[str, bytes], tmp_path: Path) -> None:
    token = ctx.inputs.tokens[0].raw
    name = f"notes-{token}.txt"
    findings, code, out = _verify(_zip(tmp_path / "s.zip", _resummed({**fresh, name: b"x"})))
    assert "bundle_entry_not_allowed" in _codes(findings) and code == 1
    assert token.split(".")[2] not in out + json.dumps([f.to_json() for f in findings])


@pytest.mark.timeout(60)
def test_the_scan_stays_linear_on_a_hostile_file() -> None:
    import time

    from oidc_validator.bundle.scan import file_leaks

    started = time.monotonic()
    file_leaks("notes.txt", b"eyJ" * (1024 * 1024), [T0])
    file_leaks("notes.txt", b"eyJ." * (1024 * 1024), [T0])
    file_leaks("notes.json", json.dumps(["eyJ" * 100_000] * 10).encode(), [T0])
    assert time.monotonic() - started < 10


def test_a_token_whose_exp_is_not_a_finite_number_counts_as_live() -> None:
    from oidc_validator.bundle.sample import is_live

    assert is_live({"exp": float("nan")}, [T0]) and is_live({"exp": float("inf")}, [T0]) and not is_live({"exp": 1}, [T0])


@pytest.mark.parametrize("dress", ["xx{}", "a.b.{}", "{}.more", "token:{}\n"])
def test_a_live_token_glued_to_other_text_is_still_found(ctx: Context, dress: str) -> None:
    from oidc_validator.bundle.scan import file_leaks

    text = dress.format(ctx.inputs.tokens[0].raw).encode()
    assert [leak.kind for leak in file_leaks("REQUEST.md", text, [LIVE])] == ["live_token"]
