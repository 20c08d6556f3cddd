"""Observation: what is fetched from where, and credentials that are never sent where they should not go."""

from __future__ import annotations

from datetime import UTC, datetime

from oidc_idp import RunningIdp
from oidc_validator.model.context import Inputs
from oidc_validator.net.options import FetchOptions, GrantRequest
from oidc_validator.observe.collect import discovery_url, observe
from oidc_validator.observe.inputs import RunConfig

from .conftest import Faulty

NOW = datetime(2026, 1, 1, tzinfo=UTC)
GRANT = GrantRequest("client_credentials", "demo-client", "demo-secret")


def test_discovery_is_fetched_under_the_issuer_without_its_trailing_slash() -> None:
    assert discovery_url("https://idp.example/realms/x/") == "https://idp.example/realms/x/.well-known/openid-configuration"


def test_the_jwks_comes_from_discovery_unless_a_jwks_url_is_given(idp_tls_server: RunningIdp, faulty: Faulty) -> None:
    options = FetchOptions(ca_file=idp_tls_server.ca_file)
    seen = observe(RunConfig(Inputs(issuer=idp_tls_server.issuer), options, None, NOW)).observations
    assert seen.jwks_url_used == idp_tls_server.jwks_uri and seen.jwks is not None and seen.jwks.ok
    explicit = observe(RunConfig(Inputs(issuer=idp_tls_server.issuer, jwks_url=faulty.url("/jwks")), options, None, NOW)).observations
    assert explicit.jwks_url_used == faulty.url("/jwks")


def test_obtained_tokens_join_the_given_ones_and_mark_the_request(idp_tls_server: RunningIdp) -> None:
    options = FetchOptions(ca_file=idp_tls_server.ca_file)
    observed = observe(RunConfig(Inputs(issuer=idp_tls_server.issuer, token_requested=True), options, GRANT, NOW))
    assert [t.kind for t in observed.inputs.tokens] == ["access_token"]
    assert observed.observations.token_failures == ()


def test_without_an_issuer_no_grant_is_attempted_and_the_failure_says_why() -> None:
    observed = observe(RunConfig(Inputs(token_requested=True), FetchOptions(), GRANT, NOW))
    assert observed.observations.discovery is None
    [failure] = observed.observations.token_failures
    assert (failure.grant, failure.detail) == ("discovery", "no --issuer given: the token endpoint is found by discovery")


def test_credentials_are_never_sent_to_a_plain_http_token_endpoint_off_this_machine(faulty: Faulty) -> None:
    observed = observe(RunConfig(Inputs(issuer=faulty.url("/plain-token"), token_requested=True), FetchOptions(), GRANT, NOW))
    [failure] = observed.observations.token_failures
    assert failure.detail == "the token endpoint http://192.0.2.1/token is not https, so no credentials were sent to it"
    assert "demo-secret" not in failure.detail
