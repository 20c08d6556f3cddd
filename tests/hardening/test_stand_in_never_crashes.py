"""Property tests on the stand-in: whatever a client sends as a Bearer token, the answer is a 401 with a
reason (never a 500, never an acceptance), and the decision function never raises.

The check side has the same properties in tests/validator/test_checks_robustness.py; a header whose
``alg`` was a JSON array once crashed both, and only the checks' property test noticed.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from asgikit import request
from build import compact
from oidc_validator.simulate.app import create_stand_in_app
from oidc_validator.simulate.config import StandInConfig
from oidc_validator.simulate.decide import decide
from strategies import json_values as any_json

KID = "k1"
# A real RSA public key is not needed: no generated token carries a valid signature.
JWK = {"kty": "RSA", "kid": KID, "use": "sig", "alg": "RS256", "n": "sXch", "e": "AQAB"}
CONFIG = StandInConfig(
    issuer="https://idp.example",
    audiences=("https://qualys.example/api",),
    custom_claim=None,
    users={"someone@example.com": "someone"},
    key_source="certificates",
    certificate_jwks=(JWK,),
)
REASONS = {"malformed", "bad_alg", "bad_header", "unknown_kid", "ambiguous_kid", "bad_signature"}

json_values = any_json(max_leaves=12)
header_members = st.sampled_from(["alg", "kid", "typ", "crit", "jwk", "jku", "b64", "cty"]) | st.text(max_size=4)
headers = st.dictionaries(header_members, json_values | st.sampled_from(["RS256", "ES256", "none", "HS256", KID]), max_size=5)
payloads = st.dictionaries(st.sampled_from(["iss", "aud", "sub", "exp", "nbf"]) | st.text(max_size=4), json_values, max_size=6)


@settings(deadline=None)
@given(headers, payloads, st.binary(max_size=300))
def test_any_json_header_and_payload_get_a_rejection_with_a_reason_never_an_exception(
    header: dict[str, Any], payload: dict[str, Any], signature: bytes
) -> None:
    decision = decide(compact(header, payload, signature), [JWK], CONFIG, now=1_800_000_000)
    assert not decision.accepted
    assert decision.reason in REASONS


@settings(deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=300), headers.map(lambda h: compact(h, {}, b"s"))
    )
)
def test_any_bearer_value_is_a_401_from_the_stand_in_app(value: str) -> None:
    app = create_stand_in_app(CONFIG)
    response = request(app, "GET", "/api/2.0/fo/asset/ip/?action=list", headers={"Authorization": f"Bearer {value}"})
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    # RFC 6750 section 3: the quoted description holds %x20-21 / %x23-5B / %x5D-7E only.
    description = challenge.partition('error_description="')[2].removesuffix('"')
    assert all(" " <= c <= "~" and c not in '"\\' for c in description)


jwk_members = st.fixed_dictionaries(
    {"kid": st.just(KID)},
    optional={
        "kty": st.sampled_from(["RSA", "EC", "OKP", "oct"]) | json_values,
        "alg": st.sampled_from(["RS256", "ES256", "EdDSA"]) | json_values,
        "use": st.sampled_from(["sig", "enc"]) | json_values,
        "key_ops": st.lists(st.sampled_from(["verify", "sign"]) | st.text(max_size=3), max_size=2) | json_values,
        "crv": st.sampled_from(["P-256", "Ed25519"]) | json_values,
        "n": st.text(max_size=12) | json_values,
        "e": st.sampled_from(["AQAB", ""]) | json_values,
        "x": st.text(max_size=12) | json_values,
        "y": st.text(max_size=12) | json_values,
    },
)


@settings(deadline=None)
@given(st.lists(jwk_members, max_size=3), st.sampled_from(["RS256", "PS256", "ES256", "EdDSA"]), st.binary(max_size=300))
def test_any_onboarded_key_set_gets_a_rejection_with_a_reason_never_an_exception(
    keys: list[dict[str, Any]], alg: str, signature: bytes
) -> None:
    token = compact({"alg": alg, "kid": KID}, {"iss": CONFIG.issuer, "aud": CONFIG.audiences[0]}, signature)
    decision = decide(token, keys, CONFIG, now=1_800_000_000)
    assert not decision.accepted
    assert decision.reason in REASONS
