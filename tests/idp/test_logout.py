"""RP-initiated logout ends the login session; a post-logout redirect goes only to a registered URI."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from codeflow import APP_ORIGIN, Flow, query_of, spa_client
from oidc_idp import RunningIdp, running

BYE = APP_ORIGIN + "/bye"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningIdp]:
    with running(clients=[spa_client(), spa_client(client_id="other", post_logout_redirect_uris=[])]) as idp:
        yield idp


def logged_in(server: RunningIdp) -> tuple[Flow, str]:
    flow = Flow(server.issuer + "/authorize", server.token_endpoint)
    id_token = flow.tokens(login_hint="demo")["id_token"]
    assert flow.authorize(prompt="none").status_code == 302
    assert "code" in query_of(flow.authorize(prompt="none").headers["location"])
    return flow, str(id_token)


def test_logout_ends_the_session_so_prompt_none_gets_login_required(server: RunningIdp) -> None:
    flow, id_token = logged_in(server)
    response = flow.http.get(server.issuer + "/logout", params={"id_token_hint": id_token})
    assert response.status_code == 200 and 'id="logged-out"' in response.text
    assert query_of(flow.authorize(prompt="none").headers["location"])["error"] == "login_required"


def test_the_session_is_ended_on_the_server_not_only_by_deleting_the_cookie(server: RunningIdp) -> None:
    flow, _ = logged_in(server)
    cookies = dict(flow.http.cookies)
    flow.http.get(server.issuer + "/logout")
    replay = httpx.Client(cookies=cookies, timeout=5, follow_redirects=False)
    replayed = Flow(server.issuer + "/authorize", server.token_endpoint, http=replay)
    assert query_of(replayed.authorize(prompt="none").headers["location"])["error"] == "login_required"


def test_a_registered_post_logout_redirect_uri_is_followed_with_the_state(server: RunningIdp) -> None:
    flow, id_token = logged_in(server)
    response = flow.http.get(
        server.issuer + "/logout", params={"id_token_hint": id_token, "post_logout_redirect_uri": BYE, "state": "bye-1"}
    )
    assert response.status_code == 302
    assert response.headers["location"] == BYE + "?state=bye-1"


def test_client_id_identifies_the_client_without_an_id_token_hint(server: RunningIdp) -> None:
    flow, _ = logged_in(server)
    response = flow.http.post(server.issuer + "/logout", data={"client_id": "spa", "post_logout_redirect_uri": BYE})
    assert response.status_code == 302 and response.headers["location"] == BYE


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "spa", "post_logout_redirect_uri": "http://evil.test/bye"},
        {"client_id": "other", "post_logout_redirect_uri": BYE},
        {"post_logout_redirect_uri": BYE},
        {"id_token_hint": "not-a-token", "post_logout_redirect_uri": BYE},
    ],
    ids=["unregistered_uri", "registered_for_another_client", "no_client", "bad_id_token_hint"],
)
def test_an_unverifiable_post_logout_redirect_gets_an_error_page(server: RunningIdp, params: dict[str, str]) -> None:
    response = httpx.get(server.issuer + "/logout", params=params, timeout=5, follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


def test_an_id_token_hint_for_another_client_than_client_id_is_refused(server: RunningIdp) -> None:
    _, id_token = logged_in(server)
    response = httpx.get(server.issuer + "/logout", params={"id_token_hint": id_token, "client_id": "other"}, timeout=5)
    assert response.status_code == 400


def test_logout_without_a_session_still_answers_the_signed_out_page(server: RunningIdp) -> None:
    response = httpx.get(server.issuer + "/logout", timeout=5)
    assert response.status_code == 200 and 'id="logged-out"' in response.text
