"""The stand-in's decision for one Bearer token, as the brief says Qualys decides.

Signature first (with exactly the key its kid names), then the claim rules (issuer and
audience exactly, expiry with a small leeway), then the user mapping. ``now`` is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from oidc_validator.crypto.jose import CompactJws, JoseError, KeySet, is_asymmetric_alg, split_compact
from oidc_validator.simulate.config import StandInConfig


@dataclass(frozen=True)
class Decision:
    accepted: bool
    reason: str  # stable snake_case: "accepted", "bad_signature", "unknown_kid", ...
    description: str
    user: str | None = None
    external_id: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)


def _reject(reason: str, description: str, claims: Mapping[str, Any] | None = None) -> Decision:
    return Decision(False, reason, description, claims=claims or {})


def _numeric_date(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _claim_rules(claims: Mapping[str, Any], config: StandInConfig, now: int) -> Decision | None:
    if claims.get("iss") != config.issuer:
        return _reject("wrong_issuer", f"issuer {claims.get('iss')!r} is not the onboarded {config.issuer!r}", claims)
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not any(a in config.audiences for a in audiences if isinstance(a, str)):
        return _reject("wrong_audience", f"audience {aud!r} does not contain an onboarded audience", claims)
    exp = _numeric_date(claims, "exp")
    if exp is None:
        return _reject("bad_exp", "exp is missing or not an integer NumericDate", claims)
    if exp + config.leeway_seconds <= now:
        return _reject("expired", f"the token expired {now - exp} s ago", claims)
    # nbf and iat are optional, but when present they are read as strictly as exp: a value that is not an
    # integer (9999999999.5, "9999999999", true, 1e400) was once skipped as absent, and the token passed.
    for name in ("nbf", "iat"):
        if name in claims and _numeric_date(claims, name) is None:
            return _reject(f"bad_{name}", f"{name} is present but not an integer NumericDate", claims)
    nbf = _numeric_date(claims, "nbf")
    if nbf is not None and nbf - config.leeway_seconds > now:
        return _reject("not_yet_valid", "the token is not valid yet (nbf)", claims)
    iat = _numeric_date(claims, "iat")
    if iat is not None and iat - config.leeway_seconds > now:
        return _reject("issued_in_future", f"the token says it was issued {iat - now} s from now (iat)", claims)
    return None


def map_user(claims: Mapping[str, Any], config: StandInConfig) -> tuple[str | None, str | None]:
    """(External ID, login): the custom claim, falling back to sub when absent or empty, else sub."""
    value = claims.get(config.custom_claim) if config.custom_claim else None
    if not isinstance(value, str) or not value:
        value = claims.get("sub")
    external_id = value if isinstance(value, str) and value else None
    return external_id, config.users.get(external_id) if external_id else None


def decide(token: str, keys: Sequence[Mapping[str, Any]] | KeySet, config: StandInConfig, *, now: int) -> Decision:
    try:
        jws = split_compact(token, max_bytes=config.max_token_bytes)
    except JoseError as exc:
        return _reject("malformed", f"not a compact JWS: {exc}")
    return decide_parsed(jws, keys if isinstance(keys, KeySet) else KeySet(keys), config, now=now)


def decide_parsed(jws: CompactJws, keys: KeySet, config: StandInConfig, *, now: int) -> Decision:
    """The decision for a token already split (the app splits once to learn the kid it needs keys for)."""
    alg, kid = jws.header.get("alg"), jws.header.get("kid")
    if not is_asymmetric_alg(alg):
        return _reject("bad_alg", f"alg {alg!r} is not accepted (asymmetric signatures only)")
    if "crit" in jws.header:
        return _reject("bad_header", "crit header parameters are not understood")
    if not isinstance(kid, str) or not kid:
        return _reject("unknown_kid", "the token header has no kid")
    candidates = keys.select(kid, alg)
    if not candidates:
        return _reject("unknown_kid", f"no onboarded key has kid {kid!r} for {alg}")
    if len(candidates) > 1:
        return _reject("ambiguous_kid", f"{len(candidates)} onboarded keys share kid {kid!r}")
    try:
        valid = candidates[0].verify(jws)
    except ValueError as exc:
        return _reject("bad_signature", f"the signature cannot be checked: {exc}")
    if not valid:
        return _reject("bad_signature", "the signature does not verify with the onboarded key")
    rejected = _claim_rules(jws.payload, config, now)
    if rejected is not None:
        return rejected
    external_id, user = map_user(jws.payload, config)
    if user is None:
        return _reject("unknown_user", f"no Qualys user has the External ID {external_id!r}", jws.payload)
    return Decision(True, "accepted", f"accepted as {user}", user=user, external_id=external_id, claims=jws.payload)
