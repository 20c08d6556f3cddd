"""End to end in a real headless Chromium: a user clicks through the login page and the app gets tokens.

Needs Debian's ``chromium`` and ``chromium-driver`` and PyPI's ``selenium``; when any is
missing this test fails (never skips) and says how to install them.
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from chromium import BrowserMissing, browser
from codeflow import pkce_pair, query_of
from crosscheck import verify
from oidc_idp import running

USERS = [
    {"username": "alice", "password": "alice-pw", "sub": "00u-alice"},
    {"username": "bob", "password": "bob-pw", "sub": "00u-bob", "claims": {"email": "bob@example.com"}},
]


class _Callback(BaseHTTPRequestHandler):
    """The relying party's redirect URI: a page that says it was reached (and, for a POST, what was posted)."""

    def do_GET(self) -> None:
        self._answer(b'<!doctype html><html><body><h1 id="callback">callback reached</h1></body></html>')

    def do_POST(self) -> None:
        # response_mode=form_post: the response parameters arrive as a form body.
        length = int(self.headers.get("Content-Length", "0"))
        posted = dict(parse_qsl(self.rfile.read(length).decode()))
        echoed = html.escape(json.dumps(posted))
        self._answer(
            f'<!doctype html><html><body><h1 id="callback">callback reached</h1><pre id="posted">{echoed}</pre></body></html>'.encode()
        )

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def callback_server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Callback)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/callback"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@contextmanager
def chromium() -> Iterator[Any]:
    try:
        with browser() as driver:
            yield driver
    except BrowserMissing as missing:
        pytest.fail(str(missing), pytrace=False)


def spa_for(redirect_uri: str) -> dict[str, Any]:
    return {
        "client_id": "spa",
        "token_endpoint_auth_methods": ["none"],
        "grant_types": ["authorization_code"],
        "redirect_uris": [redirect_uri],
    }


def test_a_user_picks_a_user_adds_a_claim_and_the_redirect_carries_a_code_that_buys_tokens() -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    with callback_server() as redirect_uri, running(clients=[spa_for(redirect_uri)], users=USERS) as idp, chromium() as browser:
        verifier, challenge = pkce_pair()
        query = {
            "response_type": "code",
            "client_id": "spa",
            "redirect_uri": redirect_uri,
            "scope": "openid profile email",
            "state": "state-from-the-browser",
            "nonce": "nonce-from-the-browser",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        browser.get(idp.issuer + "/authorize?" + urlencode(query))
        wait = WebDriverWait(browser, 20)
        wait.until(lambda d: d.find_elements(By.ID, "login-user"))
        assert "Sign in to the test IdP" in browser.page_source

        Select(browser.find_element(By.ID, "login-user")).select_by_value("bob")
        browser.find_element(By.ID, "login-claims").send_keys("department=quality\nclearance=3")
        browser.find_element(By.ID, "login-submit").click()

        wait.until(lambda d: d.current_url.startswith(redirect_uri))
        assert browser.find_element(By.ID, "callback").text == "callback reached"
        params = query_of(browser.current_url)
        assert params["state"] == "state-from-the-browser" and params["iss"] == idp.issuer

        exchange = {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": redirect_uri, "client_id": "spa"}
        response = httpx.post(idp.token_endpoint, data={**exchange, "code_verifier": verifier}, timeout=5)
        assert response.status_code == 200, response.text
        jwks = httpx.get(idp.jwks_uri, timeout=5).json()
        id_token = verify(response.json()["id_token"], jwks, "RS256").claims
        access = verify(response.json()["access_token"], jwks, "RS256").claims

        # The browser kept the login session: a second request with prompt=none needs no page.
        browser.get(idp.issuer + "/authorize?" + urlencode({**query, "prompt": "none", "state": "again"}))
        wait.until(lambda d: d.current_url.startswith(redirect_uri))
        assert "code" in query_of(browser.current_url) and query_of(browser.current_url)["state"] == "again"

    assert id_token["sub"] == access["sub"] == "00u-bob"
    assert id_token["nonce"] == "nonce-from-the-browser"
    assert id_token["department"] == access["department"] == "quality"
    assert access["clearance"] == 3 and access["email"] == "bob@example.com"


def test_the_zero_config_idp_answers_form_post_with_a_form_that_submits_itself_under_its_csp() -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # No config: demo-spa accepts the callback server's loopback URI, any port.
    with callback_server() as redirect_uri, running() as idp, chromium() as browser:
        verifier, challenge = pkce_pair()
        query = {
            "response_type": "code",
            "response_mode": "form_post",
            "client_id": "demo-spa",
            "redirect_uri": redirect_uri,
            "scope": "openid profile",
            "state": "posted-state",
            "nonce": "posted-nonce",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        browser.get(idp.issuer + "/authorize?" + urlencode(query))
        wait = WebDriverWait(browser, 20)
        wait.until(lambda d: d.find_elements(By.ID, "login-submit"))
        browser.find_element(By.ID, "login-submit").click()

        # Nothing else is clicked: the form_post page's script (allowed by its CSP hash) posts the form.
        wait.until(lambda d: d.find_elements(By.ID, "posted"))
        assert browser.current_url == redirect_uri  # a POST to the redirect URI itself: nothing in the URL
        posted = json.loads(browser.find_element(By.ID, "posted").text)
        assert posted["state"] == "posted-state" and posted["iss"] == idp.issuer

        exchange = {"grant_type": "authorization_code", "code": posted["code"], "redirect_uri": redirect_uri, "client_id": "demo-spa"}
        response = httpx.post(idp.token_endpoint, data={**exchange, "code_verifier": verifier}, timeout=5)
        assert response.status_code == 200, response.text
        id_token = verify(response.json()["id_token"], httpx.get(idp.jwks_uri, timeout=5).json(), "RS256").claims
    assert id_token["sub"] == "demo@example.com" and id_token["nonce"] == "posted-nonce"
