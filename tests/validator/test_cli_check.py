"""`oidc-validator check` end to end against the real test IdP, and against servers that misbehave."""

from __future__ import annotations

import io
import json
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from oidc_idp import RunningIdp
from oidc_validator.cli.main import main
from oidc_validator.model.context import SampleToken
from oidc_validator.observe import collect as observe
from oidc_validator.observe.environment import Environment
from oidc_validator.report.render import report_schema

from .conftest import Faulty

AUDIENCE = "https://qualys.example/api"
SECRETS = {"IDP_SECRET": "demo-secret", "IDP_PASSWORD": "demo-password"}
CLIENT = ("--client-id", "demo-client", "--client-secret-env", "IDP_SECRET")
SHORT = ("--connect-timeout-seconds", "0.5", "--total-timeout-seconds", "0.5")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def report(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.out)
        jsonschema.validate(document, report_schema())
        return document

    @property
    def codes(self) -> set[str]:
        return {f["code"] for f in self.report["findings"]}

    def severities(self, severity: str) -> set[str]:
        return {f["code"] for f in self.report["findings"] if f["severity"] == severity}


def check(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "", environ: dict[str, str] | None = None) -> Run:
    environment = Environment(stdin=io.StringIO(stdin), environ=SECRETS if environ is None else environ)
    code = main(["check", *argv], environment)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return Run(code, captured.out, captured.err)


def issuer_args(server: RunningIdp) -> tuple[str, ...]:
    args = ("--issuer", server.issuer, "--entity-id", server.issuer, "--audience", AUDIENCE)
    return (*args, "--ca-file", str(server.ca_file)) if server.ca_file else args


def test_a_clean_https_configuration_with_client_credentials_exits_0_without_warnings(
    capsys: pytest.CaptureFixture[str], idp_tls_server: RunningIdp
) -> None:
    run = check(capsys, *issuer_args(idp_tls_server), *CLIENT, "--external-id", "demo-client", "--format", "json")
    assert run.code == 0, run.out
    assert run.report["ok"] is True
    assert run.severities("error") == set() and run.severities("warning") == set()
    assert {"token_signature_verified", "external_id_claim"} <= run.codes
    values = run.report["values"]
    assert values["issuer"] == values["discovered_issuer"] == idp_tls_server.issuer
    assert values["jwks_url"] == idp_tls_server.jwks_uri
    assert [t["kind"] for t in values["tokens"]] == ["access_token"]
    assert values["tokens"][0]["mapping_value"] == "demo-client"


def test_a_clean_http_configuration_exits_0_with_only_loopback_http_warnings(
    capsys: pytest.CaptureFixture[str], idp_server: RunningIdp
) -> None:
    run = check(capsys, *issuer_args(idp_server), *CLIENT, "--external-id", "demo-client", "--format", "json")
    assert run.code == 0
    assert run.severities("error") == set()
    assert run.severities("warning") and all(code.endswith("_http_loopback") for code in run.severities("warning"))


def test_the_password_grant_checks_both_the_access_and_the_id_token(capsys: pytest.CaptureFixture[str], idp_tls_server: RunningIdp) -> None:
    grant = ("--username", "demo", "--password-env", "IDP_PASSWORD", "--external-id", "demo@example.com")
    # The ID token's aud is the client: configuring it too keeps this run clean.
    run = check(capsys, *issuer_args(idp_tls_server), *CLIENT, *grant, "--audience", "demo-client", "--format", "json")
    assert run.code == 0, run.out
    tokens = run.report["values"]["tokens"]
    assert [t["kind"] for t in tokens] == ["access_token", "id_token"]
    assert {t["mapping_value"] for t in tokens} == {"demo@example.com"}
    verified = [f for f in run.report["findings"] if f["code"] == "token_signature_verified"]
    assert len(verified) == 2


