"""The run-time control API: off by default, loopback only, and the same operations the plugin uses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from crosscheck import verify
from in_process import run_main
from oidc_idp import build_config
from oidc_idp.run.cli import main
from oidc_idp.web.app import create_app
from processes import serving

CLIENT = ("demo-client", "demo-secret")
T2030 = int(datetime(2030, 5, 1, tzinfo=UTC).timestamp())


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with serving("--keys-dir", str(tmp_path_factory.mktemp("keys")), "--admin") as (_, ready):
        yield ready


def call(ready: dict[str, Any], method: str, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.request(method, ready["admin_url"] + path, json=body, timeout=5)


def password_grant(ready: dict[str, Any], username: str, password: str) -> httpx.Response:
    data = {"grant_type": "password", "username": username, "password": password, "scope": "openid"}
    return httpx.post(ready["token_endpoint"], data=data, auth=CLIENT, timeout=5)


def test_the_control_api_does_not_exist_without_admin(tmp_path: Path) -> None:
    with serving("--keys-dir", str(tmp_path)) as (_, ready):
        assert "admin_url" not in ready
        response = httpx.post(ready["base_url"] + "/_admin/token", json={"sub": "x"}, timeout=5)
    assert response.status_code == 404


def test_mint_returns_a_token_with_arbitrary_claims_that_verifies(admin: dict[str, Any]) -> None:
    response = call(admin, "POST", "/token", {"sub": "alice", "claims": {"roles": ["admin"]}, "ttl_seconds": 120})
    assert response.status_code == 200
    token = verify(response.json()["token"], httpx.get(admin["jwks_uri"], timeout=5).json(), "RS256")
    assert token.claims["sub"] == "alice" and token.claims["roles"] == ["admin"]
    assert token.claims["exp"] - token.claims["iat"] == 120


def test_an_added_user_can_use_the_password_grant_and_is_not_echoed_with_its_password(admin: dict[str, Any]) -> None:
    assert password_grant(admin, "zoe", "zoe-pw").status_code == 400
    response = call(admin, "POST", "/users", {"username": "zoe", "password": "zoe-pw", "sub": "00u-zoe", "claims": {"dept": "qa"}})
    assert response.status_code == 200
    assert response.json() == {"username": "zoe", "sub": "00u-zoe", "claims": {"dept": "qa"}}
    granted = password_grant(admin, "zoe", "zoe-pw")
    assert granted.status_code == 200
    assert jwt.decode(granted.json()["access_token"], options={"verify_signature": False})["dept"] == "qa"


def test_rotate_publishes_a_new_signing_key(admin: dict[str, Any]) -> None:
    before = {k["kid"] for k in httpx.get(admin["jwks_uri"], timeout=5).json()["keys"]}
    kid = call(admin, "POST", "/keys/rotate", {}).json()["kid"]
    after = {k["kid"] for k in httpx.get(admin["jwks_uri"], timeout=5).json()["keys"]}
    assert kid not in before and after == before | {kid}
    token = call(admin, "POST", "/token", {"sub": "x"}).json()["token"]
    assert jwt.get_unverified_header(token)["kid"] == kid


def test_scenarios_switch_at_run_time(admin: dict[str, Any]) -> None:
    assert call(admin, "PUT", "/scenarios", {"names": ["hs256_tokens"]}).json() == {"scenarios": ["hs256_tokens"]}
    token = httpx.post(admin["token_endpoint"], data={"grant_type": "client_credentials"}, auth=CLIENT, timeout=5).json()
    assert jwt.get_unverified_header(token["access_token"])["alg"] == "HS256"
    call(admin, "PUT", "/scenarios", {"names": []})


def test_the_clock_can_be_fixed_and_shifted(admin: dict[str, Any]) -> None:
    response = call(admin, "PUT", "/clock", {"fixed": "2030-05-01T00:00:00Z", "offset_seconds": 10})
    assert response.json()["timestamp"] == T2030 + 10
    token = call(admin, "POST", "/token", {"sub": "x"}).json()["token"]
    assert jwt.decode(token, options={"verify_signature": False})["iat"] == T2030 + 10
    call(admin, "PUT", "/clock", {"fixed": None, "offset_seconds": 0})


@pytest.mark.parametrize(
    ("method", "path", "body", "error"),
    [
        ("POST", "/token", {}, "invalid_request"),
        ("POST", "/token", {"sub": "x", "unknown": 1}, "invalid_request"),
        ("POST", "/token", {"sub": "x", "kid": "nope"}, "unknown_kid"),
        ("POST", "/keys/retire", {"kid": "nope"}, "unknown_kid"),
        ("PUT", "/scenarios", {"names": ["no_such_scenario"]}, "unknown_scenario"),
        ("POST", "/users", {"username": ""}, "invalid_request"),
        ("POST", "/token", {"sub": "x", "issuer_id": "nope"}, "invalid_request"),
    ],
    ids=["missing_sub", "unknown_field", "unknown_kid", "retire_unknown_kid", "unknown_scenario", "empty_username", "unknown_issuer"],
)
def test_bad_control_requests_are_clear_json_errors(
    admin: dict[str, Any], method: str, path: str, body: dict[str, Any], error: str
) -> None:
    response = call(admin, method, path, body)
    assert 400 <= response.status_code < 500
    assert response.json()["error"] == error


@pytest.mark.anyio
async def test_a_request_from_a_non_loopback_address_is_refused(tmp_path: Path) -> None:
    app = create_app(build_config({"issuer": "http://127.0.0.1:9", "keys_dir": tmp_path, "admin_enabled": True}))
    remote = httpx.ASGITransport(app=app, client=("10.1.2.3", 40000))
    async with httpx.AsyncClient(transport=remote, base_url="http://idp") as client:
        refused = await client.post("/_admin/token", json={"sub": "x"})
    local = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=local, base_url="http://127.0.0.1:9") as client:
        allowed = await client.post("/_admin/token", json={"sub": "x"})
    assert refused.status_code == 403 and refused.json()["error"] == "access_denied"
    assert allowed.status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--host", "0.0.0.0"], "loopback"), (["--workers", "2"], "--workers 1")],  # noqa: S104 - refused on purpose
    ids=["non_loopback_host", "several_workers"],
)
def test_admin_is_refused_where_it_would_be_unsafe_or_inconsistent(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_main(main, ["serve", "--port", "0", "--admin", *args], capsys)
    assert result.returncode == 2 and message in result.stderr


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("localhost:8000", 200),
        ("127.0.0.1", 200),
        ("[::1]:8000", 200),
        ("rebind.attacker.example:8000", 403),
        ("localhost.attacker.example", 403),
        ("127.0.0.1.nip.io:8000", 403),
        ("localhost:notaport", 403),
        ("", 403),
    ],
    ids=["localhost_port", "ipv4", "ipv6_port", "rebound_name", "lookalike_suffix", "ip_lookalike_name", "bad_port", "empty"],
)
async def test_the_control_api_answers_only_requests_addressed_to_a_loopback_name(tmp_path: Path, host: str, status: int) -> None:
    # DNS rebinding: the browser connects from loopback to loopback, but still sends the attacker's name.
    app = create_app(build_config({"issuer": "http://127.0.0.1:9", "keys_dir": tmp_path, "admin_enabled": True}))
    local = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=local, base_url="http://127.0.0.1:9") as client:
        response = await client.post("/_admin/token", json={"sub": "x"}, headers={"Host": host})
    assert response.status_code == status
    if status == 403:
        assert response.json()["error"] == "access_denied" and "access_token" not in response.text


def test_a_rebound_host_name_cannot_mint_on_the_real_server(admin: dict[str, Any]) -> None:
    port = admin["admin_url"].rsplit(":", 1)[1].split("/")[0]
    response = httpx.post(admin["admin_url"] + "/token", json={"sub": "x"}, headers={"Host": f"rebind.attacker.example:{port}"}, timeout=5)
    assert response.status_code == 403 and response.json()["error"] == "access_denied"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--host", "0.0.0.0"], "loopback"), (["--workers", "2"], "--workers 1")],  # noqa: S104 - refused on purpose
    ids=["non_loopback_host", "several_workers"],
)
def test_admin_enabled_in_the_config_file_meets_the_same_guard_as_the_flag(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "idp.toml"
    config.write_text("admin_enabled = true\n")
    result = run_main(main, ["serve", "--port", "0", "--config", str(config), *args], capsys)
    assert result.returncode == 2 and message in result.stderr


def test_the_embedded_server_refuses_admin_on_a_non_loopback_host() -> None:
    from oidc_idp import IdpError, running

    with pytest.raises(IdpError, match="loopback"), running(host="0.0.0.0", admin_enabled=True):  # noqa: S104
        pass
