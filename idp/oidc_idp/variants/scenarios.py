"""Deliberate misconfigurations the test IdP can play, as one table.

Each scenario says what it breaks and which validator finding codes it must produce;
the scenario test and docs/scenarios.md are both generated from ``SCENARIOS``.
Hooks are pure: they take the document or claims and return a changed copy.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import jwt

from oidc_idp.keys.client_keys import PRIVATE_MEMBERS
from oidc_idp.keys.keystore import SigningKey
from oidc_idp.variants.material import Material

TokenKind = Literal["access", "id"]
Scope = Literal["token", "keys", "discovery"]
OTHER_AUDIENCE = "https://other.example/api"
HS256_SECRET = b"a-shared-secret-that-must-never-be-used-for-qualys"


@dataclass(frozen=True)
class Env:
    """What a hook may look at."""

    issuer: str
    active: SigningKey
    material: Material
    now: int


Doc = dict[str, Any]
DocHook = Callable[[Doc, Env], Doc]
ClaimsHook = Callable[[Doc, TokenKind, Env], Doc]
Signer = Callable[[Doc, str, Env], str]


@dataclass(frozen=True)
class Scenario:
    name: str
    breaks: str
    scope: Scope
    # Exactly the error and warning codes `oidc-validator check` reports against this scenario (over TLS).
    expected_codes: frozenset[str] = frozenset()
    discovery: DocHook | None = None
    jwks: DocHook | None = None
    jwks_as_html: bool = False
    claims: ClaimsHook | None = None
    signer: Signer | None = None
    tls_only: bool = field(default=False)  # only distinguishable when the issuer is https


def _codes(*codes: str) -> frozenset[str]:
    """The validator finding codes (errors and warnings, exactly) this scenario must produce."""
    return frozenset(codes)


def _sign_with(key: SigningKey, *, kid: str | None = None) -> Signer:
    def signer(claims: Doc, typ: str, env: Env) -> str:
        with warnings.catch_warnings():
            # Scenarios sign with weak keys on purpose; PyJWT's warning would only be noise.
            warnings.simplefilter("ignore")
            return jwt.encode(claims, key.private_key, algorithm=key.alg, headers={"kid": kid or key.kid, "typ": typ})

    return signer


def _sign_material(pick: Callable[[Material], SigningKey]) -> Signer:
    def signer(claims: Doc, typ: str, env: Env) -> str:
        return _sign_with(pick(env.material))(claims, typ, env)

    return signer


def _sign_hs256(claims: Doc, typ: str, env: Env) -> str:
    return jwt.encode(claims, HS256_SECRET, algorithm="HS256", headers={"kid": env.active.kid, "typ": typ})


def _sign_none(claims: Doc, typ: str, env: Env) -> str:
    return jwt.encode(claims, "", algorithm="none", headers={"kid": env.active.kid, "typ": typ})


def _sign_unpublished_kid(claims: Doc, typ: str, env: Env) -> str:
    return _sign_with(env.active, kid="kid-not-in-the-jwks")(claims, typ, env)


def _keys(doc: Doc) -> list[Doc]:
    return list(doc.get("keys", []))


def _map_keys(change: Callable[[Doc, Env], Doc]) -> DocHook:
    def hook(doc: Doc, env: Env) -> Doc:
        return {**doc, "keys": [change(dict(k), env) for k in _keys(doc)]}

    return hook


def _replace_active(make: Callable[[Env], Doc]) -> DocHook:
    def hook(doc: Doc, env: Env) -> Doc:
        return {**doc, "keys": [make(env) if k.get("kid") == env.active.kid else k for k in _keys(doc)]}

    return hook


def _add_keys(*make: Callable[[Env], Doc], first: bool = False) -> DocHook:
    def hook(doc: Doc, env: Env) -> Doc:
        extra = [m(env) for m in make]
        return {**doc, "keys": extra + _keys(doc) if first else _keys(doc) + extra}

    return hook


def _without(*members: str) -> Callable[[Doc, Env], Doc]:
    return lambda key, env: {k: v for k, v in key.items() if k not in members}


def _private_members(env: Env) -> Doc:
    # PyJWT's export of the private key: exactly what a careless IdP would leak.
    exported = jwt.algorithms.get_default_algorithms()[env.active.alg].to_jwk(env.active.private_key, as_dict=True)
    return {k: v for k, v in exported.items() if k in PRIVATE_MEMBERS}


def _leak_private(key: Doc, env: Env) -> Doc:
    return {**key, **_private_members(env)} if key.get("kid") == env.active.kid else key


def _only_active(doc: Doc, env: Env) -> Doc:
    # What a rotation without overlap leaves: the new key alone of its algorithm, whatever the overlap would have kept.
    return {**doc, "keys": [k for k in _keys(doc) if k.get("kid") == env.active.kid or k.get("alg") != env.active.alg]}


def _x5c_of_other(env: Env) -> Doc:
    other = env.material.other.jwk
    return {**env.active.jwk, "x5c": other["x5c"], "x5t#S256": other["x5t#S256"]}


def _expired_cert(env: Env) -> Doc:
    return env.material.active_with_certificate(not_before=env.material.now - timedelta(days=400), validity_days=365)


def _expiring_cert(env: Env) -> Doc:
    return env.material.active_with_certificate(not_before=env.material.now - timedelta(days=355), validity_days=365)


def _duplicate_kid(env: Env) -> Doc:
    return {**env.material.other.jwk, "kid": env.active.kid}


def _oct_key(env: Env) -> Doc:
    return {"kty": "oct", "kid": "hs256-shared", "use": "sig", "alg": "HS256", "k": jwt.utils.base64url_encode(HS256_SECRET).decode()}


def _claims(change: Callable[[Doc, Env], Doc], kinds: tuple[TokenKind, ...] = ("access", "id")) -> ClaimsHook:
    def hook(claims: Doc, kind: TokenKind, env: Env) -> Doc:
        return change(dict(claims), env) if kind in kinds else claims

    return hook


def _set(**values: Any) -> Callable[[Doc, Env], Doc]:
    return lambda claims, env: {**claims, **values}


def _drop(*names: str) -> Callable[[Doc, Env], Doc]:
    return lambda claims, env: {k: v for k, v in claims.items() if k not in names}


def _times(change: Callable[[Doc, int], Doc]) -> Callable[[Doc, Env], Doc]:
    return lambda claims, env: change(claims, env.now)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "issuer_trailing_slash",
        "tokens carry the issuer with a trailing slash; discovery has it without",
        "token",
        _codes("token_iss_mismatch"),
        claims=_claims(lambda c, env: {**c, "iss": env.issuer.rstrip("/") + "/"}),
    ),
    Scenario(
        "discovery_issuer_mismatch",
        "discovery's issuer differs from the URL it is served under",
        "discovery",
        _codes("issuer_discovery_mismatch"),
        discovery=lambda d, env: {**d, "issuer": env.issuer.rstrip("/") + "/tenant-b"},
    ),
    Scenario(
        "token_kid_not_in_jwks",
        "tokens name a kid the JWKS does not publish",
        "token",
        _codes("token_kid_unknown"),
        signer=_sign_unpublished_kid,
    ),
    Scenario(
        "jwks_keys_without_kid",
        "JWKS keys have no kid",
        "keys",
        _codes("jwk_kid_missing", "token_kid_unknown"),
        jwks=_map_keys(_without("kid")),
    ),
    Scenario(
        "duplicate_kids",
        "two different JWKS keys share one kid",
        "keys",
        _codes("jwk_kid_duplicate", "token_key_ambiguous"),
        jwks=_add_keys(_duplicate_kid),
    ),
    Scenario(
        "jwks_without_x5c",
        "JWKS keys carry no certificate (x5c, x5t)",
        "keys",
        _codes("jwks_no_x5c"),
        jwks=_map_keys(_without("x5c", "x5t", "x5t#S256")),
    ),
    Scenario(
        "x5c_of_another_key",
        "the signing key's x5c holds another key's certificate",
        "keys",
        _codes("jwk_x5c_key_mismatch"),
        jwks=_replace_active(_x5c_of_other),
    ),
    Scenario(
        "expired_certificate",
        "the signing key's certificate has expired",
        "keys",
        _codes("certificate_expired"),
        jwks=_replace_active(_expired_cert),
    ),
    Scenario(
        "certificate_expiring_soon",
        "the signing key's certificate expires in 10 days",
        "keys",
        _codes("certificate_expiring"),
        jwks=_replace_active(_expiring_cert),
    ),
    Scenario(
        "weak_rsa_1024",
        "tokens are signed by a 1024-bit RSA key, published in the JWKS",
        "keys",
        _codes("jwk_rsa_weak"),
        jwks=_add_keys(lambda env: env.material.weak_rsa.jwk),
        signer=_sign_material(lambda m: m.weak_rsa),
    ),
    Scenario(
        "private_members_in_jwks",
        "the JWKS publishes the signing key's private members",
        "keys",
        _codes("jwk_private_members"),
        jwks=_map_keys(_leak_private),
    ),
    Scenario(
        "symmetric_key_in_jwks", "the JWKS publishes a symmetric (oct) key", "keys", _codes("jwk_symmetric"), jwks=_add_keys(_oct_key)
    ),
    Scenario("hs256_tokens", "tokens are HS256-signed with a shared secret", "token", _codes("token_alg_symmetric"), signer=_sign_hs256),
    Scenario("alg_none_tokens", "tokens are unsigned (alg none)", "token", _codes("token_alg_none"), signer=_sign_none),
    Scenario(
        "expired_tokens",
        "tokens expired an hour ago",
        "token",
        _codes("token_expired"),
        claims=_claims(_times(lambda c, now: {**c, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600})),
    ),
    Scenario(
        "exp_in_milliseconds",
        "exp is written in milliseconds",
        "token",
        _codes("token_date_milliseconds"),
        claims=_claims(_times(lambda c, now: {**c, "exp": c["exp"] * 1000})),
    ),
    Scenario(
        "iat_in_future",
        "iat is an hour in the future",
        "token",
        _codes("token_iat_future"),
        claims=_claims(_times(lambda c, now: {**c, "iat": now + 3600})),
    ),
    Scenario(
        "wrong_audience",
        "access tokens carry an audience other than the configured one",
        "token",
        _codes("token_aud_mismatch"),
        claims=_claims(_set(aud=OTHER_AUDIENCE), ("access",)),
    ),
    Scenario(
        "several_audiences",
        "access tokens carry several audiences",
        "token",
        _codes("token_aud_several"),
        claims=_claims(lambda c, env: {**c, "aud": [c["aud"], OTHER_AUDIENCE]}, ("access",)),
    ),
    Scenario("missing_sub", "tokens have no sub claim", "token", _codes("external_id_claim_missing"), claims=_claims(_drop("sub"))),
    Scenario(
        "empty_mapping_claim",
        "sub and preferred_username are empty strings",
        "token",
        _codes("external_id_claim_missing"),
        claims=_claims(_set(sub="", preferred_username="")),
    ),
    Scenario(
        "http_jwks_uri",
        "discovery's jwks_uri is plain http",
        "discovery",
        _codes("discovery_endpoint_http_loopback", "jwks_fetch_failed", "token_signature_unverifiable"),
        discovery=lambda d, env: {**d, "jwks_uri": str(d["jwks_uri"]).replace("https://", "http://", 1)},
        tls_only=True,
    ),
    Scenario(
        "jwks_served_as_html",
        "the JWKS URL answers an HTML page",
        "keys",
        _codes("jwks_fetch_failed", "token_signature_unverifiable"),
        jwks_as_html=True,
    ),
    Scenario(
        "rotation_in_progress",
        "two keys published, tokens signed by the new one (this must pass)",
        "keys",
        _codes(),
        jwks=_add_keys(lambda env: env.material.other.jwk, first=True),
    ),
    Scenario(
        "rotation_done_badly",
        "tokens are signed by a retired key that the JWKS no longer publishes",
        "token",
        _codes("token_kid_unknown"),
        signer=_sign_material(lambda m: m.retired),
    ),
    Scenario(
        "rotation_without_overlap",
        "the rotation dropped the previous key from the JWKS at once: tokens it signed a moment ago, still unexpired, no longer verify",
        "keys",
        _codes("token_kid_unknown"),
        jwks=_only_active,
        # The token in hand was signed just before the rotation, by the key the JWKS no longer has.
        signer=_sign_material(lambda m: m.other),
    ),
)

BY_NAME: Mapping[str, Scenario] = {s.name: s for s in SCENARIOS}


def resolve(names: tuple[str, ...] | list[str]) -> tuple[Scenario, ...]:
    """Scenarios by name, in the given order; unknown names raise KeyError with the name."""
    return tuple(BY_NAME[n] for n in names)


def apply_discovery(doc: Doc, scenarios: tuple[Scenario, ...], env: Env) -> Doc:
    doc = copy.deepcopy(doc)
    for s in scenarios:
        if s.discovery:
            doc = s.discovery(doc, env)
    return doc


def apply_jwks(doc: Doc, scenarios: tuple[Scenario, ...], env: Env) -> Doc:
    doc = copy.deepcopy(doc)
    for s in scenarios:
        if s.jwks:
            doc = s.jwks(doc, env)
    return doc


def apply_claims(claims: Doc, kind: TokenKind, scenarios: tuple[Scenario, ...], env: Env) -> Doc:
    for s in scenarios:
        if s.claims:
            claims = s.claims(claims, kind, env)
    return claims


def signer_of(scenarios: tuple[Scenario, ...]) -> Signer | None:
    """The last scenario that signs differently wins (combining two signers makes no sense)."""
    signers = [s.signer for s in scenarios if s.signer]
    return signers[-1] if signers else None