def test_a_wrong_client_secret_is_a_token_request_failure_finding(capsys: pytest.CaptureFixture[str], idp_tls_server: RunningIdp) -> None:
    run = check(capsys, *issuer_args(idp_tls_server), *CLIENT, "--format", "json", environ={"IDP_SECRET": "wrong-secret-value"})
    assert run.code == 1
    assert "token_request_failed" in run.codes
    assert "wrong-secret-value" not in run.out + run.err


def test_a_given_token_file_is_checked(capsys: pytest.CaptureFixture[str], idp_tls_server: RunningIdp, tmp_path: Path) -> None:
    token = _client_credentials_token(idp_tls_server)
    (tmp_path / "sample.jwt").write_text(token + "\n")
    run = check(capsys, *issuer_args(idp_tls_server), "--token-file", str(tmp_path / "sample.jwt"), "--format", "json")
    assert "token_signature_verified" in run.codes
    assert run.report["values"]["tokens"][0]["source"] == f"--token-file {tmp_path / 'sample.jwt'}"


def test_a_token_on_stdin_is_checked(capsys: pytest.CaptureFixture[str], idp_tls_server: RunningIdp) -> None:
    run = check(capsys, *issuer_args(idp_tls_server), "--token", "-", "--format", "json", stdin=_client_credentials_token(idp_tls_server))
    assert "token_signature_verified" in run.codes


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_no_secret_password_or_token_signature_appears_in_any_output(
    capsys: pytest.CaptureFixture[str], idp_tls_server: RunningIdp, monkeypatch: pytest.MonkeyPatch, output_format: str
) -> None:
    obtained: list[SampleToken] = []
    real = observe.obtain_tokens

    def recording(*args: Any, **kwargs: Any) -> Any:
        tokens, failures = real(*args, **kwargs)
        obtained.extend(tokens)
        return tokens, failures

    monkeypatch.setattr(observe, "obtain_tokens", recording)
    given = _client_credentials_token(idp_tls_server)
    grant = ("--username", "demo", "--password-env", "IDP_PASSWORD")
    run = check(capsys, *issuer_args(idp_tls_server), *CLIENT, *grant, "--token", given, "--format", output_format)
    assert len(obtained) == 2
    signatures = [token.raw.rsplit(".", 1)[1] for token in obtained] + [given.rsplit(".", 1)[1]]
    for forbidden in (*SECRETS.values(), *signatures):
        assert forbidden not in run.out and forbidden not in run.err


def test_a_garbage_token_is_a_finding_and_exit_1(capsys: pytest.CaptureFixture[str], idp_tls_server: RunningIdp) -> None:
    run = check(capsys, *issuer_args(idp_tls_server), "--token", "this-is-not-a-jwt", "--format", "json")
    assert run.code == 1
    assert "token_segment_count" in run.codes


