"""The bundle and verify-bundle entry points the CLI wires in: options, exit codes, what is printed and written."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from build import certificate, crafted_context, public_jwk, rsa_key
from bundling import LIVE, rezip, unzip
from oidc_validator.cli.arguments import add_bundle_arguments, add_verify_bundle_arguments
from oidc_validator.cli.bundle_commands import default_output, run_bundle, run_verify_bundle
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

ERROR = Finding("entity_id_missing", Severity.ERROR, "entity", "No Entity ID was given.", "Give --entity-id.")


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_bundle_arguments(parser)
    return parser.parse_args(list(argv))


def _run(ctx: Context, findings: list[Finding], *argv: str, forbidden: tuple[str, ...] = ()) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_bundle(ctx, findings, _args(*argv), forbidden=forbidden, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_bundle_options_parse_as_documented() -> None:
    args = _args("-o", "x.zip", "--key-source", "certificates", "--use-kid", "a", "--use-kid", "b", "--include-token", "--allow-errors")
    assert (args.output, args.key_source, args.use_kid, args.include_token, args.allow_errors) == (
        Path("x.zip"),
        "certificates",
        ["a", "b"],
        True,
        True,
    )


def test_a_clean_run_writes_the_bundle_and_prints_its_path(ctx: Context, tmp_path: Path) -> None:
    target = tmp_path / "out" / "bundle.zip"
    code, out, err = _run(ctx, [], "-o", str(target), forbidden=("demo-secret", "demo-password"))
    assert (code, out, err) == (0, f"{target}\n", "")
    assert "onboarding.json" in unzip(target)


def test_error_findings_write_nothing_and_exit_1_naming_the_errors(ctx: Context, tmp_path: Path) -> None:
    target = tmp_path / "bundle.zip"
    code, out, err = _run(ctx, [ERROR], "-o", str(target))
    assert code == 1 and out == ""
    assert "1 error(s) found, no package written" in err and "entity_id_missing: No Entity ID was given." in err
    assert "--allow-errors" in err
    assert not target.exists()


def test_allow_errors_writes_a_bundle_whose_request_opens_with_the_remaining_errors(ctx: Context, tmp_path: Path) -> None:
    target = tmp_path / "bundle.zip"
    code, out, err = _run(ctx, [ERROR], "-o", str(target), "--allow-errors")
    assert code == 0 and out == f"{target}\n" and "1 error(s) remaining" in err
    files = unzip(target)
    request = files["REQUEST.md"].decode()
    assert request.startswith("> **Validation errors remain (1).**")
    assert request.splitlines()[2] == "> - `entity_id_missing`: No Entity ID was given."
    assert json.loads(files["onboarding.json"])["validation"]["remaining_errors"] == ["entity_id_missing"]


def test_a_bundle_that_cannot_be_built_is_one_line_and_exit_2(tmp_path: Path) -> None:
    keys = [rsa_key(fresh=True) for _ in range(6)]
    ctx = crafted_context({"keys": [public_jwk(k, f"k{i}", cert=certificate(k), thumbprints=False) for i, k in enumerate(keys)]})
    code, out, err = _run(ctx, [], "-o", str(tmp_path / "b.zip"), "--key-source", "certificates")
    assert code == 2 and out == ""
    assert err.startswith("oidc-validator bundle: 6 certificates could be sent") and err.count("\n") == 1
    assert not (tmp_path / "b.zip").exists()


def test_the_default_output_name_is_the_slugified_idp_name(ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_output(ctx) == Path("qualys-oidc-onboarding-test-idp.zip")
    assert default_output(crafted_context(None, idp_name=None)) == Path("qualys-oidc-onboarding-idp-example-com.zip")
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(ctx, [])
    assert code == 0 and out == "qualys-oidc-onboarding-test-idp.zip\n"
    assert (tmp_path / "qualys-oidc-onboarding-test-idp.zip").is_file()


def test_verify_bundle_exits_0_for_a_good_bundle_1_for_a_tampered_one_and_2_for_no_file(ctx: Context, tmp_path: Path) -> None:
    target = tmp_path / "bundle.zip"
    assert _run(ctx, [], "-o", str(target))[0] == 0
    parser = argparse.ArgumentParser()
    add_verify_bundle_arguments(parser)
    args = parser.parse_args([str(target), "--format", "json"])
    out = io.StringIO()
    assert run_verify_bundle(args.bundle, now=LIVE, fmt=args.format, out=out) == 0
    assert json.loads(out.getvalue())["ok"] is True

    files = unzip(target)
    files["onboarding.json"] = files["onboarding.json"].replace(b"Test IdP", b"Other IdP")
    tampered = rezip(files, tmp_path / "tampered.zip")
    out = io.StringIO()
    assert run_verify_bundle(tampered, now=LIVE, out=out) == 1
    text = out.getvalue()
    assert "ERROR   bundle_file_tampered: onboarding.json does not match its SHA-256" in text
    assert text.rstrip().endswith("tampered.zip: NOT verified")

    err = io.StringIO()
    assert run_verify_bundle(tmp_path / "absent.zip", now=LIVE, out=io.StringIO(), err=err) == 2
    assert "no such bundle file" in err.getvalue()
