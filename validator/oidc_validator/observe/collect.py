"""All of a run's I/O, in one place: discovery, JWKS, certificate files, token grants -> Observations.

Nothing here judges what it sees; the checks do. URLs come only from the user's inputs and from
discovery, never from a token.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from oidc_validator.model.context import Context, Fetched, Inputs, Observations, TokenRequestFailure
from oidc_validator.net.fetch import fetch_json, is_loopback_url
from oidc_validator.net.obtain import obtain_tokens
from oidc_validator.net.options import FetchOptions, GrantRequest
from oidc_validator.observe.certfiles import read_certificate_file
from oidc_validator.observe.inputs import RunConfig

DISCOVERY_PATH = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class Observed:
    """The inputs as completed by the run (obtained tokens added) and what was observed."""

    inputs: Inputs
    observations: Observations


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + DISCOVERY_PATH


def _announced(discovery: Fetched | None, member: str) -> str | None:
    if discovery is None or not discovery.ok or not isinstance(discovery.json, dict):
        return None
    value = discovery.json.get(member)
    return value if isinstance(value, str) and value else None


def _token_endpoint(inputs: Inputs, discovery: Fetched | None) -> tuple[str | None, str | None]:
    """The token endpoint, or why there is none (one line, for a TokenRequestFailure)."""
    if inputs.issuer is None:
        return None, "no --issuer given: the token endpoint is found by discovery"
    if discovery is None or not discovery.ok:
        detail = discovery.error_detail if discovery is not None else "not fetched"
        return None, f"discovery failed, so the token endpoint is unknown: {detail}"
    endpoint = _announced(discovery, "token_endpoint")
    if endpoint is None:
        return None, "discovery announces no token_endpoint"
    if not endpoint.startswith("https://") and not (endpoint.startswith("http://") and is_loopback_url(endpoint)):
        # The grant carries the client secret or the user's password: never over plain http beyond this machine.
        return None, f"the token endpoint {endpoint} is not https, so no credentials were sent to it"
    return endpoint, None


def _obtain(
    inputs: Inputs, discovery: Fetched | None, grant: GrantRequest, options: FetchOptions
) -> tuple[Inputs, TokenRequestFailure | None]:
    endpoint, problem = _token_endpoint(inputs, discovery)
    if endpoint is None:
        return inputs, TokenRequestFailure("discovery", problem or "token endpoint unknown")
    tokens, failures = obtain_tokens(endpoint, grant, options)
    return replace(inputs, tokens=(*inputs.tokens, *tokens)), (failures[0] if failures else None)


def observe(config: RunConfig) -> Observed:
    inputs, options = config.inputs, config.fetch
    discovery = fetch_json(discovery_url(inputs.issuer), options) if inputs.issuer else None
    jwks_url = inputs.jwks_url or _announced(discovery, "jwks_uri")
    jwks = fetch_json(jwks_url, options) if jwks_url else None
    failures: tuple[TokenRequestFailure, ...] = ()
    if config.grant is not None:
        inputs, failure = _obtain(inputs, discovery, config.grant, options)
        failures = (failure,) if failure else ()
    certificates = tuple(read_certificate_file(item) for item in inputs.certificates)
    observations = Observations(discovery=discovery, jwks=jwks, jwks_url_used=jwks_url, certificates=certificates, token_failures=failures)
    return Observed(inputs, observations)


def context(config: RunConfig) -> Context:
    observed = observe(config)
    return Context(inputs=observed.inputs, observations=observed.observations, now=config.now)
