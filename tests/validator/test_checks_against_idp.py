"""run_checks against the real test IdP over loopback: clean set-ups pass, each deliberate misconfiguration is named.

The test fetches discovery and the JWKS and runs the password grant itself with httpx, then builds the Context
the I/O half would build, so these tests exercise only the checks.
"""

from __future__ import annotations

import base64
import dataclasses
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from build import codes, problems
from oidc_idp import RunningIdp, running
from oidc_validator.checks.run import run_checks
from oidc_validator.model.context import CertificateFile, Context, Fetched, Inputs, Observations, SampleToken, TokenRequestFailure
from oidc_validator.model.findings import Finding, Severity

AUDIENCE = "https://qualys.example/api"
CLIENT = ("demo-client", "demo-secret")
USER = "demo@example.com"
LOOPBACK_WARNINGS = {"issuer_http_loopback", "entity_id_http_loopback", "discovery_endpoint_http_loopback"}


def fetch(client: httpx.Client, url: str) -> Fetched:
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        return Fetched(url, error="connect", error_detail=type(exc).__name__)
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    if response.status_code != 200:
        return Fetched(url, status=response.status_code, error="http_status")
    if content_type not in ("application/json", "application/jwk-set+json"):
        return Fetched(url, status=200, content_type=content_type, error="wrong_content_type")
    return Fetched(url, final_url=url, status=200, content_type=content_type, body=response.content, json=response.json())


def observe(server: RunningIdp, *, verify: Any = False, **inputs: Any) -> Context:
    with httpx.Client(verify=verify, timeout=5) as client:
        discovery = fetch(client, server.discovery_url)
        jwks_url = discovery.json.get("jwks_uri") if isinstance(discovery.json, dict) else None
        jwks = fetch(client, jwks_url) if isinstance(jwks_url, str) else None
        response = client.post(
            server.token_endpoint,
            data={"grant_type": "password", "username": "demo", "password": "demo-password", "scope": "openid profile"},
            auth=CLIENT,
        )
    tokens: tuple[SampleToken, ...] = ()
    failures: tuple[TokenRequestFailure, ...] = ()
    if response.status_code == 200:
        body = response.json()
        tokens = tuple(SampleToken(body[k], k, "password grant") for k in ("access_token", "id_token") if k in body)
    else:
        failures = (TokenRequestFailure("password", f"HTTP {response.status_code}"),)
    values: dict[str, Any] = {
        "entity_id": server.issuer,
        "issuer": server.issuer,
        "audiences": (AUDIENCE, CLIENT[0]),  # the access token's audience, and the ID token's (its client)
        "external_id": USER,
        "tokens": tokens,
        "token_requested": True,
        **inputs,
    }
    observations = Observations(discovery=discovery, jwks=jwks, jwks_url_used=jwks_url, token_failures=failures)
    return Context(Inputs(**values), observations, datetime.now(UTC))


@pytest.fixture(scope="module", params=["RS256", "PS256", "ES256", "EdDSA"])
def served(request: pytest.FixtureRequest) -> Iterator[RunningIdp]:
    with running(alg=request.param) as server:
        yield server


def test_a_clean_http_idp_passes_with_only_the_loopback_http_warnings(served: RunningIdp) -> None:
    findings = run_checks(observe(served))
    assert {f.code for f in problems(findings)} <= LOOPBACK_WARNINGS, [f.message for f in problems(findings)]
    assert all(f.severity is Severity.WARNING for f in problems(findings))
    verified = [f for f in findings if f.code == "token_signature_verified"]
    assert {f.evidence["token"] for f in verified} == {"access_token from password grant", "id_token from password grant"}


def test_a_clean_https_idp_passes_with_no_warning_at_all(idp_tls_server: RunningIdp) -> None:
    findings = run_checks(observe(idp_tls_server, verify=ssl.create_default_context(cafile=str(idp_tls_server.ca_file))))
    assert problems(findings) == [], [f.message for f in problems(findings)]
    assert {"token_signature_verified", "external_id_claim", "entity_id_relation"} <= codes(findings)


def test_a_certificate_taken_from_the_idps_jwks_pairs_with_its_kid(idp_server: RunningIdp) -> None:
    ctx = observe(idp_server)
    (key,) = ctx.observations.jwks.json["keys"]  # type: ignore[union-attr]
    cert = CertificateFile(Path("idp.cer"), key["kid"], der_certificates=(base64.b64decode(key["x5c"][0]),))
    pinned = dataclasses.replace(ctx, observations=dataclasses.replace(ctx.observations, certificates=(cert,)))
    findings = run_checks(pinned)
    assert "cert_paired" in codes(findings)
    assert {f.code for f in problems(findings)} <= LOOPBACK_WARNINGS


SCENARIOS: list[tuple[str, set[str]]] = [
    ("issuer_trailing_slash", {"token_iss_mismatch"}),
    ("discovery_issuer_mismatch", {"issuer_discovery_mismatch"}),
    ("token_kid_not_in_jwks", {"token_kid_unknown"}),
    ("jwks_keys_without_kid", {"jwk_kid_missing"}),
    ("duplicate_kids", {"jwk_kid_duplicate"}),
    ("jwks_without_x5c", {"jwks_no_x5c"}),
    ("x5c_of_another_key", {"jwk_x5c_key_mismatch"}),
    ("expired_certificate", {"certificate_expired"}),
    ("certificate_expiring_soon", {"certificate_expiring"}),
    ("weak_rsa_1024", {"jwk_rsa_weak"}),
    ("private_members_in_jwks", {"jwk_private_members"}),
    ("symmetric_key_in_jwks", {"jwk_symmetric"}),
    ("hs256_tokens", {"token_alg_symmetric"}),
    ("alg_none_tokens", {"token_alg_none"}),
    ("expired_tokens", {"token_expired"}),
    ("exp_in_milliseconds", {"token_date_milliseconds"}),
    ("iat_in_future", {"token_iat_future"}),
    ("wrong_audience", {"token_aud_mismatch"}),
    ("several_audiences", {"token_aud_several"}),
    ("missing_sub", {"external_id_claim_missing"}),
    ("empty_mapping_claim", {"external_id_claim_missing"}),
    ("jwks_served_as_html", {"jwks_fetch_failed"}),
    ("rotation_done_badly", {"token_kid_unknown"}),
]


@pytest.mark.parametrize(("scenario", "expected"), SCENARIOS, ids=[s for s, _ in SCENARIOS])
def test_each_idp_misconfiguration_is_named(scenario: str, expected: set[str]) -> None:
    with running(scenarios=(scenario,)) as server:
        findings: list[Finding] = run_checks(observe(server))
    fired = codes(findings)
    assert expected <= fired, sorted(fired)
    assert "internal_error" not in fired


def test_a_rotation_in_progress_passes_and_advises_the_jwks_url() -> None:
    with running(scenarios=("rotation_in_progress",)) as server:
        findings = run_checks(observe(server))
    assert {f.code for f in problems(findings)} <= LOOPBACK_WARNINGS, [f.message for f in problems(findings)]
    assert "keysource_use_jwks_url" in codes(findings)


def test_an_http_jwks_uri_on_an_https_idp_is_named() -> None:
    with running(tls=True, scenarios=("http_jwks_uri",)) as server:
        findings = run_checks(observe(server, verify=ssl.create_default_context(cafile=str(server.ca_file))))
    assert {"discovery_endpoint_http_loopback", "jwks_fetch_failed"} <= codes(findings)
