"""Response modes query, fragment and form_post, for successes and errors; implicit and hybrid types refused in one sentence."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from codeflow import Flow, query_of
from oidc_idp import RunningIdp, running

REDIRECT = "http://localhost:3000/callback"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningIdp]:
    with running() as idp:
        yield idp


def flow(server: RunningIdp, redirect_uri: str = REDIRECT) -> Flow:
    return Flow(server.issuer + "/authorize", server.token_endpoint, "demo-client", redirect_uri)


def form_fields(page: str) -> dict[str, str]:
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return {html.unescape(k): html.unescape(v) for k, v in found}


def fragment_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


def test_discovery_lists_the_three_response_modes(server: RunningIdp) -> None:
    doc = httpx.get(server.discovery_url, timeout=5).json()
    assert doc["response_modes_supported"] == ["query", "fragment", "form_post"]


def test_query_is_the_default_for_code(server: RunningIdp) -> None:
    response = flow(server).authorize(login_hint="demo", state="st")
    location = urlsplit(response.headers["location"])
    assert query_of(response.headers["location"])["state"] == "st" and "code" in query_of(response.headers["location"])
    assert not location.fragment


def test_fragment_mode_puts_code_state_and_iss_in_the_fragment(server: RunningIdp) -> None:
    app = flow(server, REDIRECT + "?keep=1")
    response = app.authorize(login_hint="demo", state="st", response_mode="fragment")
    location = urlsplit(response.headers["location"])
    got = fragment_of(response.headers["location"])
    assert location.query == "keep=1"
    assert got["state"] == "st" and got["iss"] == server.issuer
    assert app.exchange(got["code"], auth=("demo-client", "demo-secret")).status_code == 200


def test_form_post_answers_an_auto_submitting_form_to_the_redirect_uri(server: RunningIdp) -> None:
    app = flow(server)
    response = app.authorize(login_hint="demo", state="st", response_mode="form_post")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert f'<form id="form-post" method="post" action="{REDIRECT}">' in response.text
    fields = form_fields(response.text)
    assert fields["state"] == "st" and fields["iss"] == server.issuer
    assert 'id="form-post-submit"' in response.text  # the button, for when scripts are off
    assert app.exchange(fields["code"], auth=("demo-client", "demo-secret")).status_code == 200


def test_the_form_post_script_is_allowed_by_its_hash_and_nothing_else_is(server: RunningIdp) -> None:
    response = flow(server).authorize(login_hint="demo", response_mode="form_post")
    csp = response.headers["content-security-policy"]
    scripts = re.findall(r"<script>(.*?)</script>", response.text)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline' " not in csp.split("script-src")[1]
    assert response.headers["cache-control"] == "no-store"


def test_form_post_escapes_the_values_it_carries(server: RunningIdp) -> None:
    response = flow(server).authorize(login_hint="demo", state='"><script>alert(1)</script>', response_mode="form_post")
    assert "<script>alert(1)" not in response.text
    assert form_fields(response.text)["state"] == '"><script>alert(1)</script>'


@pytest.mark.parametrize("mode", ["query", "fragment", "form_post"])
def test_an_error_is_delivered_in_the_requested_mode(server: RunningIdp, mode: str) -> None:
    response = flow(server).authorize(login_hint="demo", scope="openid admin", state="st", response_mode=mode)
    if mode == "form_post":
        got = form_fields(response.text)
    else:
        location = response.headers["location"]
        got = query_of(location) if mode == "query" else fragment_of(location)
    assert got["error"] == "invalid_scope" and got["state"] == "st" and got["iss"] == server.issuer


def test_an_unknown_response_mode_is_invalid_request_in_the_query(server: RunningIdp) -> None:
    response = flow(server).authorize(login_hint="demo", response_mode="web_message")
    got = query_of(response.headers["location"])
    assert got["error"] == "invalid_request" and "response_mode" in got["error_description"]
    assert "code" not in got


@pytest.mark.parametrize("response_type", ["id_token", "token", "code id_token", "id_token token"])
def test_implicit_and_hybrid_response_types_are_refused_in_one_clear_sentence(server: RunningIdp, response_type: str) -> None:
    response = flow(server).authorize(login_hint="demo", response_type=response_type)
    got = fragment_of(response.headers["location"])  # their default mode is the fragment
    assert got["error"] == "unsupported_response_type"
    assert got["error_description"] == (
        f"response_type '{response_type}' is not supported: this IdP offers the authorization code flow only (response_type=code)"
    )


def test_an_unsupported_response_type_from_an_unknown_client_is_an_error_page(server: RunningIdp) -> None:
    response = httpx.get(
        server.issuer + "/authorize", params={"response_type": "id_token", "client_id": "nobody", "redirect_uri": REDIRECT}
    )
    assert response.status_code == 400 and "location" not in response.headers
    assert "offers the authorization code flow only" in response.text


def test_a_missing_response_type_is_invalid_request(server: RunningIdp) -> None:
    response = flow(server).authorize(login_hint="demo", response_type="")
    got = query_of(response.headers["location"])
    assert got["error"] == "invalid_request" and "response_type is missing" in got["error_description"]


def test_a_response_type_with_odd_characters_is_not_echoed(server: RunningIdp) -> None:
    response = flow(server).authorize(login_hint="demo", response_type="<b>x</b>")
    got = query_of(response.headers["location"])
    assert got["error"] == "unsupported_response_type" and "<b>" not in got["error_description"]


def test_a_configured_client_gets_form_post_too() -> None:
    client = {"client_id": "web", "client_secret": "s", "grant_types": ["authorization_code"], "redirect_uris": ["http://app.test/cb"]}
    with running(clients=[client]) as idp:
        app = Flow(idp.issuer + "/authorize", idp.token_endpoint, "web", "http://app.test/cb")
        response = app.authorize(login_hint="demo", response_mode="form_post")
        doc = httpx.get(idp.discovery_url, timeout=5).json()
    assert 'action="http://app.test/cb"' in response.text and "code" in form_fields(response.text)
    assert doc["response_modes_supported"] == ["query", "fragment", "form_post"]
