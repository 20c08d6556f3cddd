"""CORS: by default the configured clients' redirect URI origins may call the IdP from a browser, nobody else."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from codeflow import APP_ORIGIN, spa_client
from oidc_idp import RunningIdp, running

PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


@pytest.fixture(scope="module")
def server() -> Iterator[RunningIdp]:
    with running(clients=[spa_client()]) as idp:
        yield idp


def preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(url, headers={"Origin": origin, **PREFLIGHT}, timeout=5)


def test_a_preflight_from_a_client_origin_is_allowed(server: RunningIdp) -> None:
    response = preflight(server.token_endpoint, APP_ORIGIN)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]


def test_a_preflight_from_another_origin_is_refused(server: RunningIdp) -> None:
    response = preflight(server.token_endpoint, "http://evil.test")
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_a_simple_request_from_a_client_origin_gets_the_allow_origin_header(server: RunningIdp) -> None:
    allowed = httpx.get(server.jwks_uri, headers={"Origin": APP_ORIGIN}, timeout=5)
    other = httpx.get(server.jwks_uri, headers={"Origin": "http://evil.test"}, timeout=5)
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "access-control-allow-origin" not in other.headers


def test_configured_origins_replace_the_default() -> None:
    with running(clients=[spa_client()], cors_allowed_origins=["http://dashboard.test"]) as idp:
        assert preflight(idp.token_endpoint, "http://dashboard.test").status_code == 200
        assert preflight(idp.token_endpoint, APP_ORIGIN).status_code == 400


def test_without_any_client_origin_no_cross_origin_call_is_allowed() -> None:
    # A client without redirect URIs: the default clients now allow loopback origins (tests/idp/test_zero_config_code_flow.py).
    with running(clients=[{"client_id": "m2m", "client_secret": "m2m-secret"}]) as idp:
        response = preflight(idp.token_endpoint, APP_ORIGIN)
        loopback = preflight(idp.token_endpoint, "http://localhost:3000")
    assert "access-control-allow-origin" not in response.headers
    assert response.status_code >= 400
    assert "access-control-allow-origin" not in loopback.headers
