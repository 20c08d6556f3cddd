"""End to end with the real check pipeline: flags -> resolve -> observe -> run_checks -> bundle -> verify-bundle."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from build import AUDIENCE, EXTERNAL_ID, T0
from bundling import LIVE, idp_context, unzip
from oidc_idp import Clock, RunningIdp, running
from oidc_validator.bundle.sample import signature_segment
from oidc_validator.bundle.verify.verifier import verify_bundle
from oidc_validator.checks.run import run_checks
from oidc_validator.cli.arguments import add_bundle_arguments, add_input_arguments
from oidc_validator.cli.bundle_commands import run_bundle
from oidc_validator.model.findings import Severity
from oidc_validator.net.obtain import secret_forms
from oidc_validator.observe.collect import context
from oidc_validator.observe.environment import Environment
from oidc_validator.observe.inputs import resolve


@pytest.fixture(scope="module")
def tls_server() -> Iterator[RunningIdp]:
    with running(clock=Clock(fixed=T0), tls=True) as idp:
        yield idp


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_input_arguments(parser)
    add_bundle_arguments(parser)
    return parser


def test_a_clean_idp_checked_by_the_real_pipeline_bundles_verifies_and_leaks_nothing(tls_server: RunningIdp, tmp_path: Path) -> None:
    target = tmp_path / "bundle.zip"
    args = _parser().parse_args(
        [
            *("--idp-name", "Test IdP", "--issuer", tls_server.issuer, "--entity-id", "urn:example:test-idp"),
            *("--audience", AUDIENCE, "--audience", "demo-client", "--external-id", EXTERNAL_ID),
            *("--client-id", "demo-client", "--client-secret-env", "SECRET", "--username", "demo", "--password-env", "PASSWORD"),
            *("--ca-file", str(tls_server.ca_file), "--now", LIVE.isoformat(), "-o", str(target)),
        ]
    )
    config = resolve(args, Environment(environ={"SECRET": "demo-secret", "PASSWORD": "demo-password"}))
    assert config.grant is not None
    ctx = context(config)
    findings = run_checks(ctx)
    assert [f.code for f in findings if f.severity == Severity.ERROR] == []

    out, err = io.StringIO(), io.StringIO()
    assert run_bundle(ctx, findings, args, forbidden=secret_forms(config.grant), out=out, err=err) == 0, err.getvalue()
    assert out.getvalue() == f"{target}\n"

    files = unzip(target)
    assert {f["code"] for f in json.loads(files["report.json"])["findings"]} == {f.code for f in findings}
    signatures = [signature_segment(t.raw) for t in ctx.inputs.tokens]
    assert len(signatures) == 2
    for name, data in files.items():
        for needle in (b"demo-secret", b"demo-password", b"PRIVATE KEY", *(s.encode() for s in signatures)):
            assert needle not in data, f"{needle[:12]!r} in {name}"

    verdict = verify_bundle(target, now=LIVE)
    assert [f.code for f in verdict if f.severity != Severity.INFO] == []


def test_errors_from_the_checks_block_the_bundle_unless_allowed_and_then_open_the_request(tls_server: RunningIdp, tmp_path: Path) -> None:
    # An audience the tokens do not carry: the access token's aud mismatch is an error.
    ctx = idp_context(tls_server, now=LIVE, entity_id="urn:example:test-idp", audiences=("https://wrong.example/api",))
    findings = run_checks(ctx)
    errors = [f.code for f in findings if f.severity == Severity.ERROR]
    assert errors == ["token_aud_mismatch"]
    target = tmp_path / "bundle.zip"
    args = _parser().parse_args(["-o", str(target)])
    assert run_bundle(ctx, findings, args, out=io.StringIO(), err=io.StringIO()) == 1
    assert not target.exists()

    args = _parser().parse_args(["-o", str(target), "--allow-errors"])
    assert run_bundle(ctx, findings, args, out=io.StringIO(), err=io.StringIO()) == 0
    request = unzip(target)["REQUEST.md"].decode()
    assert request.startswith("> **Validation errors remain (1).**")
    assert "> - `token_aud_mismatch`:" in request
    assert [f.code for f in verify_bundle(target, now=LIVE) if f.severity != Severity.INFO] == ["bundle_errors_remain"]
