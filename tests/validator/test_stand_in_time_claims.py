"""The stand-in reads nbf and iat as strictly as exp: a NumericDate that is not an integer is refused with a
reason (it used to be ignored, so nbf 9999999999.5 got 200), and so is an iat from beyond the leeway's future."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from build import AUDIENCE, DROP, ISSUER, KID, NOW, USER, b64url, claims, public_jwk, rsa_key, sign
from oidc_validator.simulate.config import StandInConfig
from oidc_validator.simulate.decide import Decision, decide

CONFIG = StandInConfig(issuer=ISSUER, audiences=(AUDIENCE,), custom_claim=None, users={USER: "alice"}, key_source="certificates")
T = int(NOW.timestamp())
NOT_INTEGERS = {"fraction": 9999999999.5, "string": "9999999999", "boolean": True, "overflowing_float": "1e400", "null": None}


def _signed_with_literal(payload: dict[str, Any], literal: str) -> str:
    """A signed token whose JSON holds ``literal`` as written (1e400 parses to inf; json.dumps would write Infinity)."""
    header = b64url(json.dumps({"alg": "RS256", "kid": KID, "typ": "JWT"}).encode())
    body = b64url(json.dumps(payload).replace('"LITERAL"', literal).encode())
    signature = rsa_key().sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{b64url(signature)}"


def decision(**overrides: Any) -> Decision:
    literal = next((name for name, value in overrides.items() if value == "1e400"), None)
    if literal is not None:
        token = _signed_with_literal(claims(**{**overrides, literal: "LITERAL"}), "1e400")
    else:
        token = sign(claims(**overrides), rsa_key())
    return decide(token, [public_jwk(rsa_key())], CONFIG, now=T)


def test_a_token_with_integer_times_is_accepted() -> None:
    assert decision().accepted


@pytest.mark.parametrize("value", NOT_INTEGERS.values(), ids=NOT_INTEGERS.keys())
def test_a_non_integer_nbf_is_refused_as_bad_nbf(value: Any) -> None:
    refused = decision(nbf=value)
    assert (refused.accepted, refused.reason) == (False, "bad_nbf")
    assert "nbf" in refused.description


@pytest.mark.parametrize("value", NOT_INTEGERS.values(), ids=NOT_INTEGERS.keys())
def test_a_non_integer_iat_is_refused_as_bad_iat(value: Any) -> None:
    refused = decision(iat=value)
    assert (refused.accepted, refused.reason) == (False, "bad_iat")


def test_an_iat_beyond_the_leeway_in_the_future_is_refused() -> None:
    refused = decision(iat=T + CONFIG.leeway_seconds + 1)
    assert (refused.accepted, refused.reason) == (False, "issued_in_future")


def test_an_iat_within_the_leeway_in_the_future_is_accepted() -> None:
    assert decision(iat=T + CONFIG.leeway_seconds).accepted


def test_a_token_without_nbf_or_iat_is_still_accepted() -> None:
    assert decision(nbf=DROP, iat=DROP).accepted


@pytest.mark.anyio
async def test_the_stand_in_answers_401_naming_bad_nbf_over_http() -> None:
    import httpx

    from oidc_validator.simulate.app import create_stand_in_app
    from oidc_validator.simulate.keyring import CertificateKeys

    app = create_stand_in_app(CONFIG, keyring=CertificateKeys((public_jwk(rsa_key()),)), clock=lambda: float(T))
    token = sign(claims(nbf=9999999999.5), rsa_key())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://stand-in") as client:
        response = await client.get("/api/2.0/fo/asset/ip/?action=list", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert 'error_description="bad_nbf: ' in response.headers["www-authenticate"]
