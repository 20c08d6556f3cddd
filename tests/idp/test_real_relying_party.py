"""A real relying party logs in to the zero-config IdP: Authlib's Starlette client, over real HTTP on loopback.

The server side of this project uses authlib's AuthorizationServer, never its web-framework
client: ``authlib.integrations.starlette_client.OAuth`` reads discovery, runs the code flow
(with and without PKCE), checks the ID token and its nonce, calls userinfo, refreshes and
logs out (RP-Initiated Logout 1.0, back to the app), as a web app built on it would.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from authlib.integrations.starlette_client import OAuth
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oidc_idp import RunningIdp, running

SCOPE = "openid profile email offline_access"


def relying_party(discovery_url: str, client_id: str, client_secret: str | None) -> Starlette:
    """A minimal web app: /login, /callback, /me (userinfo), /refresh, /logout and /logged-out."""
    oauth = OAuth()
    client_kwargs: dict[str, Any] = {"scope": SCOPE}
    if client_secret is None:  # a public client: no secret, PKCE S256
        client_kwargs |= {"token_endpoint_auth_method": "none", "code_challenge_method": "S256"}
    oauth.register("idp", client_id=client_id, client_secret=client_secret, server_metadata_url=discovery_url, client_kwargs=client_kwargs)
    idp = oauth.create_client("idp")
    state: dict[str, Any] = {}  # one user; tokens are too big for the session cookie

    async def login(request: Request) -> Response:
        hint = request.query_params.get("hint")
        response: Response = await idp.authorize_redirect(
            request, str(request.url_for("callback")), **({"login_hint": hint} if hint else {})
        )
        return response

    async def callback(request: Request) -> Response:
        # authlib checks state, exchanges the code and validates the ID token (signature, iss, aud, exp, nonce).
        token = await idp.authorize_access_token(request)
        state["token"] = token
        return JSONResponse({"claims": dict(token["userinfo"]), "has_refresh_token": "refresh_token" in token})

    async def me(request: Request) -> Response:
        return JSONResponse(dict(await idp.userinfo(token=state["token"])))

    async def refresh(request: Request) -> Response:
        old = state["token"]
        new = await idp.fetch_access_token(grant_type="refresh_token", refresh_token=old["refresh_token"])
        state["token"] = {**old, **new}
        return JSONResponse(
            {
                "new_access_token": new["access_token"] != old["access_token"],
                "refresh_rotated": new["refresh_token"] != old["refresh_token"],
            }
        )

    async def logout(request: Request) -> Response:
        back = str(request.url_for("logged_out"))
        response: Response = await idp.logout_redirect(request, post_logout_redirect_uri=back, id_token_hint=state["token"]["id_token"])
        return response

    async def logged_out(request: Request) -> Response:
        await idp.validate_logout_response(request)  # the state authlib sent came back
        return JSONResponse({"logged_out": True})

    routes = [
        Route("/login", login),
        Route("/callback", callback, name="callback"),
        Route("/me", me),
        Route("/refresh", refresh),
        Route("/logout", logout),
        Route("/logged-out", logged_out, name="logged_out"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SessionMiddleware, secret_key="test-only-session-key")])


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """uvicorn in a thread on 127.0.0.1, an ephemeral port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the relying party did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def idp() -> Iterator[RunningIdp]:
    with running() as server:  # the zero-config IdP
        yield server


def log_in(browser: httpx.Client, app_url: str, hint: str | None) -> tuple[httpx.Response, dict[str, list[str]]]:
    """Follow the redirects as a browser would; return the app's callback answer and the authorization request."""
    start = browser.get(app_url + "/login", params={"hint": hint} if hint else None)
    assert start.status_code == 302, start.text
    request = parse_qs(urlsplit(start.headers["location"]).query)
    return browser.get(start.headers["location"], follow_redirects=True), request


@pytest.mark.parametrize(("client_id", "secret"), [("demo-client", "demo-secret"), ("demo-spa", None)], ids=["confidential", "public_pkce"])
def test_authlib_starlette_client_logs_in_refreshes_and_logs_out(idp: RunningIdp, client_id: str, secret: str | None) -> None:
    with serving(relying_party(idp.discovery_url, client_id, secret)) as app_url, httpx.Client(timeout=10) as browser:
        answer, request = log_in(browser, app_url, hint="demo")
        assert answer.status_code == 200, answer.text
        assert request["redirect_uri"] == [app_url + "/callback"] and "nonce" in request
        # authlib sends PKCE only when told to: the confidential client's request has none.
        assert ("code_challenge" in request) is (secret is None)
        body = answer.json()
        assert body["claims"]["sub"] == "demo@example.com" and body["claims"]["aud"] == client_id
        assert body["claims"]["iss"] == idp.issuer and body["has_refresh_token"]
        assert body["claims"]["nonce"] == request["nonce"][0]  # the nonce authlib sent, and checked
        me = browser.get(app_url + "/me").json()
        assert me["sub"] == "demo@example.com" and me["email"] == "demo@example.com"
        assert browser.get(app_url + "/refresh").json() == {"new_access_token": True, "refresh_rotated": True}
        assert browser.get(app_url + "/me").status_code == 200  # the refreshed access token works
        out = browser.get(app_url + "/logout", follow_redirects=True)
        assert out.json() == {"logged_out": True}
        assert str(out.url).startswith(app_url + "/logged-out?state=")
        # The login session ended: prompt=none now fails (with PKCE, which demo-spa requires).
        silent = {"response_type": "code", "client_id": client_id, "redirect_uri": app_url + "/callback", "prompt": "none"}
        again = browser.get(idp.issuer + "/authorize", params={**silent, "code_challenge": "c" * 43, "code_challenge_method": "S256"})
        assert parse_qs(urlsplit(again.headers["location"]).query)["error"] == ["login_required"]


def test_with_a_default_login_user_the_app_logs_in_without_hint_or_page() -> None:
    with (
        running(default_login_user="demo") as idp,
        serving(relying_party(idp.discovery_url, "demo-client", "demo-secret")) as app_url,
        httpx.Client(timeout=10) as browser,
    ):
        answer, request = log_in(browser, app_url, hint=None)
    assert "login_hint" not in request
    assert answer.status_code == 200 and answer.json()["claims"]["sub"] == "demo@example.com"


def test_the_app_refuses_a_callback_from_an_earlier_login(idp: RunningIdp) -> None:
    # The relying party really checks: a callback replayed into a newer login (new state and nonce) fails in authlib.
    with serving(relying_party(idp.discovery_url, "demo-client", "demo-secret")) as app_url, httpx.Client(timeout=10) as browser:
        start = browser.get(app_url + "/login", params={"hint": "demo"})
        callback = browser.get(start.headers["location"]).headers["location"]
        browser.get(app_url + "/login", params={"hint": "demo"})  # a second login replaces the first's state
        replay = browser.get(callback)
    assert replay.status_code >= 400
