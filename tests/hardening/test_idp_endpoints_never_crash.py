"""Property tests on the IdP's form endpoints: whatever a client posts to the token, introspection and
revocation endpoints, or sends as authorize parameters, the answer is an OAuth answer (JSON, a redirect
or the error page), never a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgikit import request
from build import compact
from oidc_idp import build_config
from oidc_idp.web.app import IdpApp, create_app
from strategies import json_values as any_json

ISSUER = "http://127.0.0.1:9"

REDIRECT = "http://app.test/cb"
CLIENTS = [
    {"client_id": "demo-client", "client_secret": "demo-secret", "grant_types": ["client_credentials", "password", "refresh_token"]},
    {
        "client_id": "spa",
        "token_endpoint_auth_methods": ["none"],
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": [REDIRECT],
        "scopes": ["openid", "offline_access"],
    },
]
NAMES = [
    "grant_type", "client_id", "client_secret", "scope", "username", "password", "code", "redirect_uri", "code_verifier",
    "refresh_token", "client_assertion", "client_assertion_type", "assertion", "token", "token_type_hint", "response_type",
    "state", "nonce", "prompt", "login_hint", "max_age", "code_challenge", "code_challenge_method",
]  # fmt: skip
VALUES = st.sampled_from(
    ["client_credentials", "password", "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer",
     "demo-client", "spa", "demo-secret", "demo", "demo-password", "openid", "none", "login", "code", REDIRECT, "S256", "plain",
     "-1", "99999999999999999999", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", ""]
) | st.text(max_size=40)  # fmt: skip
json_values = any_json(max_leaves=8, max_text=10, floats=False)
members = st.sampled_from(["alg", "kid", "typ", "iss", "sub", "aud", "exp", "jti", "client_id"]) | st.text(max_size=3)
jwt_shaped = st.builds(
    lambda header, claims: compact(header, claims, b"sig"),
    st.dictionaries(members, json_values | st.sampled_from(["RS256", "none", "HS256"]), max_size=4),
    st.dictionaries(members, json_values | st.sampled_from([ISSUER, ISSUER + "/token", "demo-client"]), max_size=6),
)
VALUES = VALUES | jwt_shaped
forms = st.lists(st.tuples(st.sampled_from(NAMES) | st.text(max_size=6), VALUES), max_size=8)
basic = (
    st.none()
    | st.sampled_from([("demo-client", "demo-secret"), ("spa", ""), ("demo-client", "wrong")])
    | st.tuples(st.text(max_size=8), st.text(max_size=8))
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> IdpApp:
    config = {"issuer": ISSUER, "keys_dir": tmp_path_factory.mktemp("keys"), "clients": CLIENTS, "default_login_user": "demo"}
    return create_app(build_config(config))


@settings(deadline=None)
@given(st.sampled_from(["/token", "/introspect", "/revoke"]), forms, basic)
def test_any_form_post_gets_an_oauth_answer_never_a_500(app: IdpApp, path: str, form: list[tuple[str, str]], auth: Any) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = request(app, "POST", path, base_url=ISSUER, content=urlencode(form).encode(), headers=headers, auth=auth)
    assert response.status_code in (200, 400, 401, 413), response.text
    body = response.json()
    assert isinstance(body, dict)
    if response.status_code != 200:
        assert isinstance(body.get("error"), str) and isinstance(body.get("error_description"), str)


@settings(deadline=None)
@given(forms)
def test_any_authorize_query_gets_a_redirect_or_a_page_never_a_500(app: IdpApp, params: list[tuple[str, str]]) -> None:
    response = request(app, "GET", "/authorize?" + urlencode(params), base_url=ISSUER)
    assert response.status_code in (200, 302, 303, 400), response.text
