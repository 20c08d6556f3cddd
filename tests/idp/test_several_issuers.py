"""Several issuers on one server, each under its own path with its own keys, clients, users and sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from joserfc.errors import JoseError

from codeflow import Flow, query_of, spa_client
from crosscheck import verify
from oidc_idp import RunningIdp, running
from oidc_idp.errors import ConfigError
from processes import serving

ISSUERS = [
    {
        "id": "tenant-a",
        "alg": "ES256",
        "clients": [{"client_id": "a-client", "client_secret": "a-secret", "audience": "api://a"}, spa_client()],
        "users": [{"username": "ann", "password": "ann-pw", "claims": {"tenant": "a"}}],
    },
    {
        "id": "tenant-b",
        "clients": [{"client_id": "b-client", "client_secret": "b-secret", "audience": "api://b"}],
        "users": [{"username": "ben", "password": "ben-pw"}],
        "profile": "keycloak",
    },
]


@pytest.fixture(scope="module")
def server() -> Iterator[RunningIdp]:
    with running(issuers=ISSUERS) as idp:
        yield idp


def discovery(issuer: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=5).json()
    return body


def token(doc: dict[str, Any], auth: tuple[str, str], **data: str) -> httpx.Response:
    return httpx.post(doc["token_endpoint"], data={"grant_type": "client_credentials", **data}, auth=auth, timeout=5)


def test_each_issuer_has_its_own_path_discovery_and_issuer(server: RunningIdp) -> None:
    a, b = server.issuers["tenant-a"], server.issuers["tenant-b"]
    assert a == server.issuer + "/tenant-a"
    assert b == server.issuer + "/tenant-b/realms/qualys"  # the keycloak profile shapes the path under the issuer's own
    assert discovery(a)["issuer"] == a and discovery(b)["issuer"] == b
    assert discovery(server.issuer)["issuer"] == server.issuer  # the main issuer keeps serving as before
    assert discovery(b)["token_endpoint"] == b + "/protocol/openid-connect/token"


def test_each_issuer_signs_with_its_own_keys(server: RunningIdp) -> None:
    docs = {name: discovery(server.issuers[name]) for name in ("tenant-a", "tenant-b")}
    jwks = {name: httpx.get(doc["jwks_uri"], timeout=5).json() for name, doc in docs.items()}
    assert [k["alg"] for k in jwks["tenant-a"]["keys"]] == ["ES256"]
    assert not {k["kid"] for k in jwks["tenant-a"]["keys"]} & {k["kid"] for k in jwks["tenant-b"]["keys"]}
    access = token(docs["tenant-a"], ("a-client", "a-secret")).json()["access_token"]
    claims = verify(access, jwks["tenant-a"], "ES256").claims
    assert claims["iss"] == server.issuers["tenant-a"] and claims["aud"] == "api://a"
    with pytest.raises(JoseError):
        verify(access, jwks["tenant-b"], "ES256")


def test_clients_and_users_belong_to_their_issuer(server: RunningIdp) -> None:
    a, b = discovery(server.issuers["tenant-a"]), discovery(server.issuers["tenant-b"])
    assert token(a, ("b-client", "b-secret")).status_code == 401
    assert token(b, ("b-client", "b-secret")).status_code == 200
    assert token(a, ("demo-client", "demo-secret")).status_code == 401
    password = {"grant_type": "password", "username": "ann", "password": "ann-pw"}
    assert token(a, ("a-client", "a-secret"), **password).status_code == 200
    assert token(b, ("b-client", "b-secret"), **password).json()["error"] == "invalid_grant"


def test_a_token_of_one_issuer_is_inactive_at_another(server: RunningIdp) -> None:
    a, b = discovery(server.issuers["tenant-a"]), discovery(server.issuers["tenant-b"])
    access = token(a, ("a-client", "a-secret")).json()["access_token"]
    body = httpx.post(b["introspection_endpoint"], data={"token": access}, auth=("b-client", "b-secret"), timeout=5).json()
    assert body == {"active": False}
    own = httpx.post(a["introspection_endpoint"], data={"token": access}, auth=("a-client", "a-secret"), timeout=5).json()
    assert own["active"] is True


def test_login_sessions_are_per_issuer(server: RunningIdp) -> None:
    a = discovery(server.issuers["tenant-a"])
    flow = Flow(a["authorization_endpoint"], a["token_endpoint"])
    body = flow.tokens(login_hint="ann")
    assert verify(body["id_token"], httpx.get(a["jwks_uri"], timeout=5).json(), "ES256").claims["tenant"] == "a"
    assert "code" in query_of(flow.authorize(prompt="none").headers["location"])
    # The main issuer (the default clients) does not see tenant-a's login session.
    main_doc = discovery(server.issuer)
    main = Flow(main_doc["authorization_endpoint"], main_doc["token_endpoint"], "demo-spa", "http://localhost:5000/cb", http=flow.http)
    assert query_of(main.authorize(prompt="none").headers["location"])["error"] == "login_required"


def test_each_issuer_keeps_its_keys_in_a_sub_directory(server: RunningIdp) -> None:
    assert (server.keys_dir / "tenant-a" / "keys.json").is_file()
    assert (server.keys_dir / "tenant-b" / "keys.json").is_file()
    assert (server.keys_dir / "keys.json").is_file()


def test_the_cli_serves_issuers_from_the_config_and_names_them_in_the_ready_line(tmp_path: Path) -> None:
    config = tmp_path / "idp.toml"
    config.write_text(
        '[[issuers]]\nid = "okta"\nprofile = "okta-custom"\n\n'
        '[[issuers.clients]]\nclient_id = "o"\nclient_secret = "o-secret"\n\n'
        '[[issuers]]\nid = "entra"\nprofile = "entra-v2"\n'
    )
    with serving("--keys-dir", str(tmp_path / "keys"), "--config", str(config)) as (_, ready):
        assert set(ready["issuers"]) == {"okta", "entra"}
        okta = discovery(ready["issuers"]["okta"])
        response = httpx.post(okta["token_endpoint"], data={"grant_type": "client_credentials"}, auth=("o", "o-secret"), timeout=5)
        assert response.status_code == 200
        assert jwt.decode(response.json()["access_token"], options={"verify_signature": False})["iss"] == ready["issuers"]["okta"]
        assert discovery(ready["issuers"]["entra"])["issuer"].endswith("/entra/3c5e2b1a-7d4f-4e8a-9b6c-0f1e2d3c4b5a/v2.0")


@pytest.mark.parametrize(
    "issuers",
    [[{"id": "a"}, {"id": "a"}], [{"id": "tls"}], [{"id": "has/slash"}], [{"id": "x", "unknown": 1}]],
    ids=["duplicate_ids", "reserved_id", "bad_id", "unknown_field"],
)
def test_bad_issuer_tables_are_config_errors(issuers: list[dict[str, Any]]) -> None:
    with pytest.raises(ConfigError), running(issuers=issuers):
        pass
