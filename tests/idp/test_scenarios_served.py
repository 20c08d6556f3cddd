"""Every scenario is served without an error, and does what its table entry says it breaks."""

from __future__ import annotations

import httpx
import jwt
import pytest

from oidc_idp import RunningIdp, running
from oidc_idp.variants.scenarios import OTHER_AUDIENCE, SCENARIOS

CLIENT = ("demo-client", "demo-secret")


def _tokens(server: RunningIdp) -> dict[str, str]:
    data = {"grant_type": "password", "username": "demo", "password": "demo-password", "scope": "openid profile"}
    response = httpx.post(server.token_endpoint, data=data, auth=CLIENT, timeout=5)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_the_idp_serves_every_scenario_without_errors(name: str) -> None:
    with running(scenarios=[name]) as server:
        assert httpx.get(server.discovery_url, timeout=5).status_code == 200
        assert httpx.get(server.jwks_uri, timeout=5).status_code == 200
        tokens = _tokens(server)
    assert {"access_token", "id_token"} <= set(tokens)


def _claims(token: str) -> dict[str, object]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_token_scenarios_change_exactly_the_claims_they_name() -> None:
    with running(scenarios=["wrong_audience", "exp_in_milliseconds", "missing_sub"]) as server:
        access = _claims(_tokens(server)["access_token"])
    assert access["aud"] == OTHER_AUDIENCE
    assert isinstance(access["exp"], int) and access["exp"] > 10**12
    assert "sub" not in access


def test_signature_scenarios_sign_as_described() -> None:
    with running(scenarios=["alg_none_tokens"]) as server:
        unsigned = _tokens(server)["access_token"]
    with running(scenarios=["hs256_tokens"]) as server:
        hs = _tokens(server)["access_token"]
    with running(scenarios=["rotation_done_badly"]) as server:
        kids = {k["kid"] for k in httpx.get(server.jwks_uri, timeout=5).json()["keys"]}
        retired = _tokens(server)["access_token"]
    assert jwt.get_unverified_header(unsigned)["alg"] == "none" and unsigned.endswith(".")
    assert jwt.get_unverified_header(hs)["alg"] == "HS256"
    assert jwt.get_unverified_header(retired)["kid"] not in kids


def test_key_scenarios_change_the_jwks() -> None:
    with running(scenarios=["private_members_in_jwks", "symmetric_key_in_jwks"]) as server:
        keys = httpx.get(server.jwks_uri, timeout=5).json()["keys"]
    assert any("d" in k for k in keys)
    assert any(k["kty"] == "oct" for k in keys)
    with running(scenarios=["jwks_served_as_html"]) as server:
        response = httpx.get(server.jwks_uri, timeout=5)
    assert response.headers["content-type"].startswith("text/html")


def test_a_scenario_set_on_one_client_leaves_the_others_alone() -> None:
    clients = [
        {"client_id": "broken", "client_secret": "s", "scenarios": ["wrong_audience"]},
        {"client_id": "fine", "client_secret": "s"},
    ]
    with running(clients=clients) as server:

        def aud(client_id: str) -> object:
            body = httpx.post(server.token_endpoint, data={"grant_type": "client_credentials"}, auth=(client_id, "s"), timeout=5).json()
            return _claims(body["access_token"])["aud"]

        assert aud("broken") == OTHER_AUDIENCE
        assert aud("fine") == "https://qualys.example/api"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"scenarios": ["no_such_thing"]}, "unknown scenario"),
        ({"clients": [{"client_id": "c", "client_secret": "s", "scenarios": ["jwks_without_x5c"]}]}, "set it globally"),
    ],
    ids=["unknown_scenario", "key_scenario_on_one_client"],
)
def test_a_bad_scenario_config_is_a_clear_error(tmp_path: object, values: dict[str, object], message: str) -> None:
    from oidc_idp import build_config
    from oidc_idp.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        build_config({"issuer": "http://127.0.0.1:1", "keys_dir": str(tmp_path), **values})


def test_the_scenarios_command_lists_every_scenario_and_prints_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    from in_process import run_main
    from oidc_idp.run.cli import main
    from oidc_idp.variants.docs import scenarios_markdown

    listing = run_main(main, ["scenarios"], capsys)
    assert listing.returncode == 0
    assert all(s.name in listing.stdout for s in SCENARIOS)
    markdown = run_main(main, ["scenarios", "--markdown"], capsys)
    assert markdown.returncode == 0
    markdown = markdown.stdout
    assert markdown == scenarios_markdown()
