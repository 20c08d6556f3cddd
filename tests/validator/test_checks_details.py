"""What the findings say: near-miss causes, URN rules, evidence naming keys and claims, fixes naming flags."""

from __future__ import annotations

import pytest
from jwt.algorithms import RSAAlgorithm

from build import AUDIENCE, ISSUER, KID, NOW, cert_file, certificate, claims, context, given, jwks, public_jwk, rsa_key, sign
from oidc_validator.checks.entity import urn_problem
from oidc_validator.checks.issuer import likely_cause
from oidc_validator.checks.mapping import mapping_claim
from oidc_validator.checks.run import run_checks
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding

TID = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def only(ctx: Context, code: str) -> Finding:
    found = [f for f in run_checks(ctx) if f.code == code]
    assert len(found) == 1, [f.code for f in run_checks(ctx)]
    return found[0]


@pytest.mark.parametrize(
    ("configured", "actual", "cause"),
    [
        ("https://idp.example.com/realms/x", "https://idp.example.com/realms/x/", "trailing slash"),
        ("https://IdP.example.com/realms/x", "https://idp.example.com/realms/x", "letter case"),
        (f"https://sts.windows.net/{TID}/", f"https://login.microsoftonline.com/{TID}/v2.0", "Entra ID v1"),
        (f"https://login.microsoftonline.com/{TID}/v2.0", f"https://sts.windows.net/{TID}/", "Entra ID v1"),
        ("https://kc.example.com/auth/realms/x", "https://kc.example.com/realms/x", "Keycloak"),
        ("https://kc.example.com/realms/x", "https://kc.example.com/auth/realms/x", "Keycloak"),
        ("https://acme.okta.com", "https://acme.okta.com/oauth2/default", "Okta org"),
        ("https://acme.okta.com/oauth2/aus1x", "https://acme.okta.com", "Okta org"),
        ("http://idp.example.com/realms/x", "https://idp.example.com/realms/x", "http vs https"),
    ],
)
def test_issuer_near_misses_are_named_with_their_likely_cause(configured: str, actual: str, cause: str) -> None:
    assert cause in (likely_cause(configured, actual) or "")
    finding = only(context(issuer=configured, tokens=given(sign(claims(iss=actual))), discovery=None), "token_iss_mismatch")
    assert cause in finding.message
    assert finding.evidence["expected"] == configured and finding.evidence["actual"] == actual


def test_unrelated_issuers_have_no_likely_cause() -> None:
    assert likely_cause("https://a.example.com", "https://b.example.com") is None
    assert "likely cause" not in only(context(tokens=given(sign(claims(iss="https://b.example")))), "token_iss_mismatch").message


@pytest.mark.parametrize("urn", ["urn:example:idp", "urn:ietf:rfc:8141", "urn:x-y:a/b:c%20d", "URN:Example:IdP"])
def test_valid_urns_are_accepted_as_entity_ids(urn: str) -> None:
    assert urn_problem(urn) is None
    assert "entity_id_invalid" not in {f.code for f in run_checks(context(entity_id=urn))}


@pytest.mark.parametrize(
    "urn",
    [
        "urn:x:idp",
        "urn:-ab:idp",
        "urn:ab-:idp",
        "urn:" + "a" * 33 + ":idp",
        "urn:example:",
        "urn:example",
        "urn:example:a b",
        "urn:ex:a?=q",
    ],
)
def test_invalid_urns_are_rejected_with_a_reason(urn: str) -> None:
    assert urn_problem(urn)
    assert only(context(entity_id=urn), "entity_id_invalid").evidence["reason"]


@pytest.mark.parametrize(
    ("entity_id", "relation"),
    [
        (ISSUER, "equal"),
        (ISSUER + "/", "equal_but_trailing_slash"),
        ("https://idp.example.com/saml", "same_host"),
        ("urn:example:idp", "unrelated"),
    ],
)
def test_the_entity_id_relation_to_the_issuer_is_reported(entity_id: str, relation: str) -> None:
    assert only(context(entity_id=entity_id), "entity_id_relation").evidence["relation"] == relation