def test_a_truncated_pem_certificate_is_a_finding_and_exit_1(
    capsys: pytest.CaptureFixture[str], idp_tls_server: RunningIdp, tmp_path: Path
) -> None:
    pem = idp_tls_server.ca_file.read_text() if idp_tls_server.ca_file else ""
    (tmp_path / "cut.pem").write_text(pem[: len(pem) // 2])
    run = check(capsys, *issuer_args(idp_tls_server), "--cert", str(tmp_path / "cut.pem"), "--format", "json")
    assert run.code == 1
    assert "cert_file_unreadable" in run.codes


def test_urls_in_a_token_header_jku_and_x5u_are_never_fetched(
    capsys: pytest.CaptureFixture[str], idp_tls_server: RunningIdp, faulty: Faulty
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = {"kid": "attacker", "jku": faulty.url("/jku-trap"), "x5u": faulty.url("/x5u-trap")}
    token = jwt.encode({"iss": idp_tls_server.issuer, "sub": "x"}, key, algorithm="RS256", headers=headers)
    run = check(capsys, *issuer_args(idp_tls_server), "--token", token, "--format", "json")
    assert run.code == 1
    assert "token_kid_unknown" in run.codes
    assert not [path for path in faulty.requested if "trap" in path]


def test_an_unexpected_internal_failure_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(config: object) -> object:
        raise RuntimeError("token eyJhbGciOi.secret-looking")

    monkeypatch.setattr(observe, "context", broken)
    run = check(capsys, "--issuer", "https://idp.example")
    assert run.code == 2
    assert run.err.strip() == "oidc-validator: internal error (RuntimeError); set OIDC_VALIDATOR_DEBUG=1 for details"


FAULTS = [
    ("/html", "wrong_content_type"),
    ("/big", "too_large"),
    ("/big-chunked", "too_large"),
    ("/drip", "timeout"),
    ("/slow-headers", "timeout"),
    ("/loop", "too_many_redirects"),
    ("/not-json", "not_json"),
    ("/status", "http_status"),
]


@pytest.mark.parametrize(("path", "kind"), FAULTS)
def test_a_misbehaving_jwks_url_is_a_jwks_fetch_finding_and_exit_1(
    capsys: pytest.CaptureFixture[str], faulty: Faulty, path: str, kind: str
) -> None:
    run = check(capsys, "--jwks-url", faulty.url(path), *SHORT, "--format", "json")
    assert run.code == 1
    [finding] = [f for f in run.report["findings"] if f["code"] == "jwks_fetch_failed"]
    assert finding["evidence"]["kind"] == kind


def test_a_jwks_url_redirecting_from_https_to_http_is_a_finding(capsys: pytest.CaptureFixture[str], faulty_tls: Faulty) -> None:
    run = check(capsys, "--jwks-url", faulty_tls.url("/to-http"), "--ca-file", str(faulty_tls.ca_file), "--format", "json")
    assert run.code == 1
    [finding] = [f for f in run.report["findings"] if f["code"] == "jwks_fetch_failed"]
    assert finding["evidence"]["kind"] == "redirect_to_http"


def test_an_issuer_refusing_connections_is_a_discovery_finding_and_no_grant_is_attempted(
    capsys: pytest.CaptureFixture[str], refused_url: str
) -> None:
    issuer = refused_url.rsplit("/", 1)[0]
    run = check(capsys, "--issuer", issuer, *CLIENT, *SHORT, "--format", "json")
    assert run.code == 1
    assert {"discovery_fetch_failed", "token_request_failed"} <= run.codes


def test_the_text_report_groups_by_area_and_ends_with_a_summary(capsys: pytest.CaptureFixture[str], faulty: Faulty) -> None:
    run = check(capsys, "--jwks-url", faulty.url("/html"))
    assert run.code == 1
    assert "\nJWKS\n" in run.out
    assert "[jwks_fetch_failed]" in run.out
    assert run.out.rstrip().splitlines()[-1].startswith("Summary: ")
    assert "\x1b[" not in run.out  # captured output is not a terminal


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--token-file", "/nonexistent/token.jwt"], "cannot read --token-file"),
        (["--config", "/nonexistent/onboarding.toml"], "cannot read --config"),
        (["--no-such-flag"], "unrecognized arguments"),
        (["--format", "xml"], "invalid choice"),
        (["--client-id", "demo-client"], "--client-secret-env"),
        (["--token", "a.b.c", "--token-file", "t.jwt"], "not allowed with"),
    ],
)
def test_usage_errors_exit_2_with_one_line_on_stderr(capsys: pytest.CaptureFixture[str], argv: Sequence[str], message: str) -> None:
    run = check(capsys, *argv, environ={})
    assert run.code == 2
    assert run.out == ""
    assert message in run.err
    assert len(run.err.strip().splitlines()) == 1


def _client_credentials_token(server: RunningIdp) -> str:
    verify = ssl.create_default_context(cafile=server.ca_file)
    data = {"grant_type": "client_credentials"}
    response = httpx.post(server.token_endpoint, data=data, auth=("demo-client", "demo-secret"), verify=verify, timeout=5)
    token: str = response.json()["access_token"]
    return token
