"""private_key_jwt client authentication and the jwt-bearer grant (RFC 7523), with the right and wrong keys."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from crosscheck import verify
from oidc_idp import RunningIdp, running
from oidc_idp.errors import ConfigError

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ISSUER_KEY = ec.generate_private_key(ec.SECP256R1())
TRUSTED = "https://upstream.example"


def public_jwks(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"keys": [{**jwk, "kid": "client-key-1", "alg": "RS256", "use": "sig"}]}


def pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="module")
def server() -> Iterator[RunningIdp]:
    clients = [
        {
            "client_id": "pkjwt",
            "token_endpoint_auth_methods": ["private_key_jwt"],
            "grant_types": ["client_credentials"],
            "jwks": public_jwks(CLIENT_KEY),
        },
        {"client_id": "bearer-app", "client_secret": "s", "grant_types": [JWT_BEARER], "scopes": ["openid", "api"]},
    ]
    trusted = [{"issuer": TRUSTED, "client_id": "bearer-app", "public_key_pem": pem(ISSUER_KEY)}]
    with running(clients=clients, trusted_issuers=trusted) as idp:
        yield idp


def client_assertion(server: RunningIdp, key: Any = CLIENT_KEY, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": "pkjwt", "sub": "pkjwt", "aud": server.token_endpoint, "iat": now, "exp": now + 60, "jti": secrets.token_hex(8)}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="RS256", headers={"kid": "client-key-1"})


def with_assertion(server: RunningIdp, assertion: str, **extra: str) -> httpx.Response:
    data = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion, **extra}
    return httpx.post(server.token_endpoint, data=data, timeout=5)


def test_private_key_jwt_with_the_registered_key_gets_a_token(server: RunningIdp) -> None:
    response = with_assertion(server, client_assertion(server))
    assert response.status_code == 200, response.text
    claims = verify(response.json()["access_token"], httpx.get(server.jwks_uri, timeout=5).json(), "RS256").claims
    assert claims["client_id"] == "pkjwt"


def test_private_key_jwt_signed_with_another_key_is_invalid_client(server: RunningIdp) -> None:
    response = with_assertion(server, client_assertion(server, key=OTHER_KEY))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert "www-authenticate" in response.headers


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "https://someone-else.example/token"},
        {"exp": int(time.time()) - 3600},
        {"iss": "another-client"},
        {"jti": None},
    ],
    ids=["wrong_audience", "expired", "iss_not_sub", "no_jti"],
)
def test_a_bad_client_assertion_is_invalid_client(server: RunningIdp, overrides: dict[str, Any]) -> None:
    response = with_assertion(server, client_assertion(server, **overrides))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_a_client_assertion_cannot_be_replayed(server: RunningIdp) -> None:
    assertion = client_assertion(server)
    assert with_assertion(server, assertion).status_code == 200
    assert with_assertion(server, assertion).status_code == 401


def test_a_garbage_client_assertion_is_invalid_client_not_a_crash(server: RunningIdp) -> None:
    for garbage in ("garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJwa2p3dCJ9."):
        response = with_assertion(server, garbage)
        assert response.status_code == 401, garbage


def test_a_private_key_jwt_client_cannot_use_a_secret(server: RunningIdp) -> None:
    response = httpx.post(server.token_endpoint, data={"grant_type": "client_credentials"}, auth=("pkjwt", "anything"), timeout=5)
    assert response.status_code == 401


def test_private_key_jwt_also_authenticates_to_introspection(server: RunningIdp) -> None:
    token = with_assertion(server, client_assertion(server)).json()["access_token"]
    data = {
        "token": token,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(server, aud=server.issuer + "/introspect"),
    }
    assert httpx.post(server.issuer + "/introspect", data=data, timeout=5).json()["active"] is True


def bearer_assertion(server: RunningIdp, key: Any = ISSUER_KEY, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": TRUSTED, "sub": "demo", "aud": server.token_endpoint, "iat": now, "exp": now + 60}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="ES256")


def jwt_bearer(server: RunningIdp, assertion: str, **extra: str) -> httpx.Response:
    return httpx.post(server.token_endpoint, data={"grant_type": JWT_BEARER, "assertion": assertion, **extra}, timeout=5)


def test_the_jwt_bearer_grant_trades_a_trusted_assertion_for_a_token(server: RunningIdp) -> None:
    response = jwt_bearer(server, bearer_assertion(server), scope="api")
    assert response.status_code == 200, response.text
    claims = verify(response.json()["access_token"], httpx.get(server.jwks_uri, timeout=5).json(), "RS256").claims
    assert claims["sub"] == "demo@example.com"  # the configured user named by the assertion
    assert claims["client_id"] == "bearer-app" and claims["scope"] == "api"


def test_an_assertion_for_an_unknown_subject_gets_that_subject(server: RunningIdp) -> None:
    response = jwt_bearer(server, bearer_assertion(server, sub="svc-42"))
    assert jwt.decode(response.json()["access_token"], options={"verify_signature": False})["sub"] == "svc-42"


@pytest.mark.parametrize(
    ("key", "overrides"),
    [
        (ec.generate_private_key(ec.SECP256R1()), {}),
        (ISSUER_KEY, {"iss": "https://untrusted.example"}),
        (ISSUER_KEY, {"aud": "https://elsewhere.example"}),
        (ISSUER_KEY, {"exp": int(time.time()) - 3600}),
        (ISSUER_KEY, {"sub": None}),
    ],
    ids=["wrong_key", "untrusted_issuer", "wrong_audience", "expired", "no_subject"],
)
def test_a_bad_bearer_assertion_is_invalid_grant(server: RunningIdp, key: Any, overrides: dict[str, Any]) -> None:
    response = jwt_bearer(server, bearer_assertion(server, key=key, **overrides))
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("assertion", ["", "garbage", "a.b.c"], ids=["missing", "word", "three_segments"])
def test_a_missing_or_garbage_bearer_assertion_is_an_oauth_error(server: RunningIdp, assertion: str) -> None:
    response = jwt_bearer(server, assertion)
    assert response.status_code == 400 and response.json()["error"] in {"invalid_request", "invalid_grant"}


def test_discovery_lists_private_key_jwt_and_the_jwt_bearer_grant(server: RunningIdp) -> None:
    doc = httpx.get(server.discovery_url, timeout=5).json()
    assert "private_key_jwt" in doc["token_endpoint_auth_methods_supported"]
    assert JWT_BEARER in doc["grant_types_supported"]
    assert "RS256" in doc["token_endpoint_auth_signing_alg_values_supported"]


@pytest.mark.parametrize(
    "client",
    [
        {"client_id": "c", "token_endpoint_auth_methods": ["private_key_jwt"]},
        {"client_id": "c", "token_endpoint_auth_methods": ["private_key_jwt"], "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}},
        {"client_id": "c", "token_endpoint_auth_methods": ["private_key_jwt"], "public_key_pem": "not a key"},
    ],
    ids=["no_key", "symmetric_key", "bad_pem"],
)
def test_config_refuses_a_private_key_jwt_client_without_a_usable_public_key(client: dict[str, Any]) -> None:
    with pytest.raises(ConfigError), running(clients=[client]):
        pass


def test_config_refuses_a_trusted_issuer_whose_client_lacks_the_grant() -> None:
    with (
        pytest.raises(ConfigError, match="jwt-bearer"),
        running(trusted_issuers=[{"issuer": TRUSTED, "client_id": "demo-client", "public_key_pem": pem(ISSUER_KEY)}]),
    ):
        pass


def test_an_ec_public_key_in_jwks_form_works_too() -> None:
    jwk = {**ECAlgorithm.to_jwk(ISSUER_KEY.public_key(), as_dict=True), "kid": "ec-1"}
    client = {"client_id": "ec-client", "token_endpoint_auth_methods": ["private_key_jwt"], "jwks": {"keys": [jwk]}}
    with running(clients=[client]) as idp:
        now = int(time.time())
        claims = {"iss": "ec-client", "sub": "ec-client", "aud": idp.token_endpoint, "exp": now + 60, "jti": "j1"}
        assertion = jwt.encode(claims, ISSUER_KEY, algorithm="ES256", headers={"kid": "ec-1"})
        assert with_assertion(idp, assertion).status_code == 200


def test_a_bearer_assertion_cannot_be_replayed_with_the_same_jti(server: RunningIdp) -> None:
    assertion = bearer_assertion(server, jti="once-" + secrets.token_hex(4))
    assert jwt_bearer(server, assertion).status_code == 200
    again = jwt_bearer(server, assertion)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert "already used" in again.json()["error_description"]
    fresh_signature_same_jti = bearer_assertion(server, jti=jwt.decode(assertion, options={"verify_signature": False})["jti"])
    assert jwt_bearer(server, fresh_signature_same_jti).status_code == 400


def test_a_bearer_assertion_without_jti_is_good_once_whatever_its_signature_bytes(server: RunningIdp) -> None:
    assertion = bearer_assertion(server, sub="svc-once", iat=int(time.time()) - 5)
    assert jwt_bearer(server, assertion).status_code == 200
    assert jwt_bearer(server, assertion).status_code == 400
    # ECDSA signs the same content anew with other bytes: still the same assertion.
    header, payload, _ = assertion.split(".")
    signature = ISSUER_KEY.sign(f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(signature)
    resigned = f"{header}.{payload}." + jwt.utils.base64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()
    assert jwt_bearer(server, resigned).status_code == 400
