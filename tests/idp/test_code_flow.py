"""Authorization code flow with PKCE over real HTTP: exact redirect URIs, state, nonce, at_hash, auth_time."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from codeflow import REDIRECT_URI, Flow, hidden_fields, query_of, spa_client, web_client
from crosscheck import verify
from oidc_idp import RunningIdp, running

USERS = [
    {"username": "alice", "password": "alice-pw", "sub": "00u-alice", "claims": {"email": "alice@example.com"}},
    {"username": "bob", "password": "bob-pw"},
]


@pytest.fixture(scope="module")
def server() -> Iterator[RunningIdp]:
    clients = [spa_client(), web_client(), spa_client(client_id="plain-ok", pkce_methods=["S256", "plain"])]
    with running(clients=clients, users=USERS) as idp:
        yield idp


def flow(server: RunningIdp, client_id: str = "spa", redirect_uri: str = REDIRECT_URI) -> Flow:
    return Flow(server.issuer + "/authorize", server.token_endpoint, client_id=client_id, redirect_uri=redirect_uri)


def jwks(server: RunningIdp) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(server.jwks_uri, timeout=5).json()
    return body


def test_a_public_client_gets_a_code_and_exchanges_it_with_its_pkce_verifier(server: RunningIdp) -> None:
    f = flow(server)
    code, params = f.code(login_hint="alice", state="st-123")
    assert params["state"] == "st-123"
    assert params["iss"] == server.issuer
    response = f.exchange(code)
    assert response.status_code == 200, response.text
    body = response.json()
    access = verify(body["access_token"], jwks(server), "RS256")
    assert access.claims["sub"] == "00u-alice" and access.claims["client_id"] == "spa"
    assert "refresh_token" not in body  # no offline_access asked


def test_the_id_token_carries_nonce_auth_time_and_a_correct_at_hash(server: RunningIdp) -> None:
    f = flow(server)
    body = f.tokens(login_hint="alice", nonce="n-0S6_WzA2Mj")
    id_token = verify(body["id_token"], jwks(server), "RS256")
    assert id_token.claims["nonce"] == "n-0S6_WzA2Mj"
    assert id_token.claims["aud"] == "spa" and id_token.claims["azp"] == "spa"
    assert isinstance(id_token.claims["auth_time"], int) and id_token.claims["auth_time"] <= id_token.claims["iat"]
    digest = hashlib.sha256(body["access_token"].encode("ascii")).digest()
    assert id_token.claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def test_a_confidential_client_must_authenticate_at_the_token_endpoint(server: RunningIdp) -> None:
    f = flow(server, "web")
    code, _ = f.code(login_hint="bob")
    assert f.exchange(code, auth=None).status_code == 401  # only client_id, no secret
    code, _ = f.code(login_hint="bob")
    response = f.exchange(code, auth=("web", "web-secret"))
    assert response.status_code == 200, response.text
    assert verify(response.json()["access_token"], jwks(server), "RS256").claims["sub"] == "bob"


def test_a_code_is_single_use(server: RunningIdp) -> None:
    f = flow(server)
    code, _ = f.code(login_hint="alice")
    assert f.exchange(code).status_code == 200
    again = f.exchange(code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_replayed_code_revokes_every_token_of_its_grant_including_refreshed_ones(server: RunningIdp) -> None:
    f = flow(server)
    code, _ = f.code(login_hint="alice", scope="openid offline_access")
    first = f.exchange(code).json()
    refreshed = refresh(server, first["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    later = refreshed.json()
    assert all(userinfo(server, t["access_token"]).status_code == 200 for t in (first, later))

    replay = f.exchange(code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert "revoked" in replay.json()["error_description"]
    for tokens in (first, later):
        revoked = userinfo(server, tokens["access_token"])
        assert revoked.status_code == 401 and "revoked" in revoked.headers["www-authenticate"]
    assert refresh(server, later["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_replay_by_another_client_revokes_nothing(server: RunningIdp) -> None:
    f = flow(server)
    code, _ = f.code(login_hint="alice")
    tokens = f.exchange(code).json()
    assert f.exchange(code, client_id="plain-ok").json()["error"] == "invalid_grant"
    assert userinfo(server, tokens["access_token"]).status_code == 200


def userinfo(server: RunningIdp, access_token: str) -> httpx.Response:
    return httpx.get(server.issuer + "/userinfo", headers={"Authorization": f"Bearer {access_token}"}, timeout=5)


def refresh(server: RunningIdp, refresh_token: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": "spa"}
    return httpx.post(server.token_endpoint, data=data, timeout=5)


def test_a_code_is_bound_to_the_client_it_was_issued_to(server: RunningIdp) -> None:
    f = flow(server)
    code, _ = f.code(login_hint="alice")
    stolen = f.exchange(code, client_id="plain-ok")
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"


def test_a_wrong_pkce_verifier_is_invalid_grant(server: RunningIdp) -> None:
    f = flow(server)
    code, _ = f.code(login_hint="alice")
    response = f.exchange(code, verifier="x" * 50)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_missing_pkce_verifier_is_refused(server: RunningIdp) -> None:
    f = flow(server)
    code, _ = f.code(login_hint="alice")
    response = f.exchange(code, code_verifier="")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_an_authorization_request_without_pkce_is_redirected_back_with_invalid_request(server: RunningIdp) -> None:
    response = flow(server).authorize(login_hint="alice", code_challenge="", code_challenge_method="", state="s1")
    assert response.status_code == 302
    params = query_of(response.headers["location"])
    assert params["error"] == "invalid_request" and "PKCE" in params["error_description"]
    assert params["state"] == "s1" and "code" not in params


@pytest.mark.parametrize("method", ["plain", ""], ids=["plain_explicit", "no_method_means_plain"])
def test_plain_pkce_is_refused_unless_the_client_allows_it(server: RunningIdp, method: str) -> None:
    verifier = "v" * 43
    refused = flow(server).authorize(login_hint="alice", code_challenge=verifier, code_challenge_method=method)
    assert query_of(refused.headers["location"])["error"] == "invalid_request"
    allowed = flow(server, "plain-ok")
    response = allowed.authorize(login_hint="alice", code_challenge=verifier, code_challenge_method=method)
    code = query_of(response.headers["location"])["code"]
    assert allowed.exchange(code, verifier=verifier).status_code == 200


def test_the_redirect_uri_at_the_token_endpoint_must_match_exactly(server: RunningIdp) -> None:
    f = flow(server)
    code, _ = f.code(login_hint="alice")
    response = f.exchange(code, redirect_uri=REDIRECT_URI + "/")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "redirect_uri",
    [REDIRECT_URI + "/extra", REDIRECT_URI + "?x=1", "http://APP.test/callback", "http://evil.test/callback", ""],
    ids=["longer_path", "added_query", "case_changed", "other_host", "missing"],
)
def test_an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect(server: RunningIdp, redirect_uri: str) -> None:
    response = flow(server, redirect_uri=redirect_uri).authorize(login_hint="alice")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "invalid_request" in response.text


def test_an_unknown_client_gets_an_error_page(server: RunningIdp) -> None:
    response = flow(server, "nobody").authorize(login_hint="alice")
    assert response.status_code == 400 and "location" not in response.headers
    assert "invalid_client" in response.text


def test_a_client_without_the_code_grant_cannot_use_the_authorization_endpoint() -> None:
    clients = [
        spa_client(),
        {"client_id": "m2m", "client_secret": "s", "grant_types": ["client_credentials"], "redirect_uris": [REDIRECT_URI]},
    ]
    with running(clients=clients) as idp:
        response = flow(idp, "m2m").authorize(login_hint="alice")
    assert response.status_code == 302
    assert query_of(response.headers["location"])["error"] == "unauthorized_client"


def test_an_unsupported_response_type_is_redirected_back_as_an_error(server: RunningIdp) -> None:
    response = flow(server).authorize(login_hint="alice", response_type="token")
    # response_type=token's default response mode is the fragment (Multiple Response Types section 5).
    location = urlsplit(response.headers["location"])
    assert parse_qs(location.fragment)["error"] == ["unsupported_response_type"]
    assert not location.query


def test_a_scope_the_client_does_not_have_is_invalid_scope(server: RunningIdp) -> None:
    response = flow(server, "web").authorize(login_hint="alice", scope="openid email")
    assert query_of(response.headers["location"])["error"] == "invalid_scope"


def test_a_repeated_parameter_gets_an_error_page(server: RunningIdp) -> None:
    url = server.issuer + "/authorize?client_id=spa&client_id=web&response_type=code"
    response = httpx.get(url, timeout=5)
    assert response.status_code == 400 and "repeated" in response.text


def test_characters_authlib_cannot_echo_give_an_error_page_not_a_traceback(server: RunningIdp) -> None:
    response = flow(server, redirect_uri='http://app.test/"quoted"').authorize(login_hint="alice")
    assert response.status_code == 400 and "invalid_request" in response.text


def test_without_a_session_or_hint_the_login_page_is_shown_with_the_request_kept(server: RunningIdp) -> None:
    response = flow(server).authorize(state='<script>alert("x")</script>')
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none' forbids scripts
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text
    assert 'value="alice"' in response.text and "alice-pw" not in response.text


def test_the_login_form_post_logs_in_with_extra_claims(server: RunningIdp) -> None:
    f = flow(server)
    page = f.authorize()
    assert page.status_code == 200
    hidden = hidden_fields(page.text)
    form = {**hidden, "login_user": "bob", "login_typed": "", "login_claims": "department=sales\nlevel=3", "login_action": "login"}
    response = f.http.post(server.issuer + "/authorize", data=form)
    assert response.status_code == 302
    code = query_of(response.headers["location"])["code"]
    body = f.exchange(code).json()
    claims = verify(body["access_token"], jwks(server), "RS256").claims
    assert claims["sub"] == "bob" and claims["department"] == "sales" and claims["level"] == 3


def test_a_typed_username_not_in_the_config_logs_in_with_that_name_as_sub(server: RunningIdp) -> None:
    f = flow(server)
    page = f.authorize()
    hidden = hidden_fields(page.text)
    form = {**hidden, "login_user": "alice", "login_typed": "carol@example.com", "login_claims": "", "login_action": "login"}
    code = query_of(f.http.post(server.issuer + "/authorize", data=form).headers["location"])["code"]
    assert verify(f.exchange(code).json()["id_token"], jwks(server), "RS256").claims["sub"] == "carol@example.com"


@pytest.mark.parametrize("claims", ["no equals sign", "sub=mallory", "bad name=1"], ids=["not_name_value", "registered", "space"])
def test_bad_extra_claims_redisplay_the_login_page_with_an_error(server: RunningIdp, claims: str) -> None:
    f = flow(server)
    hidden = hidden_fields(f.authorize().text)
    form = {**hidden, "login_user": "alice", "login_claims": claims, "login_action": "login"}
    response = f.http.post(server.issuer + "/authorize", data=form)
    assert response.status_code == 400 and 'id="login-error"' in response.text


def test_cancelling_the_login_redirects_with_access_denied(server: RunningIdp) -> None:
    f = flow(server)
    hidden = hidden_fields(f.authorize(state="s9").text)
    response = f.http.post(server.issuer + "/authorize", data={**hidden, "login_action": "cancel"})
    params = query_of(response.headers["location"])
    assert params["error"] == "access_denied" and params["state"] == "s9"


def test_a_tampered_login_post_is_validated_again(server: RunningIdp) -> None:
    response = httpx.post(
        server.issuer + "/authorize",
        data={"client_id": "spa", "response_type": "code", "redirect_uri": "http://evil.test/cb", "login_user": "alice"},
        timeout=5,
    )
    assert response.status_code == 400 and "location" not in response.headers


def test_prompt_none_without_a_session_is_login_required(server: RunningIdp) -> None:
    response = flow(server).authorize(prompt="none", state="s2")
    params = query_of(response.headers["location"])
    assert params["error"] == "login_required" and params["state"] == "s2"


def test_prompt_none_reuses_the_login_session_and_its_auth_time(server: RunningIdp) -> None:
    f = flow(server)
    first = verify(f.tokens(login_hint="alice")["id_token"], jwks(server), "RS256").claims
    second = verify(f.tokens(prompt="none")["id_token"], jwks(server), "RS256").claims
    assert second["sub"] == first["sub"] == "00u-alice"
    assert second["auth_time"] == first["auth_time"]


def test_prompt_none_for_another_user_than_the_sessions_is_login_required(server: RunningIdp) -> None:
    f = flow(server)
    f.tokens(login_hint="alice")
    response = f.authorize(prompt="none", login_hint="bob", state="s3")
    params = query_of(response.headers["location"])
    assert params["error"] == "login_required" and params["state"] == "s3"
    assert "another user" in params["error_description"]
    same_user = verify(f.tokens(prompt="none", login_hint="alice")["id_token"], jwks(server), "RS256").claims
    assert same_user["sub"] == "00u-alice"


def test_a_login_hint_for_another_user_is_not_answered_from_the_session(server: RunningIdp) -> None:
    f = flow(server)
    f.tokens(login_hint="alice")
    assert verify(f.tokens(login_hint="bob")["access_token"], jwks(server), "RS256").claims["sub"] == "bob"


def test_prompt_login_shows_the_login_page_despite_a_session(server: RunningIdp) -> None:
    f = flow(server)
    f.tokens(login_hint="alice")
    assert f.authorize(prompt="login").status_code == 200


def test_a_configured_default_login_user_needs_no_page() -> None:
    with running(clients=[spa_client()], users=USERS, default_login_user="bob") as idp:
        body = flow(idp).tokens()
        assert verify(body["access_token"], jwks(idp), "RS256").claims["sub"] == "bob"


def test_the_session_cookie_is_http_only_and_scoped_to_the_issuer_path() -> None:
    with running(clients=[spa_client()], issuer=None) as idp:
        response = flow(idp).authorize(login_hint="alice")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie


def test_config_refuses_a_code_client_without_redirect_uris() -> None:
    from oidc_idp.errors import ConfigError

    with pytest.raises(ConfigError, match="redirect_uris"), running(clients=[spa_client(redirect_uris=[])]):
        pass


def test_config_refuses_a_public_client_without_pkce() -> None:
    from oidc_idp.errors import ConfigError

    with pytest.raises(ConfigError, match="PKCE"), running(clients=[spa_client(require_pkce=False)]):
        pass


def test_a_login_posted_from_another_origin_is_refused(server: RunningIdp) -> None:
    f = flow(server)
    form = {**hidden_fields(f.authorize().text), "login_user": "alice", "login_action": "login"}
    forged = f.http.post(server.issuer + "/authorize", data=form, headers={"Origin": "http://evil.test"})
    assert forged.status_code == 403 and "location" not in forged.headers
    same = f.http.post(server.issuer + "/authorize", data=form, headers={"Origin": server.base_url})
    assert same.status_code == 302


def test_userinfo_answers_the_claims_added_at_login(server: RunningIdp) -> None:
    f = flow(server)
    form = {**hidden_fields(f.authorize().text), "login_typed": "dora", "login_claims": "team=blue", "login_action": "login"}
    code = query_of(f.http.post(server.issuer + "/authorize", data=form).headers["location"])["code"]
    access = f.exchange(code).json()["access_token"]
    response = httpx.get(server.issuer + "/userinfo", headers={"Authorization": f"Bearer {access}"}, timeout=5)
    assert response.json() == {"sub": "dora", "team": "blue"}
