"""Every code in the catalogue is made to fire by a case in this table, and the table is checked against the catalogue.

Each case spoils one field of a clean onboarding (build.context) and names the codes it must produce.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from jwt.algorithms import RSAAlgorithm

from build import (
    AUDIENCE,
    DISCOVERY_URL,
    DROP,
    ISSUER,
    JWKS_URL,
    KID,
    NOW,
    b64url,
    cert_file,
    certificate,
    claims,
    codes,
    compact,
    context,
    der,
    discovery_document,
    ec_key,
    ed448_key,
    failed,
    fetched,
    given,
    jwks,
    problems,
    public_jwk,
    rsa_key,
    sign,
)
from oidc_validator.checks.run import CATALOGUE, CHECKS, run_checks
from oidc_validator.model.context import Context, TokenRequestFailure
from oidc_validator.model.findings import Finding

T = int(NOW.timestamp())
ENTRA = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"


def run(**changes: Any) -> list[Finding]:
    return run_checks(context(**changes))


def with_claims(**overrides: Any) -> list[Finding]:
    return run(tokens=given(sign(claims(**overrides))))


def with_token(raw: str) -> list[Finding]:
    return run(tokens=given(raw))


def with_discovery(**overrides: Any) -> list[Finding]:
    return run(discovery=fetched(DISCOVERY_URL, discovery_document(**overrides)))


def with_keys(*keys: Any, **changes: Any) -> list[Finding]:
    return run(jwks=jwks(*keys), **changes)


def rsa_jwk(**changes: Any) -> dict[str, Any]:
    return public_jwk(rsa_key(), cert=certificate(rsa_key()), **changes)


def with_jwks_cert(**validity: Any) -> list[Finding]:
    return with_keys(public_jwk(rsa_key(), cert=certificate(rsa_key(), **validity)))


def hex_x5t_jwk() -> dict[str, Any]:
    cert = certificate(rsa_key())
    return public_jwk(rsa_key(), cert=cert, x5t=b64url(hashlib.sha1(der(cert), usedforsecurity=False).hexdigest().encode()))


def off_curve_jwk() -> dict[str, Any]:
    jwk = public_jwk(ec_key(), kid="ec", alg="ES256")
    y = bytearray(base64.urlsafe_b64decode(jwk["y"] + "=="))
    y[-1] ^= 1
    return {**jwk, "y": b64url(bytes(y))}


def private_rsa_jwk() -> dict[str, Any]:
    return {**RSAAlgorithm.to_jwk(rsa_key(), as_dict=True), "kid": KID, "alg": "RS256", "use": "sig"}


def two_keys() -> tuple[dict[str, Any], dict[str, Any]]:
    return public_jwk(rsa_key()), public_jwk(rsa_key(seed=1), kid="key-2")


def roca_modulus() -> str:
    import json
    from pathlib import Path

    vectors = Path(__file__).resolve().parents[1] / "data" / "wycheproof" / "json_web_key_test.json"
    group = next(g for g in json.loads(vectors.read_text())["testGroups"] if "roca" in g["comment"])
    return str(group["public"]["keys"][0]["n"])


def vendor_run(issuer: str, **extra: Any) -> list[Finding]:
    return run(issuer=issuer, entity_id=issuer, tokens=given(sign(claims(iss=issuer, **extra))), discovery=None)


def crash(ctx: Context) -> list[Finding]:
    raise RuntimeError("boom: eyJhbGciOi... must never be shown")


def failure(grant: str) -> TokenRequestFailure:
    return TokenRequestFailure(grant, "invalid_client: client authentication failed")


CASES: list[tuple[str, Callable[[], list[Finding]], set[str]]] = [
    # entity
    ("a clean onboarding relates the entity id to the issuer", run, {"entity_id_relation"}),
    ("no entity id", lambda: run(entity_id=None), {"entity_id_missing"}),
    ("entity id without scheme", lambda: run(entity_id="idp.example.com"), {"entity_id_invalid"}),
    ("entity id with a query", lambda: run(entity_id="https://idp.example.com/idp?x=1"), {"entity_id_invalid"}),
    ("urn with a one-letter nid", lambda: run(entity_id="urn:x:idp"), {"entity_id_invalid"}),
    ("http entity id", lambda: run(entity_id="http://idp.example.com/idp"), {"entity_id_http"}),
    ("http loopback entity id", lambda: run(entity_id="http://127.0.0.1:8080/idp"), {"entity_id_http_loopback"}),
    # issuer
    ("no issuer and no token", lambda: run(issuer=None, tokens=()), {"issuer_missing"}),
    ("no issuer but a token", lambda: run(issuer=None), {"issuer_from_token"}),
    ("issuer without scheme", lambda: run(issuer="idp.example.com/realms/demo"), {"issuer_invalid"}),
    ("http issuer", lambda: run(issuer="http://idp.example.com/realms/demo"), {"issuer_http", "token_iss_mismatch"}),
    ("http loopback issuer", lambda: run(issuer="http://localhost:8080/realms/demo"), {"issuer_http_loopback"}),
    ("discovery issuer with trailing slash", lambda: with_discovery(issuer=ISSUER + "/"), {"issuer_discovery_mismatch"}),
    ("token iss with trailing slash", lambda: with_claims(iss=ISSUER + "/"), {"token_iss_mismatch"}),
    ("token without iss", lambda: with_claims(iss=DROP), {"token_iss_missing"}),
    # discovery
    ("discovery not fetched", lambda: run(discovery=None), {"discovery_not_checked"}),
    ("discovery timed out", lambda: run(discovery=failed(DISCOVERY_URL, "timeout")), {"discovery_fetch_failed"}),
    ("discovery is a list", lambda: run(discovery=fetched(DISCOVERY_URL, [1, 2])), {"discovery_not_object"}),
    ("discovery without issuer", lambda: with_discovery(issuer=DROP), {"discovery_issuer_missing"}),
    ("discovery without jwks_uri", lambda: with_discovery(jwks_uri=DROP), {"discovery_jwks_uri_missing"}),
    ("relative token endpoint", lambda: with_discovery(token_endpoint="/token"), {"discovery_endpoint_invalid"}),
    ("http token endpoint", lambda: with_discovery(token_endpoint="http://idp.example.com/token"), {"discovery_endpoint_http"}),
    ("loopback http jwks_uri", lambda: with_discovery(jwks_uri="http://[::1]:8080/jwks"), {"discovery_endpoint_http_loopback"}),
    ("alg not advertised", lambda: with_discovery(id_token_signing_alg_values_supported=["ES256"]), {"discovery_alg_not_advertised"}),
    ("jwks url not discovery's", lambda: run(jwks_url="https://idp.example.com/other-keys"), {"jwks_url_differs_from_discovery"}),
    # jwks
    ("jwks not fetched", lambda: run(jwks=None), {"jwks_not_checked"}),
    ("jwks served as html", lambda: run(jwks=failed(JWKS_URL, "wrong_content_type")), {"jwks_fetch_failed"}),
    ("jwks without keys member", lambda: run(jwks=fetched(JWKS_URL, {"key": []})), {"jwks_not_key_set"}),
    ("empty jwks", lambda: with_keys(), {"jwks_empty"}),
    ("jwks entry is a string", lambda: with_keys("key", rsa_jwk()), {"jwk_not_object"}),
    ("jwk without kid", lambda: with_keys(rsa_jwk(kid=None)), {"jwk_kid_missing", "token_kid_unknown"}),
    (
        "two keys share a kid",
        lambda: with_keys(public_jwk(rsa_key()), public_jwk(rsa_key(seed=1))),
        {"jwk_kid_duplicate", "token_key_ambiguous"},
    ),
    ("private rsa jwk", lambda: with_keys(private_rsa_jwk()), {"jwk_private_members"}),
    (
        "private members nested in a key and in another member of the set",
        lambda: run(jwks=fetched(JWKS_URL, {"keys": [{**rsa_jwk(), "extra": {"d": "c2VjcmV0"}}], "signing_keys": [private_rsa_jwk()]})),
        {"jwks_private_material"},
    ),
    ("symmetric jwk", lambda: with_keys(rsa_jwk(), {"kty": "oct", "k": "c2VjcmV0", "kid": "s"}), {"jwk_symmetric"}),
    ("dsa jwk", lambda: with_keys(rsa_jwk(), {"kty": "DSA", "kid": "d"}), {"jwk_kty_unsupported"}),
    ("encryption jwk", lambda: with_keys(rsa_jwk(use="enc")), {"jwk_use_not_sig", "token_key_unusable"}),
    ("jwk declaring HS256", lambda: with_keys(rsa_jwk(alg="HS256")), {"jwk_alg_forbidden"}),
    ("jwk declaring none", lambda: with_keys(rsa_jwk(alg="none")), {"jwk_alg_forbidden"}),
    ("jwk declaring RSA-OAEP", lambda: with_keys(rsa_jwk(alg="RSA-OAEP")), {"jwk_alg_unsupported"}),
    ("P-256 jwk declaring ES384", lambda: with_keys(rsa_jwk(), public_jwk(ec_key(), kid="ec", alg="ES384")), {"jwk_alg_mismatch"}),
    ("RSA jwk declaring ES256", lambda: with_keys(rsa_jwk(), public_jwk(rsa_key(seed=1), kid="r", alg="ES256")), {"jwk_alg_mismatch"}),
    ("1024-bit rsa jwk", lambda: with_keys(rsa_jwk(), public_jwk(rsa_key(1024), kid="weak")), {"jwk_rsa_weak"}),
    ("rsa exponent 1", lambda: with_keys(rsa_jwk(), public_jwk(rsa_key(seed=1), kid="e1", e="AQ")), {"jwk_rsa_exponent"}),
    ("Ed448 jwk", lambda: with_keys(rsa_jwk(), public_jwk(ed448_key(), kid="ed448", alg=None)), {"jwk_curve_unsupported"}),
    ("secp256k1 jwk", lambda: with_keys(rsa_jwk(), public_jwk(ec_key("secp256k1"), kid="k1", alg=None)), {"jwk_curve_unsupported"}),
    ("EC point off the curve", lambda: with_keys(rsa_jwk(), off_curve_jwk()), {"jwk_invalid"}),
    ("rsa modulus not base64url", lambda: with_keys(rsa_jwk(), public_jwk(rsa_key(seed=1), kid="bad", n="***")), {"jwk_invalid"}),
    ("x5c not base64", lambda: with_keys(rsa_jwk(x5c=["not base64!"])), {"jwk_x5c_invalid"}),
    ("x5c of another key", lambda: with_keys(public_jwk(rsa_key(), cert=certificate(rsa_key(seed=1)))), {"jwk_x5c_key_mismatch"}),
    ("wrong x5t", lambda: with_keys(rsa_jwk(x5t="AAAA")), {"jwk_x5t_mismatch"}),
    ("wrong x5t#S256", lambda: with_keys(rsa_jwk(**{"x5t#S256": "AAAA"})), {"jwk_x5t_s256_mismatch"}),
    ("only an encryption key", lambda: with_keys(public_jwk(rsa_key(), kid="e", use="enc")), {"jwks_no_signing_key"}),
    ("x5t as base64url of the hex thumbprint", lambda: with_keys(hex_x5t_jwk()), {"jwk_x5t_hex_encoded"}),
    (
        "encryption key beside the signing key",
        lambda: with_keys(rsa_jwk(), public_jwk(rsa_key(seed=2), kid="e", use="enc")),
        {"jwk_not_signing_key"},
    ),
    (
        "expired x5c of a key that signs nothing",
        lambda: with_keys(
            rsa_jwk(), public_jwk(rsa_key(seed=2), kid="old", cert=certificate(rsa_key(seed=2), not_after=NOW - timedelta(days=1)))
        ),
        {"jwk_x5c_expired_unpinned"},
    ),
    ("no x5c and no jwks url given", lambda: with_keys(public_jwk(rsa_key()), jwks_url=None), {"jwks_no_x5c"}),
    ("no x5c with jwks url given", lambda: with_keys(public_jwk(rsa_key())), {"jwks_no_x5c_url_given"}),
    # certificate validity (JWKS x5c and files share these codes)
    ("expired x5c", lambda: with_jwks_cert(not_after=NOW - timedelta(days=1)), {"certificate_expired"}),
    (
        "x5c expiring in 10 days",
        lambda: with_jwks_cert(not_after=NOW + timedelta(days=10)),
        {"certificate_expiring", "keysource_use_jwks_url"},
    ),
    ("x5c not yet valid", lambda: with_jwks_cert(not_before=NOW + timedelta(days=1)), {"certificate_not_yet_valid"}),
    (
        "expired certificate file",
        lambda: run(certificates=(cert_file(certificate(rsa_key(), not_after=NOW - timedelta(days=2)), kid=KID),)),
        {"certificate_expired"},
    ),
    # certificate files
    (
        "truncated certificate file",
        lambda: run(certificates=(cert_file(None, error="a PEM block has no END line"),)),
        {"cert_file_unreadable"},
    ),
    (
        "private key in certificate file",
        lambda: run(certificates=(cert_file(certificate(rsa_key()), contains_private_key=True),)),
        {"cert_file_private_key"},
    ),
    ("certificate file with a key only", lambda: run(certificates=(cert_file(None),)), {"cert_file_no_certificate"}),
    (
        "certificate file with a chain",
        lambda: run(certificates=(cert_file(None, der_certificates=(der(certificate(rsa_key())), der(certificate(rsa_key(seed=1))))),)),
        {"cert_file_several_certificates"},
    ),
    (
        "six certificates",
        lambda: run(certificates=tuple(cert_file(certificate(rsa_key()), f"c{i}.pem") for i in range(6))),
        {"certificates_too_many"},
    ),
    ("cert paired with an unknown kid", lambda: run(certificates=(cert_file(certificate(rsa_key()), kid="nope"),)), {"cert_kid_unknown"}),
    (
        "cert paired with the wrong kid",
        lambda: run(certificates=(cert_file(certificate(rsa_key(seed=1)), kid=KID),)),
        {"cert_kid_key_mismatch"},
    ),
    (
        "two certs paired with one kid",
        lambda: run(certificates=(cert_file(certificate(rsa_key()), "a.pem", KID), cert_file(certificate(rsa_key()), "b.pem", KID))),
        {"cert_kid_duplicate"},
    ),
    ("cert of a key not in the jwks", lambda: run(certificates=(cert_file(certificate(rsa_key(seed=1))),)), {"cert_matches_no_jwk"}),
    ("cert without kid and without jwks", lambda: run(jwks=None, certificates=(cert_file(certificate(rsa_key())),)), {"cert_unpaired"}),
    (
        "cert with kid but without jwks",
        lambda: run(jwks=None, certificates=(cert_file(certificate(rsa_key()), kid=KID),)),
        {"cert_pairing_unproven", "token_signature_verified"},
    ),
    ("cert paired and proven", lambda: run(certificates=(cert_file(certificate(rsa_key()), kid=KID),)), {"cert_paired"}),
    ("cert found by public key", lambda: run(certificates=(cert_file(certificate(rsa_key())),)), {"cert_paired"}),
    (
        "jwks key without a certificate file",
        lambda: with_keys(*two_keys(), certificates=(cert_file(certificate(rsa_key()), kid=KID),)),
        {"jwk_without_certificate", "keysource_pinning_rotation_risk"},
    ),
    # key source
    (
        "no jwks url and no certificates",
        lambda: run(jwks_url=None, jwks_url_used=None, jwks=None, discovery=None),
        {"signing_keys_missing", "token_signature_unverifiable"},
    ),
    ("several keys without certificates", lambda: with_keys(*two_keys()), {"keysource_use_jwks_url"}),
    # token form
    ("no token", lambda: run(tokens=()), {"token_none"}),
    (
        "failed grant",
        lambda: run(tokens=(), token_requested=True, token_failures=(failure("client_credentials"),)),
        {"token_request_failed"},
    ),
    ("oversize token", lambda: with_token("a" * 20_000), {"token_too_large"}),
    ("jwe token", lambda: with_token("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"), {"token_jwe"}),
    ("json serialised jws", lambda: with_token('{"payload": "e30", "signatures": []}'), {"token_json_serialization"}),
    ("two segments", lambda: with_token("eyJhbGciOiJSUzI1NiJ9.e30"), {"token_segment_count"}),
    ("padded segment", lambda: with_token(sign() + "="), {"token_bad_base64url"}),
    ("header not json", lambda: with_token(compact(b"not json", claims())), {"token_bad_json"}),
    ("payload is an array", lambda: with_token(compact({"alg": "RS256", "kid": KID}, [1])), {"token_bad_json"}),
    ("duplicate alg", lambda: with_token(compact(b'{"alg":"RS256","alg":"none"}', claims())), {"token_duplicate_member"}),
    ("alg none", lambda: with_token(compact({"alg": "none", "kid": KID}, claims(), b"")), {"token_alg_none"}),
    ("alg NoNe", lambda: with_token(compact({"alg": "NoNe", "kid": KID}, claims(), b"")), {"token_alg_none"}),
    ("HS256 token", lambda: with_token(jwt.encode(claims(), "s" * 32, algorithm="HS256", headers={"kid": KID})), {"token_alg_symmetric"}),
    ("ES256K token", lambda: with_token(compact({"alg": "ES256K", "kid": KID}, claims())), {"token_alg_unsupported"}),
    ("crit header", lambda: with_token(sign(crit=["exp"])), {"token_crit"}),
    ("jku header", lambda: with_token(sign(jku="https://attacker.example/jwks")), {"token_header_key_reference_ignored"}),
    # token key and signature
    ("token without kid", lambda: with_token(sign(kid=None)), {"token_kid_missing"}),
    (
        "token without kid nor keys",
        lambda: run(tokens=given(sign(kid=None)), jwks=None),
        {"token_kid_missing", "token_signature_unverifiable"},
    ),
    ("token with unknown kid", lambda: with_token(sign(kid="rotated-away")), {"token_kid_unknown"}),
    ("ES256 token under an RSA kid", lambda: with_token(sign(key=ec_key(), alg="ES256")), {"token_key_unusable"}),
    ("token signed by another key", lambda: with_token(sign(key=rsa_key(seed=1))), {"token_signature_invalid"}),
    ("token signed right", run, {"token_signature_verified", "token_typ"}),
    # audience
    ("no audience anywhere", lambda: run(audiences=(), tokens=given(sign(claims(aud=DROP)))), {"audience_missing", "token_aud_missing"}),
    ("audience read from token", lambda: run(audiences=()), {"audience_from_token"}),
    ("token without aud", lambda: with_claims(aud=DROP), {"token_aud_missing"}),
    ("numeric aud", lambda: with_claims(aud=123), {"token_aud_invalid"}),
    ("other aud", lambda: with_claims(aud="api://other"), {"token_aud_mismatch"}),
    ("two audiences", lambda: with_claims(aud=[AUDIENCE, "account"]), {"token_aud_several"}),
    # dates
    ("no exp", lambda: with_claims(exp=DROP), {"token_exp_missing"}),
    ("expired", lambda: with_claims(exp=T - 10), {"token_expired"}),
    ("exp in milliseconds", lambda: with_claims(exp=T * 1000), {"token_date_milliseconds"}),
    ("exp as string", lambda: with_claims(exp=str(T + 60)), {"token_date_type"}),
    ("iat as float", lambda: with_claims(iat=T + 0.5), {"token_date_type"}),
    ("nbf as bool", lambda: with_claims(nbf=True), {"token_date_type"}),
    ("iat in an hour", lambda: with_claims(iat=T + 3600), {"token_iat_future"}),
    ("nbf in an hour", lambda: with_claims(nbf=T + 3600), {"token_nbf_future"}),
    # mapping
    ("mapping by sub", run, {"external_id_claim"}),
    ("custom claim absent", lambda: run(external_id_claim="upn"), {"external_id_fallback_to_sub"}),
    ("custom claim empty", lambda: run(external_id_claim="email", tokens=given(sign(claims(email="")))), {"external_id_fallback_to_sub"}),
    ("neither claim nor sub", lambda: with_claims(sub=DROP), {"external_id_claim_missing"}),
    ("numeric sub", lambda: with_claims(sub=42), {"external_id_claim_not_string"}),
    ("other user", lambda: run(external_id="bob@example.com"), {"external_id_mismatch"}),
    ("no external id", lambda: run(external_id=None), {"external_id_not_given"}),
    (
        "entra with sub",
        lambda: run(issuer=ENTRA, entity_id=ENTRA, tokens=given(sign(claims(iss=ENTRA))), discovery=None),
        {"external_id_entra_sub"},
    ),
    # ROCA: the Wycheproof vector's modulus (tests/data/wycheproof), which carries the fingerprint
    (
        "roca rsa jwk",
        lambda: with_keys(rsa_jwk(), {"kty": "RSA", "kid": "roca", "use": "sig", "alg": "RS256", "n": roca_modulus(), "e": "AQAB"}),
        {"jwk_rsa_roca"},
    ),
    ("id token for the client", lambda: run(tokens=given(sign(claims(aud="client-1")), kind="id_token")), {"id_token_aud_is_client"}),
    # vendor recognition and hints
    (
        "entra v2 tokens",
        lambda: run(issuer=ENTRA, entity_id=ENTRA, tokens=given(sign(claims(iss=ENTRA, tid="t", oid="o", ver="2.0"))), discovery=None),
        {"vendor_recognised", "vendor_entra_token_version"},
    ),
    (
        "okta org server",
        lambda: vendor_run("https://acme.okta.com", cid="c", scp=["openid"]),
        {"vendor_recognised", "vendor_okta_org_server"},
    ),
    ("auth0 issuer", lambda: vendor_run("https://acme.auth0.com/", gty="client-credentials"), {"vendor_auth0_issuer_slash"}),
    (
        "keycloak account audience",
        lambda: vendor_run("https://kc.example/realms/acme", aud="account"),
        {"vendor_keycloak_account_audience"},
    ),
    ("google issuer forms", lambda: vendor_run("accounts.google.com"), {"vendor_google_issuer_forms"}),
    # internal
    ("a crashing check", lambda: run_checks(context(), checks=(crash, *CHECKS)), {"internal_error", "token_signature_verified"}),
]


@pytest.mark.parametrize(("build", "expected"), [pytest.param(b, e, id=n) for n, b, e in CASES])
def test_each_case_fires_its_codes_and_no_internal_error(build: Callable[[], list[Finding]], expected: set[str]) -> None:
    findings = build()
    fired = codes(findings)
    assert expected <= fired, f"missing {expected - fired}; fired {sorted(fired)}"
    if "internal_error" not in expected:
        assert "internal_error" not in fired, [f.message for f in findings if f.code == "internal_error"]


def test_every_catalogue_code_has_a_case_that_fires_it() -> None:
    covered = set().union(*(expected for _, _, expected in CASES))
    assert {c.code for c in CATALOGUE} - covered == set()
    assert covered - {c.code for c in CATALOGUE} == set(), "the table names codes the catalogue does not have"


def test_a_clean_onboarding_has_no_error_or_warning() -> None:
    assert problems(run()) == []


def test_a_crashing_check_is_reported_without_its_exception_text() -> None:
    (finding,) = [f for f in run_checks(context(), checks=(crash,))]
    assert finding.code == "internal_error"
    assert "eyJ" not in finding.message and "boom" not in finding.message
    assert finding.evidence["exception"] == "RuntimeError"


def test_findings_come_in_the_same_order_every_run() -> None:
    ctx = context(entity_id=None, issuer=None, audiences=(), external_id=None)
    assert run_checks(ctx) == run_checks(ctx)


def test_every_code_has_a_meaning_and_a_fix() -> None:
    for code in CATALOGUE:
        assert code.meaning.strip() and code.fix.strip(), code.code
        assert code.code == code.code.lower() and " " not in code.code
