"""``oidc-idp serve`` with no config: the code flow for web apps, said by the banner and the ready line; its flags."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt
import pytest

from codeflow import Flow
from in_process import run_main
from oidc_idp import running
from oidc_idp.run.cli import _demo_banner, main
from oidc_idp.variants.profiles import PROFILES
from processes import serving

SECRET = ("demo-client", "demo-secret")


def test_serve_with_no_arguments_lets_a_web_app_on_a_loopback_port_log_in(tmp_path: Path) -> None:
    with serving("--keys-dir", str(tmp_path)) as (proc, ready):
        doc = httpx.get(ready["discovery_url"], timeout=5).json()
        app = Flow(doc["authorization_endpoint"], doc["token_endpoint"], "demo-client", "http://localhost:49152/callback")
        page = app.authorize(code_challenge="", code_challenge_method="")
        code, _ = app.code(login_hint="demo", code_challenge="", code_challenge_method="")
        body = app.exchange(code, verifier="", auth=SECRET).json()
    assert page.status_code == 200 and 'id="login-submit"' in page.text  # no hint: the login page asks
    assert jwt.decode(body["id_token"], options={"verify_signature": False})["sub"] == "demo@example.com"
    assert ready["authorization_endpoint"] == ready["issuer"] + "/authorize"
    assert ready["end_session_endpoint"] == ready["issuer"] + "/logout"
    assert ready["login_user"] is None
    assert ready["code_flow_clients"]["demo-client"] == {
        "public": False,
        "pkce": "optional",
        "pkce_methods": ["S256"],
        "redirect_uris": [],
        "loopback_redirect_uris": True,
    }
    assert ready["code_flow_clients"]["demo-spa"]["public"] is True and ready["code_flow_clients"]["demo-spa"]["pkce"] == "required"
    assert proc.stderr is not None
    banner = proc.stderr.read()
    assert "demo-spa" in banner and "localhost, 127.0.0.1 or [::1], any port and path" in banner
    assert "demo-client / demo-secret" in banner and f"point any OIDC library at {ready['issuer']}" in banner


def test_login_user_logs_everyone_in_without_a_page(tmp_path: Path) -> None:
    with serving("--keys-dir", str(tmp_path), "--login-user", "demo") as (proc, ready):
        app = Flow(ready["authorization_endpoint"], ready["token_endpoint"], "demo-spa", "http://127.0.0.1:8123/cb")
        body = app.tokens()
    assert ready["login_user"] == "demo"
    assert jwt.decode(body["id_token"], options={"verify_signature": False})["sub"] == "demo@example.com"
    assert proc.stderr is not None and "logged in as 'demo'" in proc.stderr.read()


def test_redirect_uri_adds_an_exact_uri_for_another_host(tmp_path: Path) -> None:
    with serving("--keys-dir", str(tmp_path), "--redirect-uri", "http://webapp:3000/callback") as (proc, ready):
        exact = Flow(ready["authorization_endpoint"], ready["token_endpoint"], "demo-client", "http://webapp:3000/callback")
        other = Flow(ready["authorization_endpoint"], ready["token_endpoint"], "demo-client", "http://webapp:3000/other")
        assert "code" in httpx.URL(exact.authorize(login_hint="demo").headers["location"]).params
        assert other.authorize(login_hint="demo").status_code == 400
    assert ready["code_flow_clients"]["demo-client"]["redirect_uris"] == ["http://webapp:3000/callback"]
    assert ready["code_flow_clients"]["demo-spa"]["redirect_uris"] == ["http://webapp:3000/callback"]
    assert proc.stderr is not None and "http://webapp:3000/callback" in proc.stderr.read()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--redirect-uri", "not a url"], "--redirect-uri 'not a url' must be an absolute http(s) URL without a fragment"),
        (["--redirect-uri", "http://app/cb#frag"], "must be an absolute http(s) URL without a fragment"),
        (["--login-user", " "], "--login-user needs a username"),
    ],
)
def test_bad_code_flow_flags_are_one_line_usage_errors(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run_main(main, ["serve", "--port", "0", "--keys-dir", str(tmp_path), *args], capsys)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr and "Traceback" not in done.stderr


def test_redirect_uri_with_configured_clients_says_where_they_go(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "idp.toml"
    config.write_text('[[clients]]\nclient_id = "m2m"\nclient_secret = "s"\n')
    done = run_main(main, ["serve", "--port", "0", "--config", str(config), "--redirect-uri", "http://app/cb"], capsys)
    assert done.returncode == 2
    assert "put redirect_uris in their tables" in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize("profile", [p.name for p in PROFILES])
def test_the_banner_prints_the_audience_the_access_tokens_carry(profile: str, capsys: pytest.CaptureFixture[str]) -> None:
    with running(profile=profile) as idp:
        token = httpx.post(idp.token_endpoint, data={"grant_type": "client_credentials"}, auth=SECRET, timeout=5).json()["access_token"]
        _demo_banner(idp.config)
    aud = jwt.decode(token, options={"verify_signature": False})["aud"]
    assert f"  audience: {aud}   issuer: {idp.config.issuer}" in capsys.readouterr().err
