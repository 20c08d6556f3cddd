"""Material for the bundle tests: Contexts built from the real test IdP (over loopback) or crafted with cryptography.

Kept here (not in a conftest) so every tests/validator/test_bundle_*.py module imports the same helpers.
"""

from __future__ import annotations

import base64
import io
import ssl
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

import checkkit
from oidc_idp import RunningIdp
from oidc_validator.model.context import CertificateFile, Context, Fetched, Inputs, Observations, SampleToken

CLIENT = ("demo-client", "demo-secret")
USER = ("demo", "demo-password")
AUDIENCE = "https://qualys.example/api"
EXTERNAL_ID = "demo@example.com"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the test IdP's fixed clock
TIMEOUT = httpx.Timeout(5.0)


def fetched(url: str, body: Any) -> Fetched:
    return Fetched(url=url, final_url=url, status=200, content_type="application/json", json=body)


def _verify(server: RunningIdp) -> Any:
    return ssl.create_default_context(cafile=str(server.ca_file)) if server.ca_file is not None else True


def password_grant(server: RunningIdp) -> dict[str, Any]:
    data = {"grant_type": "password", "username": USER[0], "password": USER[1], "scope": "openid profile"}
    response = httpx.post(server.token_endpoint, data=data, auth=CLIENT, timeout=TIMEOUT, verify=_verify(server))
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def idp_context(server: RunningIdp, *, now: datetime, **inputs: Any) -> Context:
    """What the I/O layer would observe: discovery, the JWKS, and the tokens of a password grant."""
    discovery = httpx.get(server.discovery_url, timeout=TIMEOUT, verify=_verify(server)).json()
    jwks = httpx.get(discovery["jwks_uri"], timeout=TIMEOUT, verify=_verify(server)).json()
    grant = password_grant(server)
    fields: dict[str, Any] = {
        "idp_name": "Test IdP",
        "entity_id": server.issuer,
        "issuer": server.issuer,
        "audiences": (AUDIENCE,),
        "external_id": EXTERNAL_ID,
        "tokens": (
            SampleToken(grant["access_token"], "access_token", "password grant"),
            SampleToken(grant["id_token"], "id_token", "password grant"),
        ),
        "token_requested": True,
        **inputs,
    }
    observations = Observations(
        discovery=fetched(server.discovery_url, discovery),
        jwks=fetched(discovery["jwks_uri"], jwks),
        jwks_url_used=discovery["jwks_uri"],
    )
    return Context(Inputs(**fields), observations, now)


def jwks_of(ctx: Context) -> Any:
    assert ctx.observations.jwks is not None
    return ctx.observations.jwks.json


# -- crafted material ---------------------------------------------------------------------------


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def certificate(
    key: Any, *, name: str = "crafted signing key", not_before: datetime = T0 - timedelta(days=1), days: int = 365
) -> x509.Certificate:
    return checkkit.certificate(key, not_before=not_before, not_after=not_before + timedelta(days=days), cn=name)


def jwk_for(key: Any, kid: str, cert: x509.Certificate | None = None, *, private: bool = False) -> dict[str, Any]:
    """A JWK of the key (with its private members when ``private``, as a careless IdP might publish)."""
    algorithm = RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else ECAlgorithm
    jwk: dict[str, Any] = algorithm.to_jwk(key if private else key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"})
    if cert is not None:
        jwk["x5c"] = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
    return jwk


def sign(key: Any, kid: str, claims: dict[str, Any]) -> str:
    alg = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def crafted_claims(*, exp: datetime, iss: str = "https://idp.example.com", sub: str = EXTERNAL_ID) -> dict[str, Any]:
    return {"iss": iss, "aud": AUDIENCE, "sub": sub, "iat": int((exp - timedelta(hours=1)).timestamp()), "exp": int(exp.timestamp())}


def crafted_context(
    jwks: dict[str, Any] | None,
    *,
    now: datetime = T0,
    tokens: tuple[str, ...] = (),
    certificates: tuple[CertificateFile, ...] = (),
    jwks_url: str | None = "https://idp.example.com/jwks",
    **inputs: Any,
) -> Context:
    fields: dict[str, Any] = {
        "idp_name": "Crafted IdP",
        "entity_id": "https://idp.example.com",
        "issuer": "https://idp.example.com",
        "audiences": (AUDIENCE,),
        "external_id": EXTERNAL_ID,
        "jwks_url": jwks_url,
        "tokens": tuple(SampleToken(t, "given", "--token") for t in tokens),
        **inputs,
    }
    observations = Observations(
        jwks=fetched(jwks_url, jwks) if jwks is not None and jwks_url is not None else None,
        jwks_url_used=jwks_url,
        certificates=certificates,
    )
    return Context(Inputs(**fields), observations, now)


def cert_file(path: str, cert: x509.Certificate, kid: str | None = None) -> CertificateFile:
    return CertificateFile(Path(path), kid, (cert.public_bytes(serialization.Encoding.DER),))


def with_now(ctx: Context, now: datetime) -> Context:
    return replace(ctx, now=now)


# -- reading bundles ----------------------------------------------------------------------------


def unzip(data: bytes | Path) -> dict[str, bytes]:
    raw = data.read_bytes() if isinstance(data, Path) else data
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(files: dict[str, bytes], path: Path) -> Path:
    """A bundle rewritten by hand (what tampering looks like)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path
