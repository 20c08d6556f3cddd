"""Builders for the validator's tests: keys, certificates, JWKs, tokens, Contexts and findings.

Everything is crafted in-process with cryptography and PyJWT. Two fixed clocks: NOW for the check tests'
clean onboarding (``context``), T0 for the bundle tests, which is also the running test IdP's clock there.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID
from jwt.utils import base64url_encode

from oidc_idp.keys.certificates import issue_certificate
from oidc_idp.keys.keygen import jwk_of
from oidc_validator.model.context import CertificateFile, Context, Fetched, Inputs, Observations, SampleToken
from oidc_validator.model.findings import Finding, Severity

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ISSUER = "https://idp.example.com/realms/demo"
DISCOVERY_URL = ISSUER + "/.well-known/openid-configuration"
JWKS_URL = ISSUER + "/protocol/openid-connect/certs"
AUDIENCE = "https://qualys.example/api"
KID = "key-1"
USER = "alice@example.com"
EXTERNAL_ID = "demo@example.com"  # the test IdP's demo user, as the bundle tests name it
CRAFTED_ISSUER = "https://idp.example.com"

# -- keys -----------------------------------------------------------------------------------------

Key = TypeVar("Key")
_kept: dict[tuple[object, ...], Any] = {}


def _key(spec: tuple[object, ...], fresh: bool, generate: Callable[[], Key]) -> Key:
    # Key generation dominates these tests' time, so a (spec, seed) gets one key for the whole run;
    # ``fresh`` is for tests that must never see a key another test has used.
    if fresh:
        return generate()
    if spec not in _kept:
        _kept[spec] = generate()
    key: Key = _kept[spec]
    return key


def rsa_key(bits: int = 2048, seed: int = 0, *, fresh: bool = False) -> rsa.RSAPrivateKey:
    """``seed`` only tells kept keys apart: a test asking for two different keys gets two."""
    return _key(("RSA", bits, seed), fresh, lambda: rsa.generate_private_key(public_exponent=65537, key_size=bits))


_CURVES: dict[str, ec.EllipticCurve] = {
    "P-256": ec.SECP256R1(),
    "P-384": ec.SECP384R1(),
    "P-521": ec.SECP521R1(),
    "secp256k1": ec.SECP256K1(),
}


def ec_key(curve: str = "P-256", seed: int = 0, *, fresh: bool = False) -> ec.EllipticCurvePrivateKey:
    return _key(("EC", curve, seed), fresh, lambda: ec.generate_private_key(_CURVES[curve]))


def ed_key(seed: int = 0) -> ed25519.Ed25519PrivateKey:
    return _key(("Ed25519", seed), False, ed25519.Ed25519PrivateKey.generate)


def ed448_key() -> ed448.Ed448PrivateKey:
    return _key(("Ed448",), False, ed448.Ed448PrivateKey.generate)


def key_alg(key: Any) -> str:
    """The alg a key signs with unless a test says otherwise."""
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    return "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "EdDSA"


# -- certificates ---------------------------------------------------------------------------------


def certificate(
    key: Any, *, not_before: datetime | None = None, not_after: datetime | None = None, cn: str = "test signing"
) -> x509.Certificate:
    """Self-signed, subject CN only; valid 30 days before NOW to 335 days after unless told otherwise."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    return issue_certificate(
        key.public_key(),
        subject=name,
        signer=key,
        not_before=not_before or NOW - timedelta(days=30),
        not_after=not_after or NOW + timedelta(days=335),
    )


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def cert_file(cert: x509.Certificate | None, name: str = "signing.pem", kid: str | None = None, **changes: Any) -> CertificateFile:
    """A --cert file as the validator reads it (``kid``: the --cert-kid pairing)."""
    changes.setdefault("der_certificates", (der(cert),) if cert is not None else ())
    return CertificateFile(Path(name), kid, **changes)


# -- JWKs -----------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64url_encode(data).decode()


FROM_KEY = "from the key"  # as public_jwk's alg: the one key_alg gives (RS256 for the RSA keys most tests use)


def public_jwk(
    key: Any,
    kid: str | None = KID,
    alg: str | None = FROM_KEY,
    *,
    cert: x509.Certificate | None = None,
    thumbprints: bool = True,
    private: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """The JWK of ``key`` as an IdP publishes it: kid, use, alg; with ``cert``, x5c and (``thumbprints``) x5t, x5t#S256.

    ``private`` keeps the private members, as a careless IdP might publish them; ``alg=None`` leaves alg out.
    """
    jwk = jwk_of(key if private else key.public_key())
    jwk["use"] = "sig"
    if kid is not None:
        jwk["kid"] = kid
    if alg is not None:
        jwk["alg"] = key_alg(key) if alg == FROM_KEY else alg
    if cert is not None:
        jwk["x5c"] = [base64.b64encode(der(cert)).decode()]
        if thumbprints:
            jwk["x5t#S256"] = b64url(hashlib.sha256(der(cert)).digest())
            jwk["x5t"] = b64url(hashlib.sha1(der(cert), usedforsecurity=False).digest())
    jwk.update(extra)
    return jwk


# -- tokens ---------------------------------------------------------------------------------------

DROP: Any = object()  # as a claim or discovery value: leave the member out


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


def crafted_claims(*, exp: datetime, iss: str = CRAFTED_ISSUER, sub: str = EXTERNAL_ID) -> dict[str, Any]:
    return {"iss": iss, "aud": AUDIENCE, "sub": sub, "iat": int((exp - timedelta(hours=1)).timestamp()), "exp": int(exp.timestamp())}


def sign(payload: dict[str, Any] | None = None, key: Any = None, alg: str = "RS256", kid: str | None = KID, **headers: Any) -> str:
    """A JWS with typ at+jwt unless ``headers`` say otherwise."""
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


# -- what the I/O layer would have observed -------------------------------------------------------


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


def jwks_of(ctx: Context) -> Any:
    assert ctx.observations.jwks is not None
    return ctx.observations.jwks.json


# -- Contexts -------------------------------------------------------------------------------------

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


def crafted_context(
    jwks: dict[str, Any] | None,
    *,
    now: datetime = T0,
    tokens: tuple[str, ...] = (),
    certificates: tuple[CertificateFile, ...] = (),
    jwks_url: str | None = CRAFTED_ISSUER + "/jwks",
    **inputs: Any,
) -> Context:
    """A bundle test's onboarding: no discovery, the given JWKS (when there is a URL to fetch it from) and --cert files."""
    fields: dict[str, Any] = {
        "idp_name": "Crafted IdP",
        "entity_id": CRAFTED_ISSUER,
        "issuer": CRAFTED_ISSUER,
        "audiences": (AUDIENCE,),
        "external_id": EXTERNAL_ID,
        "jwks_url": jwks_url,
        "tokens": given(*tokens),
        **inputs,
    }
    observations = Observations(
        jwks=fetched(jwks_url, jwks) if jwks is not None and jwks_url is not None else None,
        jwks_url_used=jwks_url,
        certificates=certificates,
    )
    return Context(Inputs(**fields), observations, now)


def with_now(ctx: Context, now: datetime) -> Context:
    return dataclasses.replace(ctx, now=now)


# -- findings -------------------------------------------------------------------------------------


def codes(findings: Iterable[Finding]) -> set[str]:
    return {f.code for f in findings}


def problems(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is not Severity.INFO]
