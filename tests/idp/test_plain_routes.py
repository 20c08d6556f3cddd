"""The plain (non-FastAPI) endpoints behave like the rest of the app: same errors, same middleware."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt
import pytest

from oidc_idp import RunningIdp, build_config
from oidc_idp.oauth.server import TokenServer
from oidc_idp.web.app import create_app

CLIENT = ("demo-client", "demo-secret")


@pytest.mark.anyio
async def test_a_crash_inside_the_token_endpoint_is_server_error_json_without_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(*_: object) -> None:
        raise RuntimeError("secret internals /home/someone/key.pem")

    # Each issuer's token server is built with the app, so the class is where a test can reach it.
    monkeypatch.setattr(TokenServer, "create_token_response", crash)
    app = create_app(build_config({"issuer": "http://127.0.0.1:9", "keys_dir": tmp_path}))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9") as client:
        response = await client.post("/token", data={"grant_type": "client_credentials"}, auth=CLIENT)
    assert response.status_code == 500
    assert response.json() == {"error": "server_error", "error_description": "internal error; see the IdP's log"}
    assert "secret internals" not in response.text
    assert "secret internals" in caplog.text  # the traceback stays in the server's log


@pytest.mark.anyio
async def test_a_path_that_only_resembles_a_plain_endpoint_falls_through_to_json_not_found(tmp_path: Path) -> None:
    app = create_app(build_config({"issuer": "http://127.0.0.1:9", "keys_dir": tmp_path}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:9") as client:
        response = await client.post("/token/", data={"grant_type": "client_credentials"}, auth=CLIENT)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.anyio
async def test_each_issuer_of_a_multi_issuer_server_answers_its_own_token_endpoint(tmp_path: Path) -> None:
    config = build_config({"issuer": "http://127.0.0.1:9", "keys_dir": tmp_path, "issuers": [{"id": "second"}]})
    app = create_app(config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:9") as client:
        first = await client.post("/token", data={"grant_type": "client_credentials"}, auth=CLIENT)
        second = await client.post("/second/token", data={"grant_type": "client_credentials"}, auth=CLIENT)
    assert first.status_code == second.status_code == 200
    assert issuer_of(first.json()["access_token"]) == "http://127.0.0.1:9"
    assert issuer_of(second.json()["access_token"]) == "http://127.0.0.1:9/second"


def issuer_of(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["iss"])


def test_head_on_the_jwks_and_discovery_answers_their_headers_without_a_body(idp_server: RunningIdp) -> None:
    for url in (idp_server.jwks_uri, idp_server.discovery_url):
        head, get = httpx.head(url, timeout=5), httpx.get(url, timeout=5)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == get.headers["content-length"] != "0"
        assert head.headers["content-type"] == get.headers["content-type"]


def test_other_methods_on_the_jwks_are_405_naming_the_allowed_ones(idp_server: RunningIdp) -> None:
    response = httpx.post(idp_server.jwks_uri, timeout=5)
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
    assert response.json()["error"] == "method_not_allowed"
