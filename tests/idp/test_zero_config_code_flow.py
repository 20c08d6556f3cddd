"""With no config at all, a web app on a loopback URL logs in through the code flow (RFC 8252 section 7.3 for the URIs)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from codeflow import TIMEOUT, Flow, query_of
from crosscheck import verify
from oidc_idp import RunningIdp, running

SECRET = ("demo-client", "demo-secret")
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


@pytest.fixture(scope="module")
def server() -> Iterator[RunningIdp]:
    with running() as idp:
        yield idp


def flow(server: RunningIdp, client_id: str = "demo-client", redirect_uri: str = "http://localhost:3000/callback") -> Flow:
    return Flow(server.issuer + "/authorize", server.token_endpoint, client_id, redirect_uri)


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://localhost:3000/callback",
        "http://127.0.0.1:51234/auth/cb?x=1",
        "http://[::1]:8080/cb",
        "https://localhost/cb",
        "http://LOCALHOST:9/",
    ],
)
def test_demo_client_accepts_any_loopback_redirect_uri_and_needs_no_pkce(server: RunningIdp, redirect_uri: str) -> None:
    app = flow(server, redirect_uri=redirect_uri)
    code, _ = app.code(login_hint="demo", code_challenge="", code_challenge_method="")
    response = app.exchange(code, verifier="", auth=SECRET)
    assert response.status_code == 200, response.text
    claims = verify(response.json()["id_token"], httpx.get(server.jwks_uri, timeout=5).json(), "RS256").claims
    assert claims["aud"] == "demo-client" and claims["sub"] == "demo@example.com"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://app.test/callback",
        "http://localhost.evil.test/cb",
        "http://localhost@evil.test/cb",
        "http://evil.test@localhost/cb",
        "http://localhost:99999/cb",
        "ftp://localhost/cb",
        "http://localhost\\@evil.test/cb",
        "http://127.0.0.2/cb",
    ],
)
def test_a_redirect_uri_that_is_not_plainly_loopback_gets_an_error_page_not_a_redirect(server: RunningIdp, redirect_uri: str) -> None:
    response = flow(server, redirect_uri=redirect_uri).authorize(login_hint="demo")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert 'id="error-description"' in response.text


def test_a_verifier_demo_client_sends_is_checked(server: RunningIdp) -> None:
    app = flow(server)
    code, _ = app.code(login_hint="demo")  # with an S256 challenge
    wrong = app.exchange(code, verifier="w" * 50, auth=SECRET)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    code, _ = app.code(login_hint="demo")
    assert app.exchange(code, auth=SECRET).status_code == 200


def test_a_verifier_for_a_code_issued_without_a_challenge_is_refused(server: RunningIdp) -> None:
    # RFC 9700 section 2.1.1: a verifier with no challenge behind it is refused (PKCE downgrade).
    app = flow(server)
    code, _ = app.code(login_hint="demo", code_challenge="", code_challenge_method="")
    response = app.exchange(code, verifier="v" * 50, auth=SECRET)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request", response.text
    assert "code_verifier" in response.json()["error_description"]


def test_demo_spa_is_public_and_requires_pkce_s256(server: RunningIdp) -> None:
    app = flow(server, "demo-spa", "http://127.0.0.1:5173/")
    body = app.tokens(login_hint="demo", scope="openid offline_access")
    assert body["token_type"] == "Bearer" and "refresh_token" in body
    without = app.authorize(login_hint="demo", code_challenge="", code_challenge_method="")
    assert query_of(without.headers["location"])["error"] == "invalid_request"
    plain = app.authorize(login_hint="demo", code_challenge="p" * 50, code_challenge_method="plain")
    assert query_of(plain.headers["location"])["error"] == "invalid_request"


def test_demo_client_gets_a_refresh_token_with_offline_access_and_can_use_it(server: RunningIdp) -> None:
    app = flow(server)
    code, _ = app.code(login_hint="demo", scope="openid offline_access")
    refresh = app.exchange(code, auth=SECRET).json()["refresh_token"]
    again = httpx.post(server.token_endpoint, data={"grant_type": "refresh_token", "refresh_token": refresh}, auth=SECRET, timeout=TIMEOUT)
    assert again.status_code == 200 and "access_token" in again.json()


def test_without_a_hint_the_default_config_shows_the_login_page(server: RunningIdp) -> None:
    response = flow(server).authorize()
    assert response.status_code == 200 and 'id="login-submit"' in response.text


def test_a_default_login_user_logs_in_without_page_or_hint() -> None:
    with running(default_login_user="demo") as idp:
        app = flow(idp, redirect_uri="http://localhost:8081/cb")
        code, got = app.code()
        assert got["iss"] == idp.issuer
        body = app.exchange(code, auth=SECRET).json()
        claims = verify(body["id_token"], httpx.get(idp.jwks_uri, timeout=5).json(), "RS256").claims
    assert claims["sub"] == "demo@example.com"


@pytest.mark.parametrize("client_id", ["demo-client", "demo-spa"])
def test_logout_returns_to_any_loopback_uri_of_a_default_client(server: RunningIdp, client_id: str) -> None:
    logout = server.issuer + "/logout"
    back = httpx.get(logout, params={"client_id": client_id, "post_logout_redirect_uri": "http://localhost:4200/bye", "state": "s"})
    assert back.status_code == 302 and back.headers["location"] == "http://localhost:4200/bye?state=s"
    away = httpx.get(logout, params={"client_id": client_id, "post_logout_redirect_uri": "http://app.test/bye"})
    assert away.status_code == 400 and "location" not in away.headers


def test_a_configured_client_keeps_exact_redirect_uri_matching() -> None:
    client = {
        "client_id": "web",
        "client_secret": "s",
        "grant_types": ["authorization_code"],
        "redirect_uris": ["http://localhost:3000/cb"],
    }
    with running(clients=[client]) as idp:
        exact = flow(idp, "web", "http://localhost:3000/cb").authorize(login_hint="demo")
        other_port = flow(idp, "web", "http://localhost:3001/cb").authorize(login_hint="demo")
        logout = httpx.get(idp.issuer + "/logout", params={"client_id": "web", "post_logout_redirect_uri": "http://localhost:3000/"})
    assert exact.status_code == 302 and "code" in query_of(exact.headers["location"])
    assert other_port.status_code == 400 and "location" not in other_port.headers
    assert logout.status_code == 400


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:5173", "http://[::1]:8080", "https://localhost"])
def test_cors_allows_any_loopback_origin_by_default(server: RunningIdp, origin: str) -> None:
    response = httpx.options(server.token_endpoint, headers={"Origin": origin, **PREFLIGHT}, timeout=5)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize("origin", ["http://evil.test", "http://localhost.evil.test", "http://127.0.0.1.evil.test:80"])
def test_cors_refuses_other_origins_by_default(server: RunningIdp, origin: str) -> None:
    response = httpx.options(server.token_endpoint, headers={"Origin": origin, **PREFLIGHT}, timeout=5)
    assert response.status_code == 400 and "access-control-allow-origin" not in response.headers


def test_configured_cors_origins_replace_the_loopback_default() -> None:
    with running(cors_allowed_origins=["http://dashboard.test"]) as idp:
        response = httpx.options(idp.token_endpoint, headers={"Origin": "http://localhost:3000", **PREFLIGHT}, timeout=5)
    assert response.status_code == 400
