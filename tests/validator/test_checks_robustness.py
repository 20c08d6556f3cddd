"""Garbage in gives findings out: no input makes a check crash, and no finding leaks a token or its signature."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import given as hgiven
from hypothesis import strategies as st

from build import DISCOVERY_URL, JWKS_URL, KID, b64url, claims, codes, context, fetched, given, jwks, sign
from oidc_validator.checks.run import run_checks
from oidc_validator.model.context import Fetched
from oidc_validator.model.findings import Finding
from strategies import json_values as any_json
from strategies import jwk_like as any_jwk

FETCH_KINDS = [
    "invalid_url",
    "connect",
    "timeout",
    "tls",
    "too_many_redirects",
    "redirect_to_http",
    "too_large",
    "http_status",
    "wrong_content_type",
    "not_json",
]

json_values = any_json(max_leaves=20, max_text=20)
jwk_like = any_jwk(json_values)


def no_crash(findings: list[Finding]) -> None:
    assert "internal_error" not in codes(findings), [f.message for f in findings if f.code == "internal_error"]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@hgiven(st.text(max_size=200))
def test_any_text_as_a_token_gives_findings_not_a_crash(raw: str) -> None:
    no_crash(run_checks(context(tokens=given(raw))))


@settings(deadline=None)
@hgiven(st.dictionaries(st.text(max_size=6), json_values, max_size=6), st.dictionaries(st.text(max_size=6), json_values, max_size=8))
def test_any_json_header_and_payload_give_findings_not_a_crash(header: dict[str, Any], payload: dict[str, Any]) -> None:
    raw = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}.{b64url(b'sig')}"
    no_crash(run_checks(context(tokens=given(raw))))


@settings(deadline=None)
@hgiven(st.lists(jwk_like | json_values, max_size=4))
def test_any_key_set_gives_findings_not_a_crash(keys: list[Any]) -> None:
    no_crash(run_checks(context(jwks=jwks(*keys))))


@settings(deadline=None)
@hgiven(json_values, json_values)
def test_any_json_document_as_discovery_or_jwks_gives_findings_not_a_crash(discovery: Any, key_set: Any) -> None:
    no_crash(run_checks(context(discovery=fetched(DISCOVERY_URL, discovery), jwks=fetched(JWKS_URL, key_set))))


@pytest.mark.parametrize("kind", FETCH_KINDS)
def test_every_fetch_failure_of_discovery_and_jwks_is_named_with_a_fix_of_its_own(kind: str) -> None:
    ctx = context(discovery=Fetched(DISCOVERY_URL, error=kind, error_detail="detail"), jwks=Fetched(JWKS_URL, error=kind))  # type: ignore[arg-type]
    by_code = {f.code: f for f in run_checks(ctx)}
    for code, url in (("discovery_fetch_failed", DISCOVERY_URL), ("jwks_fetch_failed", JWKS_URL)):
        finding = by_code[code]
        assert finding.evidence["kind"] == kind
        assert url in finding.message
        assert finding.fix and "{issuer}" not in finding.fix


def test_tls_failures_point_at_the_ca_file_flag() -> None:
    (finding,) = [f for f in run_checks(context(discovery=Fetched(DISCOVERY_URL, error="tls"))) if f.code == "discovery_fetch_failed"]
    assert "--ca-file" in finding.fix


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(sign(), id="a good token"),
        pytest.param(sign(claims(exp=1)), id="an expired token"),
        pytest.param(sign(kid="unknown"), id="an unknown kid"),
        pytest.param(sign() + "x", id="a damaged signature"),
    ],
)
def test_no_finding_carries_the_token_or_its_signature(raw: str) -> None:
    signature = raw.split(".")[2]
    for finding in run_checks(context(tokens=given(raw))):
        text = json.dumps(finding.to_json(), default=str)
        assert raw not in text
        assert signature[:16] not in text, finding.code


def test_private_key_material_of_a_jwk_never_reaches_a_finding() -> None:
    from jwt.algorithms import RSAAlgorithm

    from build import rsa_key

    private = {**RSAAlgorithm.to_jwk(rsa_key(), as_dict=True), "kid": KID}
    for finding in run_checks(context(jwks=jwks(private))):
        text = json.dumps(finding.to_json(), default=str)
        for member in ("d", "p", "q", "dp", "dq", "qi"):
            assert private[member] not in text
