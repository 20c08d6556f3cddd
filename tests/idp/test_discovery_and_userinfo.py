"""Discovery derives every URL from the issuer exactly; userinfo wants a valid access token."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from oidc_idp import Clock, RunningIdp, build_config, running
from oidc_idp.web.app import create_app

CLIENT = ("demo-client", "demo-secret")


def test_discovery_lists_issuer_endpoints_grants_algorithms_and_auth_methods(idp_server: RunningIdp) -> None:
    doc = httpx.get(idp_server.discovery_url, timeout=5).json()
    assert doc["issuer"] == idp_server.issuer
    assert doc["jwks_uri"] == idp_server.issuer + "/jwks"
    assert doc["token_endpoint"] == idp_server.issuer + "/token"
    assert doc["userinfo_endpoint"] == idp_server.issuer + "/userinfo"
    assert doc["grant_types_supported"] == ["authorization_code", "client_credentials", "password", "refresh_token"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    # demo-client's two secret methods, and demo-spa's none (a public client).
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post", "none"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("issuer", "prefix"),
    [("https://public.example/idp", "/idp"), ("https://tenant.example.com/", ""), ("https://login.example/t1/v2.0", "/t1/v2.0")],
    ids=["issuer_with_a_path", "issuer_with_a_trailing_slash", "entra_like_issuer"],
)
async def test_urls_derive_from_a_proxied_issuer_not_from_the_request_host(tmp_path: Path, issuer: str, prefix: str) -> None:
    app = create_app(build_config({"issuer": issuer, "keys_dir": tmp_path}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://10.9.9.9:8000") as client:
        doc = (await client.get(prefix + "/.well-known/openid-configuration")).json()
        jwks = await client.get(prefix + "/jwks")
    assert doc["issuer"] == issuer
    assert doc["jwks_uri"] == issuer.rstrip("/") + "/jwks"
    assert doc["token_endpoint"] == issuer.rstrip("/") + "/token"
    assert jwks.status_code == 200


def _access_token(server: RunningIdp) -> str:
    data = {"grant_type": "password", "username": "demo", "password": "demo-password", "scope": "openid profile"}
    return str(httpx.post(server.token_endpoint, data=data, auth=CLIENT, timeout=5).json()["access_token"])


def test_userinfo_answers_the_users_claims_for_a_valid_access_token(idp_server: RunningIdp) -> None:
    response = httpx.get(idp_server.issuer + "/userinfo", headers={"Authorization": f"Bearer {_access_token(idp_server)}"})
    assert response.status_code == 200
    assert response.json() == {
        "sub": "demo@example.com",
        "preferred_username": "demo@example.com",
        "email": "demo@example.com",
        "name": "Demo User",
    }


def test_userinfo_without_a_token_is_401_with_a_bearer_challenge(idp_server: RunningIdp) -> None:
    response = httpx.get(idp_server.issuer + "/userinfo")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."], ids=["garbage", "three_junk_segments", "alg_none"])
def test_userinfo_with_a_bad_token_is_401_invalid_token(idp_server: RunningIdp, token: str) -> None:
    response = httpx.get(idp_server.issuer + "/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert response.json()["error"] == "invalid_token"


def test_userinfo_refuses_an_id_token_as_access_token(idp_server: RunningIdp) -> None:
    data = {"grant_type": "password", "username": "demo", "password": "demo-password", "scope": "openid"}
    id_token = httpx.post(idp_server.token_endpoint, data=data, auth=CLIENT, timeout=5).json()["id_token"]
    response = httpx.get(idp_server.issuer + "/userinfo", headers={"Authorization": f"Bearer {id_token}"})
    assert response.status_code == 401


def test_userinfo_refuses_an_expired_access_token() -> None:
    clock = Clock(fixed=datetime(2026, 1, 1, tzinfo=UTC))
    with running(clock=clock, access_token_ttl_seconds=60) as server:
        token = _access_token(server)
        clock.offset_seconds = 61
        response = httpx.get(server.issuer + "/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["error_description"]


def test_a_fixed_clock_sets_every_timestamp_in_the_token() -> None:
    import jwt

    clock = Clock(fixed=datetime(2026, 1, 1, tzinfo=UTC))
    with running(clock=clock) as server:
        claims = jwt.decode(_access_token(server), options={"verify_signature": False})
    assert claims["iat"] == claims["nbf"] == int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
