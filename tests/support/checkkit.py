"""Builders for the check tests: keys, certificates, JWKS, tokens and a clean Context to spoil one field at a time.

Everything is crafted in-process with cryptography and PyJWT; the clock is the fixed NOW.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from oidc_validator.model.context import CertificateFile, Context, Fetched, Inputs, Observations, SampleToken
from oidc_validator.model.findings import Finding, Severity

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ISSUER = "https://idp.example.com/realms/demo"
DISCOVERY_URL = ISSUER + "/.well-known/openid-configuration"
JWKS_URL = ISSUER + "/protocol/openid-connect/certs"
AUDIENCE = "https://qualys.example/api"
KID = "key-1"
USER = "alice@example.com"


@functools.cache
def rsa_key(bits: int = 2048, seed: int = 0) -> rsa.RSAPrivateKey:
    """``seed`` only distinguishes cached keys: a test asking for two different keys gets two."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.cache
def ec_key(curve: str = "P-256", seed: int = 0) -> ec.EllipticCurvePrivateKey:
    curves = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1(), "secp256k1": ec.SECP256K1()}
    return ec.generate_private_key(curves[curve])


@functools.cache
def ed_key(seed: int = 0) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@functools.cache
def ed448_key() -> ed448.Ed448PrivateKey:
    return ed448.Ed448PrivateKey.generate()


def certificate(
    key: Any, *, not_before: datetime | None = None, not_after: datetime | None = None, cn: str = "test signing"
) -> x509.Certificate:
    not_before = not_before or NOW - timedelta(days=30)
    not_after = not_after or NOW + timedelta(days=335)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    digest = None if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey) else hashes.SHA256()
    return builder.sign(key, digest)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(
    key: Any, kid: str | None = KID, alg: str | None = "RS256", *, cert: x509.Certificate | None = None, **extra: Any
) -> dict[str, Any]:
    """The public JWK of ``key`` as an IdP publishes it (kid, use, alg, x5c, x5t#S256)."""
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    else:
        jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
    jwk["use"] = "sig"
    if kid is not None:
        jwk["kid"] = kid
    if alg is not None:
        jwk["alg"] = alg
    if cert is not None:
        jwk["x5c"] = [base64.b64encode(der(cert)).decode()]
        jwk["x5t#S256"] = b64url(hashlib.sha256(der(cert)).digest())
        jwk["x5t"] = b64url(hashlib.sha1(der(cert), usedforsecurity=False).digest())
    jwk.update(extra)
    return jwk


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(NOW.timestamp())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": USER,
        "preferred_username": USER,
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + 3600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not DROP}


DROP: Any = object()


def sign(payload: dict[str, Any] | None = None, key: Any = None, alg: str = "RS256", kid: str | None = KID, **headers: Any) -> str:
    header: dict[str, Any] = {"typ": "at+jwt", **headers}
    if kid is not None:
        header["kid"] = kid
    return jwt.encode(payload if payload is not None else claims(), key if key is not None else rsa_key(), algorithm=alg, headers=header)


def compact(header: Any, payload: Any, signature: bytes = b"not-a-signature") -> str:
    """A hand-made compact JWS, for headers PyJWT refuses to produce."""

    def segment(value: Any) -> str:
        return b64url(value if isinstance(value, bytes) else json.dumps(value).encode())

    return f"{segment(header)}.{segment(payload)}.{b64url(signature)}"


def given(*raws: str, kind: str = "given") -> tuple[SampleToken, ...]:
    return tuple(SampleToken(raw, kind, "--token") for raw in raws)  # type: ignore[arg-type]


def fetched(url: str, document: Any) -> Fetched:
    body = json.dumps(document).encode()
    return Fetched(url, final_url=url, status=200, content_type="application/json", body=body, json=document)


def failed(url: str, kind: str, detail: str = "test failure") -> Fetched:
    return Fetched(url, error=kind, error_detail=detail)  # type: ignore[arg-type]


def discovery_document(issuer: str = ISSUER, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "issuer": issuer,
        "jwks_uri": JWKS_URL,
        "token_endpoint": ISSUER + "/protocol/openid-connect/token",
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }
    doc.update(overrides)
    return {k: v for k, v in doc.items() if v is not DROP}


def jwks(*keys: Any) -> Fetched:
    return fetched(JWKS_URL, {"keys": list(keys)})


def default_jwks() -> Fetched:
    return jwks(public_jwk(rsa_key(), cert=certificate(rsa_key())))


def cert_file(cert: x509.Certificate | None, name: str = "signing.pem", kid: str | None = None, **changes: Any) -> CertificateFile:
    changes.setdefault("der_certificates", (der(cert),) if cert is not None else ())
    return CertificateFile(Path(name), kid, **changes)


_INPUT_FIELDS = {f.name for f in dataclasses.fields(Inputs)}
_OBSERVATION_FIELDS = {f.name for f in dataclasses.fields(Observations)}


def context(now: datetime = NOW, **changes: Any) -> Context:
    """A clean onboarding (no errors, no warnings) with ``changes`` applied to Inputs or Observations fields."""
    inputs = Inputs(
        idp_name="test",
        entity_id=ISSUER,
        issuer=ISSUER,
        audiences=(AUDIENCE,),
        jwks_url=JWKS_URL,
        external_id=USER,
        tokens=given(sign(), kind="access_token"),
    )
    observations = Observations(discovery=fetched(DISCOVERY_URL, discovery_document()), jwks=default_jwks(), jwks_url_used=JWKS_URL)
    unknown = set(changes) - _INPUT_FIELDS - _OBSERVATION_FIELDS
    assert not unknown, f"not a field of Inputs or Observations: {unknown}"
    inputs = dataclasses.replace(inputs, **{k: v for k, v in changes.items() if k in _INPUT_FIELDS})
    observations = dataclasses.replace(observations, **{k: v for k, v in changes.items() if k in _OBSERVATION_FIELDS})
    return Context(inputs, observations, now)


def codes(findings: Iterable[Finding]) -> set[str]:
    return {f.code for f in findings}


def problems(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is not Severity.INFO]