def test_a_missing_entity_id_names_the_flag() -> None:
    assert "--entity-id" in only(context(entity_id=None), "entity_id_missing").fix


def test_an_unknown_kid_lists_the_kids_that_exist() -> None:
    finding = only(
        context(tokens=given(sign(kid="gone")), jwks=jwks(public_jwk(rsa_key()), public_jwk(rsa_key(seed=1), kid="key-2"))),
        "token_kid_unknown",
    )
    assert finding.evidence["known_kids"] == [KID, "key-2"]
    assert "key-2" in finding.message


def test_published_private_members_say_rotate_now_and_never_show_the_values() -> None:
    private = {**RSAAlgorithm.to_jwk(rsa_key(), as_dict=True), "kid": KID}
    finding = only(context(jwks=jwks(private)), "jwk_private_members")
    assert "rotate" in finding.fix and "NOW" in finding.fix
    assert finding.evidence["members"] == ["d", "dp", "dq", "p", "q", "qi"]


def test_a_private_key_in_a_certificate_file_says_never_send_it() -> None:
    finding = only(context(certificates=(cert_file(certificate(rsa_key()), contains_private_key=True),)), "cert_file_private_key")
    assert "Never send" in finding.fix and finding.evidence == {"file": "signing.pem"}


def test_a_certificate_paired_with_the_wrong_kid_names_the_kid_it_does_match() -> None:
    keys = jwks(public_jwk(rsa_key()), public_jwk(rsa_key(seed=1), kid="key-2"))
    finding = only(context(jwks=keys, certificates=(cert_file(certificate(rsa_key(seed=1)), kid=KID),)), "cert_kid_key_mismatch")
    assert finding.evidence["matching_kids"] == ["key-2"]


def test_missing_audience_and_external_id_name_their_flags() -> None:
    assert only(context(audiences=(), tokens=()), "audience_missing").evidence["flag"] == "--audience"
    assert "--external-id" in only(context(external_id=None), "external_id_not_given").fix


def test_an_array_audience_containing_the_configured_one_is_accepted_with_a_warning() -> None:
    findings = run_checks(context(tokens=given(sign(claims(aud=["account", AUDIENCE])))))
    assert {"token_aud_several"} <= {f.code for f in findings}
    assert "token_aud_mismatch" not in {f.code for f in findings}


def test_an_entra_application_id_uri_versus_guid_is_explained() -> None:
    guid = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
    finding = only(context(audiences=(f"api://{guid}",), tokens=given(sign(claims(aud=guid)))), "token_aud_mismatch")
    assert "api://" in finding.evidence["likely_cause"]


def test_an_expired_token_is_only_a_warning_because_its_values_still_serve_onboarding() -> None:
    later = context(now=NOW.replace(year=2027))
    assert only(later, "token_expired").severity.value == "warning"


def test_no_token_says_which_flags_give_one() -> None:
    finding = only(context(tokens=()), "token_none")
    for flag in ("--token", "--token-file", "--client-id", "--username"):
        assert flag in finding.fix


@pytest.mark.parametrize(
    ("payload", "claim", "expected"),
    [
        ({"sub": "s", "upn": "u"}, "upn", ("upn", "u")),
        ({"sub": "s", "upn": ""}, "upn", ("sub", "s")),
        ({"sub": "s", "upn": None}, "upn", ("sub", "s")),
        ({"sub": "s"}, "upn", ("sub", "s")),
        ({"sub": ""}, "sub", (None, None)),
        ({}, "upn", (None, None)),
    ],
)
def test_the_mapping_claim_falls_back_to_sub_when_the_custom_claim_is_absent_or_empty(
    payload: dict[str, str | None], claim: str, expected: tuple[str | None, str | None]
) -> None:
    assert mapping_claim(payload, claim) == expected


def test_an_entra_issuer_mapped_by_preferred_username_is_not_warned() -> None:
    entra = f"https://login.microsoftonline.com/{TID}/v2.0"
    ctx = context(
        issuer=entra, entity_id=entra, discovery=None, external_id_claim="preferred_username", tokens=given(sign(claims(iss=entra)))
    )
    assert "external_id_entra_sub" not in {f.code for f in run_checks(ctx)}
