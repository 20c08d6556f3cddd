"""Introspection (RFC 7662) and revocation (RFC 7009) are stateful, and never say active for what is not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeflow import TIMEOUT, Flow, spa_client, web_client
from oidc_idp import Clock, RunningIdp, running

DEMO = ("demo-client", "demo-secret")
OTHER = ("other-client", "other-secret")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock(fixed=T0)


@pytest.fixture(scope="module")
def server(clock: Clock) -> Iterator[RunningIdp]:
    clients = [
        {"client_id": DEMO[0], "client_secret": DEMO[1]},
        {"client_id": OTHER[0], "client_secret": OTHER[1]},
        web_client(),
        spa_client(),
    ]
    with running(clients=clients, clock=clock, access_token_ttl_seconds=600) as idp:
        yield idp


def client_credentials(server: RunningIdp, auth: tuple[str, str] = DEMO) -> str:
    return str(
        httpx.post(server.token_endpoint, data={"grant_type": "client_credentials"}, auth=auth, timeout=TIMEOUT).json()["access_token"]
    )


def introspect(server: RunningIdp, token: str, auth: tuple[str, str] | None = DEMO, **extra: str) -> httpx.Response:
    return httpx.post(server.issuer + "/introspect", data={"token": token, **extra}, auth=auth, timeout=TIMEOUT)


def revoke(server: RunningIdp, token: str, auth: tuple[str, str] | None = DEMO, **extra: str) -> httpx.Response:
    return httpx.post(server.issuer + "/revoke", data={"token": token, **extra}, auth=auth, timeout=TIMEOUT)


def test_a_valid_access_token_is_active_with_its_claims(server: RunningIdp) -> None:
    token = client_credentials(server)
    response = introspect(server, token)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == "demo-client" and body["sub"] == "demo-client"
    assert body["iss"] == server.issuer and body["token_type"] == "access_token"
    assert body["iat"] == int(T0.timestamp()) and body["exp"] == int(T0.timestamp()) + 600


def test_any_client_of_the_issuer_may_introspect_an_access_token(server: RunningIdp) -> None:
    assert introspect(server, client_credentials(server), auth=OTHER).json()["active"] is True


def test_introspection_requires_client_authentication(server: RunningIdp) -> None:
    token = client_credentials(server)
    anonymous = introspect(server, token, auth=None)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"
    assert introspect(server, token, auth=("demo-client", "wrong")).status_code == 401
    public = introspect(server, token, auth=None, client_id="spa")
    assert public.status_code == 401


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "x" * 20000, "\u00e9\u00e8"],
    ids=["word", "three_segments", "alg_none", "huge", "non_ascii"],
)
def test_garbage_is_inactive_never_an_error(server: RunningIdp, token: str) -> None:
    response = introspect(server, token)
    assert response.status_code == 200 and response.json() == {"active": False}


def test_a_missing_token_parameter_is_invalid_request(server: RunningIdp) -> None:
    response = httpx.post(server.issuer + "/introspect", data={}, auth=DEMO, timeout=TIMEOUT)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_an_unknown_token_type_hint_is_ignored(server: RunningIdp) -> None:
    assert introspect(server, client_credentials(server), token_type_hint="saml").json()["active"] is True


def test_a_foreign_token_is_inactive() -> None:
    with running() as other_idp:
        foreign = client_credentials(other_idp)
        forged = other_idp.issue(sub="demo-client", claims={"client_id": "demo-client"})
    with running() as idp:
        assert introspect(idp, foreign).json() == {"active": False}
        assert introspect(idp, forged).json() == {"active": False}


def test_an_id_token_is_not_an_active_access_token(server: RunningIdp) -> None:
    with running() as idp:
        data = {"grant_type": "password", "username": "demo", "password": "demo-password", "scope": "openid"}
        id_token = httpx.post(idp.token_endpoint, data=data, auth=DEMO, timeout=TIMEOUT).json()["id_token"]
        assert introspect(idp, id_token).json() == {"active": False}


def test_an_expired_token_is_inactive(server: RunningIdp, clock: Clock) -> None:
    token = client_credentials(server)
    clock.offset_seconds = 601
    try:
        assert introspect(server, token).json() == {"active": False}
    finally:
        clock.offset_seconds = 0


def test_a_revoked_access_token_is_inactive_and_refused_by_userinfo(server: RunningIdp) -> None:
    data = {"grant_type": "password", "username": "demo", "password": "demo-password", "scope": "openid"}
    token = httpx.post(server.token_endpoint, data=data, auth=DEMO, timeout=TIMEOUT).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(server.issuer + "/userinfo", headers=bearer, timeout=TIMEOUT).status_code == 200
    assert revoke(server, token).status_code == 200
    assert introspect(server, token).json() == {"active": False}
    userinfo = httpx.get(server.issuer + "/userinfo", headers=bearer, timeout=TIMEOUT)
    assert userinfo.status_code == 401
    assert 'error="invalid_token"' in userinfo.headers["www-authenticate"]
    assert "revoked" in userinfo.json()["error_description"]


def test_revoking_garbage_or_an_unknown_token_is_a_200(server: RunningIdp) -> None:
    assert revoke(server, "garbage").status_code == 200
    assert revoke(server, "a.b.c").status_code == 200


def test_a_client_cannot_revoke_another_clients_token(server: RunningIdp) -> None:
    token = client_credentials(server)
    response = revoke(server, token, auth=OTHER)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert introspect(server, token).json()["active"] is True


def test_revocation_requires_client_authentication(server: RunningIdp) -> None:
    response = revoke(server, client_credentials(server), auth=("demo-client", "wrong"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_refresh_tokens_are_introspected_by_their_own_client_only(server: RunningIdp) -> None:
    flow = Flow(server.issuer + "/authorize", server.token_endpoint, client_id="web")
    code, _ = flow.code(login_hint="demo", scope="openid offline_access")
    refresh = flow.exchange(code, auth=("web", "web-secret")).json()["refresh_token"]
    own = introspect(server, refresh, auth=("web", "web-secret")).json()
    assert own["active"] is True and own["token_type"] == "refresh_token" and own["client_id"] == "web"
    assert own["sub"] == "demo@example.com" and own["scope"] == "openid offline_access"
    assert introspect(server, refresh, auth=DEMO).json() == {"active": False}


def test_a_public_client_revokes_its_refresh_token_with_its_client_id(server: RunningIdp) -> None:
    flow = Flow(server.issuer + "/authorize", server.token_endpoint)
    refresh = flow.tokens(login_hint="demo", scope="openid offline_access")["refresh_token"]
    assert revoke(server, refresh, auth=None, client_id="spa", token_type_hint="refresh_token").status_code == 200
    reuse = httpx.post(
        server.token_endpoint, data={"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "spa"}, timeout=TIMEOUT
    )
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.text(min_size=1, max_size=300) | st.builds(lambda a, b, c: f"{a}.{b}.{c}", st.text(), st.text(), st.text()))
def test_any_string_is_introspected_as_inactive_or_answered_with_a_clean_oauth_error(server: RunningIdp, token: str) -> None:
    response = introspect(server, token)
    assert response.status_code in (200, 400)
    body = response.json()
    assert body == {"active": False} if response.status_code == 200 else body["error"] == "invalid_request"
