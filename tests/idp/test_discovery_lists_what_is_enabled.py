"""Discovery advertises exactly the grants, endpoints, methods and algorithms that are enabled, and each works."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from codeflow import spa_client, web_client
from oidc_idp import running

OPTIONAL_ENDPOINTS = ("authorization_endpoint", "introspection_endpoint", "revocation_endpoint", "end_session_endpoint")


def discovery(**config: Any) -> dict[str, Any]:
    with running(**config) as idp:
        doc: dict[str, Any] = httpx.get(idp.discovery_url, timeout=5).json()
        for name in OPTIONAL_ENDPOINTS:
            if name in doc:
                # A listed endpoint exists: a GET gets anything but 404 (405 for POST-only ones).
                assert httpx.get(doc[name], timeout=5).status_code != 404, name
        return doc


def test_the_default_config_lists_the_code_flow_introspection_and_revocation() -> None:
    doc = discovery()
    assert doc["grant_types_supported"] == ["authorization_code", "client_credentials", "password", "refresh_token"]
    assert doc["authorization_endpoint"].endswith("/authorize") and doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"] and doc["end_session_endpoint"].endswith("/logout")
    assert doc["response_modes_supported"] == ["query", "fragment", "form_post"]
    assert doc["introspection_endpoint"].endswith("/introspect")
    assert doc["revocation_endpoint"].endswith("/revoke")
    assert "token_endpoint_auth_signing_alg_values_supported" not in doc


def test_a_code_flow_client_adds_the_authorization_endpoint_response_types_pkce_and_logout() -> None:
    doc = discovery(clients=[spa_client()])
    assert doc["authorization_endpoint"].endswith("/authorize")
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["end_session_endpoint"].endswith("/logout")
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert doc["token_endpoint_auth_methods_supported"] == ["none"]
    assert {"nonce", "at_hash"} <= set(doc["claims_supported"])


def test_plain_pkce_is_listed_only_when_a_client_allows_it() -> None:
    assert discovery(clients=[spa_client(pkce_methods=["S256", "plain"])])["code_challenge_methods_supported"] == ["S256", "plain"]


def test_routes_of_disabled_features_do_not_exist() -> None:
    machine_only = [{"client_id": "m2m", "client_secret": "m2m-secret"}]  # no code flow client
    with running(clients=machine_only, introspection_enabled=False, revocation_enabled=False) as idp:
        doc = httpx.get(idp.discovery_url, timeout=5).json()
        assert not set(OPTIONAL_ENDPOINTS) & set(doc)
        for path in ("/authorize", "/introspect", "/revoke", "/logout"):
            assert httpx.post(idp.issuer + path, timeout=5).status_code == 404, path


def test_introspection_is_not_listed_when_no_client_can_authenticate_to_it() -> None:
    doc = discovery(clients=[spa_client()])
    assert "introspection_endpoint" not in doc
    assert doc["revocation_endpoint_auth_methods_supported"] == ["none"]


def test_auth_methods_and_scopes_are_the_union_of_the_clients() -> None:
    doc = discovery(clients=[spa_client(), web_client(token_endpoint_auth_methods=["client_secret_post"])])
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_post", "none"]
    assert doc["introspection_endpoint_auth_methods_supported"] == ["client_secret_post"]
    assert doc["scopes_supported"] == ["email", "offline_access", "openid", "profile"]


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_signing_algorithms_are_those_of_the_active_keys(alg: str) -> None:
    assert discovery(alg=alg)["id_token_signing_alg_values_supported"] == [alg]
