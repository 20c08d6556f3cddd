"""End to end through the CLI: check --simulate, bundle, verify-bundle, and simulate as a real server."""

from __future__ import annotations

import json
import os
import selectors
import signal
import ssl
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from oidc_idp import RunningIdp
from oidc_validator.cli.main import main

BIN = Path(sys.executable).parent
CLIENT_SECRET = "demo-secret"


def _inputs(server: RunningIdp) -> list[str]:
    return [
        "--idp-name", "Test IdP",
        "--entity-id", server.issuer,
        "--issuer", server.issuer,
        "--audience", "https://qualys.example/api",
        "--external-id", "demo@example.com",
        "--username", "demo", "--password-env", "IDP_PASSWORD",
        "--client-id", "demo-client", "--client-secret-env", "IDP_SECRET",
        "--ca-file", str(server.ca_file),
    ]  # fmt: skip


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDP_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("IDP_PASSWORD", "demo-password")


def test_check_simulate_says_qualys_would_accept_the_tokens_and_as_whom(
    idp_tls_server: RunningIdp, secrets: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", *_inputs(idp_tls_server), "--simulate", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    accepted = [f for f in report["findings"] if f["code"] == "simulate_accepted"]
    assert code == 0, [f["code"] for f in report["findings"] if f["severity"] == "error"]
    # Access tokens go to the API; the password grant's ID token is for the client and is not presented.
    assert [f["evidence"]["token"].split(" ")[0] for f in accepted] == ["access_token"]
    assert all("demo@example.com" in f["evidence"]["user"] for f in accepted)
    assert not [f for f in report["findings"] if f["code"] == "simulate_rejected"]


def test_check_simulate_names_the_reason_when_qualys_would_reject(
    idp_tls_server: RunningIdp, secrets: None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["check", *_inputs(idp_tls_server), "--simulate", "--format", "json"]
    args[args.index("demo@example.com")] = "someone-else@example.com"
    assert main(args) == 1
    report = json.loads(capsys.readouterr().out)
    reasons = {f["evidence"]["reason"] for f in report["findings"] if f["code"] == "simulate_rejected"}
    assert "unknown_user" in reasons


def test_bundle_writes_a_verified_package_without_secrets(
    idp_tls_server: RunningIdp, secrets: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / "package.zip"
    assert main(["bundle", *_inputs(idp_tls_server), "-o", str(target), "--key-source", "certificates"]) == 0
    assert capsys.readouterr().out.strip() == str(target)
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        blobs = {n: archive.read(n) for n in names}
    assert {"REQUEST.md", "onboarding.json", "jwks.json", "report.json", "report.txt", "SHA256SUMS"} <= set(names)
    assert any(n.startswith("certs/") and n.endswith(".pem") for n in names)
    for name, data in blobs.items():
        assert CLIENT_SECRET.encode() not in data and b"demo-password" not in data and b"PRIVATE KEY" not in data, name
    assert main(["verify-bundle", str(target)]) == 0
    assert "verified" in capsys.readouterr().out


def test_bundle_refuses_to_write_when_errors_remain(idp_tls_server: RunningIdp, secrets: None, tmp_path: Path) -> None:
    args = ["bundle", *_inputs(idp_tls_server), "-o", str(tmp_path / "x.zip")]
    args[args.index("https://qualys.example/api")] = "https://wrong.example/api"
    assert main(args) == 1
    assert not (tmp_path / "x.zip").exists()


def test_simulate_serves_the_qualys_side_over_real_http_from_a_bundle(idp_tls_server: RunningIdp, secrets: None, tmp_path: Path) -> None:
    bundle = tmp_path / "package.zip"
    assert main(["bundle", *_inputs(idp_tls_server), "-o", str(bundle), "--key-source", "jwks_url"]) == 0
    command = [str(BIN / "oidc-validator"), "simulate", "--bundle", str(bundle), "--user", "demo@example.com=john_doe"]
    command += ["--port", "0", "--ca-file", str(idp_tls_server.ca_file), "--log-level", "warning"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        assert selector.select(timeout=30), "simulate did not print its ready line"
        ready = json.loads(proc.stdout.readline())
        trust = ssl.create_default_context(cafile=str(idp_tls_server.ca_file))
        token = httpx.post(
            idp_tls_server.token_endpoint, data={"grant_type": "password", "username": "demo", "password": "demo-password"},
            auth=("demo-client", CLIENT_SECRET), verify=trust, timeout=5,
        ).json()["access_token"]  # fmt: skip
        url = ready["base_url"] + "/api/2.0/fo/asset/ip/?action=list"
        accepted = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        rejected = httpx.get(url, headers={"Authorization": f"Bearer {token[:-4]}AAAA"}, timeout=10)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    assert accepted.status_code == 200 and "<USER_LOGIN>john_doe</USER_LOGIN>" in accepted.text
    assert rejected.status_code == 401 and "bad_signature" in rejected.headers["www-authenticate"]
    assert proc.stderr is not None
    log = proc.stderr.read()
    # --log-level warning: the refusal is logged, the acceptance is not (info would log both).
    assert "bad_signature" in log and "accepted as" not in log
    assert token.split(".")[2] not in log  # decisions are logged, tokens never


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "--bundle", "/nonexistent.zip", "--user", "a=b"], "nonexistent"),
        (["simulate", "--bundle", "/nonexistent.zip"], "--user"),
        (["verify-bundle", "/nonexistent.zip"], "nonexistent"),
        (["simulate", "--bundle", "/nonexistent.zip", "--user", "a=b", "--port", "70000"], "port 70000 is outside 0-65535"),
        (["simulate", "--bundle", "/nonexistent.zip", "--user", "a=b", "--port", "-1"], "port -1 is outside 0-65535"),
        (["simulate", "--bundle", "/nonexistent.zip", "--user", "a=b", "--port", "http"], "not a port number: 'http'"),
    ],
    ids=["missing_bundle", "no_users", "verify_missing_bundle", "port_above_65535", "negative_port", "port_not_a_number"],
)
def test_bad_simulate_and_verify_usage_is_one_line_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_bundle_include_token_with_now_in_the_future_is_refused_by_the_real_clock(
    idp_tls_server: RunningIdp, secrets: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--now two hours on says the fresh token has expired; the real clock (read by the CLI) says it is live."""
    from datetime import UTC, datetime, timedelta

    target = tmp_path / "t.zip"
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    argv = ["bundle", *_inputs(idp_tls_server), "--include-token", "--allow-errors", "--now", later, "-o", str(target)]
    assert main(argv) == 2
    assert "still valid" in capsys.readouterr().err
    assert not target.exists()
