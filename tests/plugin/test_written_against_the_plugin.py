"""A small suite written only against the pytest plugin, as a user of this project would write it."""

from __future__ import annotations

import ssl
import unittest

import httpx
import jwt
import pytest

from oidc_idp import running


def _verify(oidc_idp, token: str) -> dict:  # type: ignore[no-untyped-def]
    jwks = jwt.PyJWKClient(oidc_idp.jwks_uri, cache_jwk_set=False)
    key = jwks.get_signing_key_from_jwt(token)
    return dict(jwt.decode(token, key, algorithms=["RS256", "ES256", "PS256", "EdDSA"], audience="https://qualys.example/api"))


def test_the_fixture_gives_a_running_idp_with_discovery(oidc_idp) -> None:  # type: ignore[no-untyped-def]
    doc = httpx.get(oidc_idp.issuer + "/.well-known/openid-configuration", timeout=5).json()
    assert doc["issuer"] == oidc_idp.issuer
    assert doc["jwks_uri"] == oidc_idp.jwks_uri
    assert doc["token_endpoint"] == oidc_idp.token_endpoint


def test_issue_mints_a_token_my_code_can_verify(oidc_idp) -> None:  # type: ignore[no-untyped-def]
    token = oidc_idp.issue(sub="alice", claims={"preferred_username": "alice@corp"}, ttl=60)
    claims = _verify(oidc_idp, token)
    assert claims["sub"] == "alice" and claims["preferred_username"] == "alice@corp"
    assert claims["exp"] - claims["iat"] == 60


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "EdDSA"])
def test_issue_signs_with_the_algorithm_asked_for(oidc_idp, alg: str) -> None:  # type: ignore[no-untyped-def]
    token = oidc_idp.issue(sub="bob", alg=alg)
    assert jwt.get_unverified_header(token)["alg"] == alg
    assert _verify(oidc_idp, token)["sub"] == "bob"


def test_rotate_changes_the_kid_and_old_tokens_still_verify(oidc_idp) -> None:  # type: ignore[no-untyped-def]
    old = oidc_idp.issue(sub="carol")
    new_kid = oidc_idp.rotate()
    new = oidc_idp.issue(sub="carol")
    assert jwt.get_unverified_header(new)["kid"] == new_kid != jwt.get_unverified_header(old)["kid"]
    assert _verify(oidc_idp, old)["sub"] == _verify(oidc_idp, new)["sub"] == "carol"


def test_a_scenario_applies_inside_the_block_only(oidc_idp) -> None:  # type: ignore[no-untyped-def]
    with oidc_idp.scenario("expired_tokens"):
        expired = oidc_idp.issue(sub="dave")
    with pytest.raises(jwt.ExpiredSignatureError):
        _verify(oidc_idp, expired)
    assert _verify(oidc_idp, oidc_idp.issue(sub="dave"))["sub"] == "dave"


def test_the_token_endpoint_works_like_a_real_idp(oidc_idp) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(
        oidc_idp.token_endpoint, data={"grant_type": "client_credentials"}, auth=("demo-client", "demo-secret"), timeout=5
    )
    assert _verify(oidc_idp, response.json()["access_token"])["sub"] == "demo-client"


@pytest.mark.oidc_idp(tls=True, alg="ES256")
def test_a_marker_turns_on_tls_and_gives_the_ca_file(oidc_idp) -> None:  # type: ignore[no-untyped-def]
    assert oidc_idp.issuer.startswith("https://")
    trust = ssl.create_default_context(cafile=str(oidc_idp.ca_file))
    body = httpx.post(
        oidc_idp.token_endpoint, data={"grant_type": "client_credentials"}, auth=("demo-client", "demo-secret"), verify=trust, timeout=5
    ).json()
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "ES256"


@pytest.mark.oidc_idp(profile="entra-v2")
def test_a_marker_selects_a_vendor_profile(oidc_idp) -> None:  # type: ignore[no-untyped-def]
    assert oidc_idp.issuer.endswith("/v2.0")


def test_the_fixture_starts_from_pre_generated_keys_without_generating_any(oidc_idp) -> None:  # type: ignore[no-untyped-def]
    from oidc_idp.run.pytest_plugin import TEST_KEYS

    published = {k["kid"] for k in httpx.get(oidc_idp.jwks_uri, timeout=5).json()["keys"]}
    assert published == {p.name.removesuffix(".key.pem") for p in TEST_KEYS.glob("*.key.pem")}


def test_add_user_and_set_clock_are_the_control_apis_operations(oidc_idp) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    oidc_idp.add_user("frank", password="frank-pw", sub="00u-frank", claims={"preferred_username": "frank@corp"})
    oidc_idp.set_clock(fixed=datetime(2027, 1, 1, tzinfo=UTC))
    data = {"grant_type": "password", "username": "frank", "password": "frank-pw"}
    body = httpx.post(oidc_idp.token_endpoint, data=data, auth=("demo-client", "demo-secret"), timeout=5).json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == "00u-frank" and claims["preferred_username"] == "frank@corp"
    assert claims["iat"] == int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())


@pytest.mark.oidc_idp(
    clients=[
        {
            "client_id": "spa",
            "token_endpoint_auth_methods": ["none"],
            "grant_types": ["authorization_code"],
            "redirect_uris": ["http://app.test/cb"],
        }
    ],
    default_login_user="demo",
)
def test_a_marker_configures_a_code_flow_client_with_a_headless_default_user(oidc_idp) -> None:  # type: ignore[no-untyped-def]
    doc = httpx.get(oidc_idp.discovery_url, timeout=5).json()
    params = {
        "response_type": "code",
        "client_id": "spa",
        "redirect_uri": "http://app.test/cb",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
        "scope": "openid",
    }
    response = httpx.get(doc["authorization_endpoint"], params=params, timeout=5)
    assert response.status_code == 302 and "code=" in response.headers["location"]


class WithoutPytest(unittest.TestCase):
    """The same IdP from unittest: ``with idp.running() as server``."""

    def test_running_gives_an_idp_in_a_plain_unittest(self) -> None:
        with running() as server:
            token = server.issue(sub="erin")
            self.assertEqual(jwt.get_unverified_header(token)["kid"], httpx.get(server.jwks_uri, timeout=5).json()["keys"][0]["kid"])
        with self.assertRaises(httpx.ConnectError):  # stopped when the block ends
            httpx.get(server.jwks_uri, timeout=5)


def test_the_session_fixture_is_one_idp_for_every_test_that_asks(oidc_idp_session, request) -> None:  # type: ignore[no-untyped-def]
    again = request.getfixturevalue("oidc_idp_session")
    assert again is oidc_idp_session
    assert _verify(oidc_idp_session, oidc_idp_session.issue(sub="frank"))["sub"] == "frank"
