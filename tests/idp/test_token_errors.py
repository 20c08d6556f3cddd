"""Every bad token request answers RFC 6749 section 5.2 JSON, never a traceback."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from oidc_idp import RunningIdp, running

GOOD = {"grant_type": "client_credentials"}
CLIENT = ("demo-client", "demo-secret")

CASES: list[tuple[str, dict[str, Any], int, str]] = [
    ("wrong_secret_with_basic", {"data": GOOD, "auth": ("demo-client", "nope")}, 401, "invalid_client"),
    ("unknown_client_with_basic", {"data": GOOD, "auth": ("who", "demo-secret")}, 401, "invalid_client"),
    ("wrong_secret_with_post", {"data": {**GOOD, "client_id": "demo-client", "client_secret": "nope"}}, 401, "invalid_client"),
    ("unknown_client_with_post", {"data": {**GOOD, "client_id": "who", "client_secret": "x"}}, 401, "invalid_client"),
    ("no_client_authentication", {"data": GOOD}, 401, "invalid_client"),
    ("unknown_grant_type", {"data": {"grant_type": "urn:example:magic"}, "auth": CLIENT}, 400, "unsupported_grant_type"),
    ("missing_grant_type", {"data": {"scope": "openid"}, "auth": CLIENT}, 400, "invalid_request"),
    ("password_grant_without_password", {"data": {"grant_type": "password", "username": "demo"}, "auth": CLIENT}, 400, "invalid_request"),
    (
        "password_grant_with_wrong_password",
        {"data": {"grant_type": "password", "username": "demo", "password": "x"}, "auth": CLIENT},
        400,
        "invalid_grant",
    ),
    (
        "password_grant_with_unknown_user",
        {"data": {"grant_type": "password", "username": "nobody", "password": "demo-password"}, "auth": CLIENT},
        400,
        "invalid_grant",
    ),
    ("scope_the_client_may_not_ask_for", {"data": {**GOOD, "scope": "admin"}, "auth": CLIENT}, 400, "invalid_scope"),
    ("json_instead_of_a_form", {"json": GOOD, "auth": CLIENT}, 400, "invalid_request"),
    ("no_content_type", {"content": b"grant_type=client_credentials", "auth": CLIENT}, 400, "invalid_request"),
    (
        "malformed_form_body",
        {"content": b"grant_type", "headers": {"content-type": "application/x-www-form-urlencoded"}, "auth": CLIENT},
        400,
        "invalid_request",
    ),
    (
        "body_that_is_not_utf8",
        {"content": b"grant_type=\xff\xfe", "headers": {"content-type": "application/x-www-form-urlencoded"}, "auth": CLIENT},
        400,
        "invalid_request",
    ),
    (
        "repeated_parameter",
        {
            "content": b"grant_type=client_credentials&grant_type=password",
            "headers": {"content-type": "application/x-www-form-urlencoded"},
            "auth": CLIENT,
        },
        400,
        "invalid_request",
    ),
    (
        "two_client_authentication_methods_at_once",
        {"data": {**GOOD, "client_id": "demo-client", "client_secret": "demo-secret"}, "auth": CLIENT},
        400,
        "invalid_request",
    ),
    (
        "body_larger_than_the_cap",
        {"data": {**GOOD, "pad": "x" * 70_000}, "auth": CLIENT},
        413,
        "invalid_request",
    ),
]


@pytest.mark.parametrize(("kwargs", "status", "error"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_token_request_gets_the_right_oauth_error(idp_server: RunningIdp, kwargs: dict[str, Any], status: int, error: str) -> None:
    response = httpx.post(idp_server.token_endpoint, timeout=5, **kwargs)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert "Traceback" not in response.text
    assert response.headers["cache-control"] == "no-store"
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic ")


def test_a_client_not_allowed_a_grant_is_unauthorized_client() -> None:
    clients = [{"client_id": "m2m", "client_secret": "s", "grant_types": ["client_credentials"]}]
    with running(clients=clients) as server:
        data = {"grant_type": "password", "username": "demo", "password": "demo-password"}
        response = httpx.post(server.token_endpoint, data=data, auth=("m2m", "s"), timeout=5)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_a_client_restricted_to_post_auth_cannot_use_basic() -> None:
    clients = [{"client_id": "p", "client_secret": "s", "token_endpoint_auth_methods": ["client_secret_post"]}]
    with running(clients=clients) as server:
        basic = httpx.post(server.token_endpoint, data=GOOD, auth=("p", "s"), timeout=5)
        post = httpx.post(server.token_endpoint, data={**GOOD, "client_id": "p", "client_secret": "s"}, timeout=5)
    assert basic.status_code == 401
    assert post.status_code == 200


def test_get_on_the_token_endpoint_is_method_not_allowed_json(idp_server: RunningIdp) -> None:
    response = httpx.get(idp_server.token_endpoint, timeout=5)
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response.headers["allow"] == "POST"


def test_an_unknown_path_is_json_not_found(idp_server: RunningIdp) -> None:
    response = httpx.get(idp_server.base_url + "/nope", timeout=5)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
