"""Refresh tokens: issued for offline_access only, rotated (or not) per client, bound to their client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from codeflow import TIMEOUT, Flow, spa_client, web_client
from crosscheck import verify
from oidc_idp import Clock, RunningIdp, running

T0 = datetime(2026, 2, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock(fixed=T0)


@pytest.fixture(scope="module")
def server(clock: Clock) -> Iterator[RunningIdp]:
    clients = [
        spa_client(),
        web_client(rotate_refresh_tokens=False),
        spa_client(client_id="no-refresh", grant_types=["authorization_code"]),
    ]
    with running(clients=clients, clock=clock, refresh_token_ttl_seconds=3600) as idp:
        yield idp


def refresh(server: RunningIdp, token: str, client_id: str = "spa", **extra: Any) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id}
    return httpx.post(server.token_endpoint, data={**data, **extra}, timeout=TIMEOUT)


def tokens(server: RunningIdp, client_id: str = "spa", scope: str = "openid offline_access") -> dict[str, Any]:
    return Flow(server.issuer + "/authorize", server.token_endpoint, client_id=client_id).tokens(login_hint="demo", scope=scope)


def test_no_refresh_token_without_offline_access(server: RunningIdp) -> None:
    assert "refresh_token" not in tokens(server, scope="openid profile")


def test_no_refresh_token_for_a_client_without_the_refresh_grant(server: RunningIdp) -> None:
    flow = Flow(server.issuer + "/authorize", server.token_endpoint, client_id="no-refresh")
    assert "refresh_token" not in flow.tokens(login_hint="demo", scope="openid offline_access")


def test_a_refresh_returns_new_tokens_for_the_same_user_and_rotates_the_refresh_token(server: RunningIdp) -> None:
    first = tokens(server)
    response = refresh(server, first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    jwks = httpx.get(server.jwks_uri, timeout=TIMEOUT).json()
    assert verify(second["access_token"], jwks, "RS256").claims["sub"] == "demo@example.com"
    id_token = verify(second["id_token"], jwks, "RS256").claims
    assert id_token["auth_time"] == verify(first["id_token"], jwks, "RS256").claims["auth_time"]
    assert "nonce" not in id_token
    third = refresh(server, second["refresh_token"])
    assert third.status_code == 200 and third.json()["refresh_token"] != second["refresh_token"]


def test_a_rotated_refresh_token_used_again_revokes_its_whole_family(server: RunningIdp) -> None:
    # RFC 9700 section 4.14.2: the server cannot tell the thief from the client, so the chain ends for both.
    first = tokens(server)
    second = refresh(server, first["refresh_token"]).json()
    third = refresh(server, second["refresh_token"]).json()
    reused = refresh(server, first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert "already used" in reused.json()["error_description"]
    current = refresh(server, third["refresh_token"])
    assert current.status_code == 400 and current.json()["error"] == "invalid_grant"
    introspected = httpx.post(
        server.issuer + "/introspect", data={"token": third["access_token"]}, auth=("web", "web-secret"), timeout=TIMEOUT
    )
    assert introspected.json() == {"active": False}
    another = tokens(server)  # a new login starts a new family, untouched
    assert refresh(server, another["refresh_token"]).status_code == 200


def test_without_rotation_the_same_refresh_token_keeps_working(server: RunningIdp) -> None:
    flow = Flow(server.issuer + "/authorize", server.token_endpoint, client_id="web")
    code, _ = flow.code(login_hint="demo", scope="openid offline_access")
    token = flow.exchange(code, auth=("web", "web-secret")).json()["refresh_token"]
    for _ in range(2):
        response = httpx.post(
            server.token_endpoint, data={"grant_type": "refresh_token", "refresh_token": token}, auth=("web", "web-secret"), timeout=TIMEOUT
        )
        assert response.status_code == 200 and "refresh_token" not in response.json()


def test_a_refresh_token_is_bound_to_its_client(server: RunningIdp) -> None:
    token = tokens(server)["refresh_token"]
    response = refresh(server, token, client_id="no-refresh")
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_grant", "unauthorized_client"}


def test_a_narrower_scope_may_be_asked_and_a_wider_one_is_invalid_scope(server: RunningIdp) -> None:
    token = tokens(server, scope="openid profile offline_access")["refresh_token"]
    wider = refresh(server, token, scope="openid email offline_access")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    narrower = refresh(server, token, scope="openid offline_access")
    assert narrower.status_code == 200 and narrower.json()["scope"] == "openid offline_access"


def test_an_expired_refresh_token_is_invalid_grant(server: RunningIdp, clock: Clock) -> None:
    token = tokens(server)["refresh_token"]
    clock.offset_seconds = 3601
    try:
        assert refresh(server, token).json()["error"] == "invalid_grant"
    finally:
        clock.offset_seconds = 0


@pytest.mark.parametrize("token", ["garbage", ""], ids=["unknown", "missing"])
def test_an_unknown_or_missing_refresh_token_is_refused(server: RunningIdp, token: str) -> None:
    response = refresh(server, token)
    assert response.status_code == 400 and response.json()["error"] in {"invalid_grant", "invalid_request"}


def test_the_password_grant_also_issues_refresh_tokens_for_offline_access() -> None:
    client = {"client_id": "c", "client_secret": "s", "grant_types": ["password", "refresh_token"], "scopes": ["openid", "offline_access"]}
    with running(clients=[client]) as idp:
        data = {"grant_type": "password", "username": "demo", "password": "demo-password", "scope": "openid offline_access"}
        body = httpx.post(idp.token_endpoint, data=data, auth=("c", "s"), timeout=TIMEOUT).json()
        again = httpx.post(
            idp.token_endpoint,
            data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
            auth=("c", "s"),
            timeout=TIMEOUT,
        )
    assert again.status_code == 200 and again.json()["refresh_token"] != body["refresh_token"]
