"""Findings on documents as production IdPs publish them: templated issuers, one finding per cause,
readable wording, and vendors recognised from the discovery document's shape rather than the host name."""

from __future__ import annotations

from typing import Any

from build import (
    DISCOVERY_URL,
    KID,
    NOW,
    claims,
    compact,
    context,
    discovery_document,
    fetched,
    given,
    sign,
)
from oidc_validator.checks.run import run_checks
from oidc_validator.model.context import SampleToken
from oidc_validator.model.findings import Finding, Severity

TEMPLATE = "https://login.microsoftonline.com/{tenantid}/v2.0"
COMMON = "https://login.microsoftonline.com/common/v2.0"
TENANT = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"


def only(findings: list[Finding], code: str) -> Finding:
    (finding,) = [f for f in findings if f.code == code]
    return finding


def run_with_discovery(issuer: str | None, document: dict[str, Any], **changes: Any) -> list[Finding]:
    return run_checks(context(issuer=issuer, entity_id=issuer, discovery=fetched(DISCOVERY_URL, document), **changes))


# -- templated issuers (multi-tenant discovery endpoints) ------------------------------------------


def test_a_templated_discovery_issuer_is_a_near_miss_naming_the_placeholder_and_where_to_find_the_value() -> None:
    findings = run_with_discovery(COMMON, discovery_document(issuer=TEMPLATE), tokens=())
    mismatch = only(findings, "issuer_discovery_mismatch")
    assert mismatch.severity is Severity.ERROR
    assert "replace {tenantid}" in mismatch.evidence["likely_cause"]
    assert "Tenant ID" in mismatch.fix and "{tenantid}" in mismatch.fix


def test_a_sample_token_from_the_tenant_supplies_the_exact_issuer_in_the_fix() -> None:
    token = sign(claims(iss=TENANT))
    findings = run_with_discovery(COMMON, discovery_document(issuer=TEMPLATE), tokens=given(token))
    assert TENANT in only(findings, "issuer_discovery_mismatch").fix


def test_an_issuer_given_as_the_template_itself_is_invalid_with_the_same_hint() -> None:
    findings = run_with_discovery(TEMPLATE, discovery_document(issuer=TEMPLATE), tokens=given(sign(claims(iss=TENANT))))
    invalid = only(findings, "issuer_invalid")
    assert "{tenantid}" in invalid.message and "Tenant ID" in invalid.fix
    assert "replace {tenantid}" in only(findings, "token_iss_mismatch").evidence["likely_cause"]


def test_any_placeholder_name_gets_the_generic_hint() -> None:
    findings = run_with_discovery("https://idp.example.com/acme", discovery_document(issuer="https://idp.example.com/{org}"), tokens=())
    assert "replace {org} with the actual org value" in only(findings, "issuer_discovery_mismatch").evidence["likely_cause"]


# -- one finding per cause --------------------------------------------------------------------------


def local_keycloak_discovery(base: str) -> dict[str, Any]:
    realm = f"{base}/realms/demo"
    endpoints = ("authorization", "token", "introspection", "userinfo", "end_session", "revocation", "device_authorization")
    return discovery_document(
        issuer=realm,
        jwks_uri=f"{realm}/protocol/openid-connect/certs",
        **{f"{name}_endpoint": f"{realm}/protocol/openid-connect/{name}" for name in endpoints},
    )


def test_a_local_keycloak_gets_the_loopback_warning_once_with_every_endpoint_as_evidence() -> None:
    doc = local_keycloak_discovery("http://localhost:8080")
    findings = run_with_discovery(doc["issuer"], doc, tokens=())
    loopback = only(findings, "discovery_endpoint_http_loopback")
    assert len(loopback.evidence["endpoints"]) == 8 and "jwks_uri" in loopback.evidence["endpoints"]
    assert "8 discovery endpoints" in loopback.message


def test_plain_http_endpoints_are_one_error_too() -> None:
    doc = local_keycloak_discovery("http://idp.example.com")
    findings = run_with_discovery(doc["issuer"], doc, tokens=())
    assert len(only(findings, "discovery_endpoint_http").evidence["endpoints"]) == 8


# -- wording ----------------------------------------------------------------------------------------


def test_a_given_tokens_findings_call_it_a_token() -> None:
    expired = sign(claims(exp=int(NOW.timestamp()) - 60))
    token = SampleToken(expired, "given", "--token-file sample.jwt")
    message = only(run_checks(context(tokens=(token,))), "token_expired").message
    assert message.startswith("The given token from --token-file sample.jwt expired")


def test_a_header_without_typ_says_so_instead_of_typ_none() -> None:
    raw = compact({"alg": "RS256", "kid": KID}, claims())
    message = only(run_checks(context(tokens=given(raw))), "token_typ").message
    assert "has no typ" in message and "None" not in message


# -- vendors recognised from the discovery document's shape ----------------------------------------


def auth0_discovery(base: str) -> dict[str, Any]:
    return discovery_document(
        issuer=f"{base}/",
        jwks_uri=f"{base}/.well-known/jwks.json",
        token_endpoint=f"{base}/oauth/token",
        authorization_endpoint=f"{base}/authorize",
        device_authorization_endpoint=f"{base}/oauth/device/code",
        mfa_challenge_endpoint=f"{base}/mfa/challenge",
        userinfo_endpoint=f"{base}/userinfo",
    )


def okta_discovery(base: str, server: str | None) -> dict[str, Any]:
    root = f"{base}/oauth2/{server}" if server else f"{base}/oauth2"
    issuer = f"{base}/oauth2/{server}" if server else base
    return discovery_document(issuer=issuer, jwks_uri=f"{root}/v1/keys", token_endpoint=f"{root}/v1/token")


def recognised(findings: list[Finding]) -> str:
    return str(only(findings, "vendor_recognised").evidence["vendor"])


def test_auth0_on_a_custom_domain_is_recognised_from_the_discovery_shape() -> None:
    doc = auth0_discovery("https://login.acme-corp.example")
    assert recognised(run_with_discovery(doc["issuer"], doc, tokens=())) == "auth0"


def test_an_okta_org_server_on_a_custom_domain_is_recognised_from_discovery_alone() -> None:
    doc = okta_discovery("https://id.acme-corp.example", None)
    findings = run_with_discovery(doc["issuer"], doc, tokens=())
    assert recognised(findings) == "okta-org"
    assert "custom authorization server" in only(findings, "vendor_recognised").fix


def test_an_okta_custom_server_is_told_apart_from_the_org_server_by_its_paths() -> None:
    doc = okta_discovery("https://id.acme-corp.example", "aus1a2b3c")
    assert recognised(run_with_discovery(doc["issuer"], doc, tokens=())) == "okta-custom"


def test_an_okta_org_server_on_okta_com_is_recognised_without_a_token() -> None:
    doc = okta_discovery("https://acme.okta.com", None)
    assert recognised(run_with_discovery(doc["issuer"], doc, tokens=())) == "okta-org"


def test_a_lone_common_path_is_not_taken_for_a_vendor() -> None:
    doc = discovery_document(
        issuer="https://sso.example.org", jwks_uri="https://sso.example.org/keys", token_endpoint="https://sso.example.org/oauth/token"
    )
    findings = run_with_discovery(doc["issuer"], doc, tokens=(), jwks_url="https://sso.example.org/keys")
    assert [f for f in findings if f.code == "vendor_recognised"] == []
