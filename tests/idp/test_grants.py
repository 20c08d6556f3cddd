"""Tokens from every grant verify with an independent JOSE library and the served JWKS only."""

from __future__ import annotations

import httpx
import pytest

from crosscheck import verify
from oidc_idp import RunningIdp, running

CLIENT = ("demo-client", "demo-secret")
AUDIENCE = "https://qualys.example/api"


def _token(server: RunningIdp, data: dict[str, str], **kwargs: object) -> httpx.Response:
    return httpx.post(server.token_endpoint, data=data, timeout=5, **kwargs)  # type: ignore[arg-type]


def test_client_credentials_with_basic_auth_returns_a_verifiable_access_token(idp_server: RunningIdp) -> None:
    response = _token(idp_server, {"grant_type": "client_credentials"}, auth=CLIENT)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert response.headers["cache-control"] == "no-store"
    token = verify(body["access_token"], httpx.get(idp_server.jwks_uri).json(), "RS256")
    assert token.header["typ"] == "at+jwt"
    assert token.claims["iss"] == idp_server.issuer
    assert token.claims["aud"] == AUDIENCE
    assert token.claims["sub"] == "demo-client"
    assert token.claims["client_id"] == "demo-client"
    assert token.claims["exp"] - token.claims["iat"] == 3600
    assert {"nbf", "jti"} <= set(token.claims)


def test_client_credentials_with_post_auth_is_accepted(idp_server: RunningIdp) -> None:
    response = _token(idp_server, {"grant_type": "client_credentials", "client_id": CLIENT[0], "client_secret": CLIENT[1]})
    assert response.status_code == 200
    assert "id_token" not in response.json()


def test_password_grant_returns_access_and_id_tokens_like_the_okta_example(idp_server: RunningIdp) -> None:
    data = {"grant_type": "password", "username": "demo", "password": "demo-password", "scope": "openid profile"}
    response = _token(idp_server, {**data, "client_id": CLIENT[0], "client_secret": CLIENT[1]})
    assert response.status_code == 200
    body = response.json()
    jwks = httpx.get(idp_server.jwks_uri).json()
    access = verify(body["access_token"], jwks, "RS256")
    id_token = verify(body["id_token"], jwks, "RS256")
    assert access.claims["sub"] == id_token.claims["sub"] == "demo@example.com"
    assert access.claims["preferred_username"] == "demo@example.com"
    assert access.claims["aud"] == AUDIENCE
    assert id_token.claims["aud"] == "demo-client"
    assert id_token.header["typ"] == "JWT"
    assert body["scope"] == "openid profile"


def test_password_grant_without_openid_scope_returns_no_id_token(idp_server: RunningIdp) -> None:
    data = {"grant_type": "password", "username": "demo", "password": "demo-password"}
    body = _token(idp_server, data, auth=CLIENT).json()
    assert "access_token" in body and "id_token" not in body


def test_configured_client_and_user_claims_are_in_the_token() -> None:
    clients = [{"client_id": "app", "client_secret": "s3", "audience": "api://qualys", "claims": {"tenant": "t1", "iss": "ignored"}}]
    users = [{"username": "alice", "password": "pw", "sub": "00u1", "claims": {"preferred_username": "alice@corp"}}]
    with running(clients=clients, users=users, alg="ES256") as server:
        body = _token(server, {"grant_type": "password", "username": "alice", "password": "pw"}, auth=("app", "s3")).json()
        token = verify(body["access_token"], httpx.get(server.jwks_uri).json(), "ES256")
    assert token.claims["tenant"] == "t1"
    assert token.claims["preferred_username"] == "alice@corp"
    assert token.claims["sub"] == "00u1"
    assert token.claims["aud"] == "api://qualys"
    # Registered claims always win over configured ones.
    assert token.claims["iss"] == server.issuer


@pytest.mark.parametrize("alg", ["PS256", "ES256", "EdDSA"])
def test_each_algorithm_signs_tokens_that_verify(alg: str) -> None:
    with running(alg=alg) as server:
        body = _token(server, {"grant_type": "client_credentials"}, auth=CLIENT).json()
        token = verify(body["access_token"], httpx.get(server.jwks_uri).json(), alg)
    assert token.header["alg"] == alg


def test_token_lifetimes_follow_the_config() -> None:
    with running(access_token_ttl_seconds=120) as server:
        body = _token(server, {"grant_type": "client_credentials"}, auth=CLIENT).json()
        token = verify(body["access_token"], httpx.get(server.jwks_uri).json(), "RS256")
    assert body["expires_in"] == 120
    assert token.claims["exp"] - token.claims["iat"] == 120
