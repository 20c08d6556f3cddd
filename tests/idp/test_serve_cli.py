"""``oidc-idp serve`` as a real process: ready line, TLS, workers, config, and its errors."""

from __future__ import annotations

import socket
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from crosscheck import verify
from in_process import run_main
from oidc_idp.run.cli import main
from processes import serving

CLIENT = ("demo-client", "demo-secret")


def test_serve_prints_one_ready_json_line_and_a_loud_demo_note(tmp_path: Path) -> None:
    with serving("--keys-dir", str(tmp_path)) as (proc, ready):
        assert ready["event"] == "ready"
        assert ready["issuer"] == f"http://127.0.0.1:{ready['port']}"
        assert ready["jwks_uri"] == ready["issuer"] + "/jwks"
        assert httpx.get(ready["jwks_uri"], timeout=5).status_code == 200
    # stdout is kept for the ready line; the human note goes to stderr.
    assert proc.stderr is not None
    note = proc.stderr.read()
    assert "TEST-ONLY CREDENTIALS" in note and "demo-client" in note


def test_a_restart_on_the_same_keys_dir_serves_the_same_kids(tmp_path: Path) -> None:
    with serving("--keys-dir", str(tmp_path)) as (_, ready):
        first = httpx.get(ready["jwks_uri"], timeout=5).json()
    with serving("--keys-dir", str(tmp_path)) as (_, ready):
        second = httpx.get(ready["jwks_uri"], timeout=5).json()
    assert first == second


def test_tls_serves_https_with_a_generated_ca_that_clients_can_trust(tmp_path: Path) -> None:
    with serving("--keys-dir", str(tmp_path), "--tls", "--alg", "ES256") as (_, ready):
        assert ready["issuer"].startswith("https://127.0.0.1:")
        ca_file = ready["ca_file"]
        assert Path(ca_file).is_file()
        trust = ssl.create_default_context(cafile=ca_file)
        body = httpx.post(ready["token_endpoint"], data={"grant_type": "client_credentials"}, auth=CLIENT, verify=trust, timeout=5).json()
        jwks = httpx.get(ready["jwks_uri"], verify=trust, timeout=5).json()
        with pytest.raises(httpx.ConnectError):  # not trusted without the CA
            httpx.get(ready["jwks_uri"], timeout=5)
    assert verify(body["access_token"], jwks, "ES256").claims["iss"] == ready["issuer"]


def test_two_workers_serve_the_same_keys_so_any_token_verifies_with_any_jwks(tmp_path: Path) -> None:
    with serving("--keys-dir", str(tmp_path), "--workers", "2") as (proc, ready):
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, timeout=10).stdout.split()
        # Fresh connections spread across workers; every answer must agree.
        answers = [httpx.get(ready["jwks_uri"], timeout=5).json() for _ in range(20)]
        tokens = [
            httpx.post(ready["token_endpoint"], data={"grant_type": "client_credentials"}, auth=CLIENT, timeout=5).json()["access_token"]
            for _ in range(20)
        ]
    assert len(children) >= 2
    assert all(a == answers[0] for a in answers)
    for token in tokens:
        verify(token, answers[-1], "RS256")


def test_an_issuer_flag_sets_every_url_for_a_reverse_proxy(tmp_path: Path) -> None:
    with serving("--keys-dir", str(tmp_path), "--issuer", "https://public.example/idp") as (_, ready):
        local = f"http://127.0.0.1:{ready['port']}/idp"
        doc = httpx.get(local + "/.well-known/openid-configuration", timeout=5).json()
        assert httpx.get(local + "/jwks", timeout=5).status_code == 200
    assert doc["issuer"] == "https://public.example/idp"
    assert doc["jwks_uri"] == "https://public.example/idp/jwks"
    assert ready["jwks_uri"] == "https://public.example/idp/jwks"


def test_a_toml_config_sets_clients_users_and_lifetimes(tmp_path: Path) -> None:
    config = tmp_path / "idp.toml"
    config.write_text(
        """
access_token_ttl_seconds = 300
alg = "PS256"

[[clients]]
client_id = "qualys-test"
client_secret = "s3cret"
audience = "api://qualys"
claims = { tenant = "acme" }

[[users]]
username = "alice"
password = "pw"
sub = "00u-alice"
claims = { preferred_username = "alice@acme.example" }
"""
    )
    with serving("--keys-dir", str(tmp_path / "keys"), "--config", str(config)) as (proc, ready):
        data = {"grant_type": "password", "username": "alice", "password": "pw", "scope": "openid"}
        body = httpx.post(ready["token_endpoint"], data=data, auth=("qualys-test", "s3cret"), timeout=5).json()
        jwks = httpx.get(ready["jwks_uri"], timeout=5).json()
    token = verify(body["access_token"], jwks, "PS256")
    assert token.claims["aud"] == "api://qualys" and token.claims["tenant"] == "acme" and token.claims["sub"] == "00u-alice"
    assert body["expires_in"] == 300
    assert proc.stderr is not None and "TEST-ONLY" not in proc.stderr.read()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("issuer = ", "not valid TOML"),
        ('issuer = "ftp://x"', "issuer"),
        ("unknown_key = 1", "unknown_key"),
        ("access_token_ttl_seconds = -5", "access_token_ttl_seconds"),
        ('[[clients]]\nclient_id = "a"', "client_secret"),
    ],
    ids=["broken_toml", "issuer_not_http", "unknown_key", "negative_lifetime", "client_without_secret"],
)
def test_a_bad_config_exits_2_with_one_line(tmp_path: Path, content: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "idp.toml"
    config.write_text(content)
    result = run_main(main, ["serve", "--port", "0", "--config", str(config)], capsys)
    assert result.returncode == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_missing_config_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(main, ["serve", "--config", str(tmp_path / "nope.toml")], capsys)
    assert result.returncode == 2 and "not found" in result.stderr


def test_a_port_in_use_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        result = run_main(main, ["serve", "--port", str(busy.getsockname()[1])], capsys)
    assert result.returncode == 1
    assert "cannot listen" in result.stderr and "Traceback" not in result.stderr
