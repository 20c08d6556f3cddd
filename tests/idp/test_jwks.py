"""The JWKS: every published key is complete, certified, and public only."""

from __future__ import annotations

import httpx
import pytest

from crosscheck import certificate_of, jwk_public_spki, spki, x5t_s256
from oidc_idp import running

ALGS = ["RS256", "PS256", "ES256", "EdDSA"]
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
EXPECTED_KTY = {"RS256": "RSA", "PS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}


@pytest.fixture(scope="module", params=ALGS)
def served(request: pytest.FixtureRequest) -> dict:
    with running(alg=request.param) as server:
        return {"alg": request.param, "jwks": httpx.get(server.jwks_uri, timeout=5).json()}


def test_every_published_key_has_kid_kty_use_alg_x5c_and_thumbprint(served: dict) -> None:
    (key,) = served["jwks"]["keys"]
    assert key["kid"]
    assert key["kty"] == EXPECTED_KTY[served["alg"]]
    assert key["use"] == "sig"
    assert key["alg"] == served["alg"]
    assert len(key["x5c"]) == 1
    assert key["x5t#S256"] == x5t_s256(key)


def test_the_certificate_holds_exactly_the_jwks_public_key(served: dict) -> None:
    (key,) = served["jwks"]["keys"]
    assert spki(certificate_of(key).public_key()) == jwk_public_spki(key)


def test_the_jwks_never_holds_private_members(served: dict) -> None:
    for key in served["jwks"]["keys"]:
        assert not PRIVATE_MEMBERS & set(key), f"private member published for {served['alg']}"


def test_rsa_keys_are_2048_bits_by_default() -> None:
    with running() as server:
        (key,) = httpx.get(server.jwks_uri, timeout=5).json()["keys"]
    assert certificate_of(key).public_key().key_size == 2048  # type: ignore[union-attr]
