"""Vendor profiles shape the issuer, the endpoint paths, the JWKS and the claims like the real IdP."""

from __future__ import annotations

import httpx
import jwt
import pytest

from crosscheck import verify
from oidc_idp import RunningIdp, running
from oidc_idp.config import DEFAULT_TENANT_ID
from oidc_idp.variants.profiles import PROFILES

CLIENT = ("demo-client", "demo-secret")


def _tokens(server: RunningIdp) -> dict[str, str]:
    data = {"grant_type": "password", "username": "demo", "password": "demo-password", "scope": "openid profile"}
    token_endpoint = httpx.get(server.discovery_url, timeout=5).json()["token_endpoint"]
    response = httpx.post(token_endpoint, data=data, auth=CLIENT, timeout=5)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _claims(token: str) -> dict[str, object]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


ISSUER_SHAPES = {
    "generic": "",
    "entra-v2": f"/{DEFAULT_TENANT_ID}/v2.0",
    "entra-v1": f"/{DEFAULT_TENANT_ID}/",
    "okta-custom": "/oauth2/default",
    "okta-org": "",
    "auth0": "/",
    "keycloak": "/realms/qualys",
    "google": "",
}
JWKS_PATHS = {
    "generic": "/jwks",
    "entra-v2": f"/{DEFAULT_TENANT_ID}/discovery/v2.0/keys",
    "entra-v1": f"/{DEFAULT_TENANT_ID}/discovery/keys",
    "okta-custom": "/oauth2/default/v1/keys",
    "okta-org": "/oauth2/v1/keys",
    "auth0": "/.well-known/jwks.json",
    "keycloak": "/realms/qualys/protocol/openid-connect/certs",
    "google": "/oauth2/v3/certs",
}


def test_the_shape_tables_of_this_test_cover_every_profile() -> None:
    assert set(ISSUER_SHAPES) == set(JWKS_PATHS) == {p.name for p in PROFILES}


@pytest.mark.parametrize("profile", [p.name for p in PROFILES])
def test_each_profile_serves_its_issuer_paths_and_verifiable_tokens(profile: str) -> None:
    with running(profile=profile) as server:
        assert server.issuer == server.base_url + ISSUER_SHAPES[profile]
        doc = httpx.get(server.discovery_url, timeout=5).json()
        assert doc["issuer"] == server.issuer
        assert doc["jwks_uri"] == server.base_url + JWKS_PATHS[profile]
        jwks = httpx.get(doc["jwks_uri"], timeout=5).json()
        tokens = _tokens(server)
    verify(tokens["access_token"], jwks, "RS256")
    verify(tokens["id_token"], jwks, "RS256")
    has_x5c = all("x5c" in k for k in jwks["keys"])
    assert has_x5c == (profile not in ("okta-custom", "okta-org", "google"))


def test_entra_v2_uses_a_guid_audience_tenant_claims_and_a_pairwise_sub() -> None:
    with running(profile="entra-v2") as server:
        first = _claims(_tokens(server)["access_token"])
    clients = [{"client_id": "another-app", "client_secret": "s"}]
    with running(profile="entra-v2", clients=clients) as server:
        data = {"grant_type": "password", "username": "demo", "password": "demo-password"}
        token_endpoint = httpx.get(server.discovery_url, timeout=5).json()["token_endpoint"]
        second = _claims(httpx.post(token_endpoint, data=data, auth=("another-app", "s"), timeout=5).json()["access_token"])
    assert first["ver"] == "2.0" and first["tid"] == DEFAULT_TENANT_ID
    assert len(str(first["aud"])) == 36 and str(first["aud"]).count("-") == 4
    assert first["oid"] == second["oid"]  # the same user...
    assert first["sub"] != second["sub"]  # ...has a different sub in another application
    assert first["preferred_username"]


def test_entra_v1_uses_api_uri_audiences_and_version_1() -> None:
    with running(profile="entra-v1") as server:
        claims = _claims(_tokens(server)["access_token"])
    assert claims["aud"] == "api://demo-client" and claims["ver"] == "1.0"
    assert str(claims["iss"]).endswith("/")


def test_okta_custom_access_tokens_carry_cid_uid_and_scp() -> None:
    with running(profile="okta-custom") as server:
        claims = _claims(_tokens(server)["access_token"])
    assert claims["cid"] == "demo-client" and str(claims["uid"]).startswith("00u")
    assert claims["scp"] == ["openid", "profile"] and claims["aud"] == "api://default"


def test_auth0_issuer_ends_with_a_slash_and_tokens_carry_azp_and_gty() -> None:
    with running(profile="auth0") as server:
        claims = _claims(_tokens(server)["access_token"])
    assert str(claims["iss"]).endswith("/")
    assert claims["azp"] == "demo-client" and claims["gty"] == "password"


def test_keycloak_tokens_carry_azp_typ_and_preferred_username() -> None:
    with running(profile="keycloak") as server:
        claims = _claims(_tokens(server)["access_token"])
    assert claims["azp"] == "demo-client" and claims["typ"] == "Bearer" and claims["preferred_username"] == "demo"


def test_google_id_tokens_carry_the_issuer_without_a_scheme() -> None:
    with running(profile="google") as server:
        tokens = _tokens(server)
        issuer = server.issuer
    assert _claims(tokens["access_token"])["iss"] == issuer
    assert _claims(tokens["id_token"])["iss"] == issuer.split("://", 1)[1]


def test_a_profile_combines_with_a_scenario() -> None:
    with running(profile="keycloak", scenarios=["wrong_audience"]) as server:
        claims = _claims(_tokens(server)["access_token"])
    assert claims["aud"] == "https://other.example/api" and claims["azp"] == "demo-client"
