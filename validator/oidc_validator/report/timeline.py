"""The data of the key timeline: when each key's certificate is valid, when the sample token lives, and now.

Built from a check run (``timeline_from_context``) or from an onboarding package's onboarding.json
(``timeline_from_onboarding``), and drawn by report.svg. Only dates that can be read are kept: a field
that is missing, malformed or out of range gives ``None`` (drawn as an open end), never an exception,
because the input is the IdP's (or a package's) data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from oidc_validator.crypto.certs import CertificateError, load_der, x5c_leaf
from oidc_validator.crypto.jose import JoseError, split_compact
from oidc_validator.model.context import Context

NO_CERTIFICATE = "JWKS key, no certificate"
JWKS_CERTIFICATE = "JWKS key, certificate in x5c"
NOT_PINNED = "JWKS key, not pinned"
PINNED = "certificate (pinned)"
PINNED_NOT_FOR_OIDC = "certificate (pinned, not for OIDC)"
CERT_FILE = "certificate file"
NO_KID = "(no kid)"


@dataclass(frozen=True)
class KeySpan:
    """One row of the timeline: a key and the validity of its certificate (both ends None: no certificate)."""

    kid: str
    label: str  # e.g. "certificate (pinned)", "JWKS key, no certificate", "new in JWKS"
    not_before: datetime | None
    not_after: datetime | None


@dataclass(frozen=True)
class Timeline:
    """Every row plus the two moments that give it meaning: now, and the sample token's life (iat to exp)."""

    now: datetime
    keys: tuple[KeySpan, ...]
    token_kid: str | None = None
    token_issued: datetime | None = None
    token_expires: datetime | None = None


def aware(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, as everywhere in the validator (certificates, --now)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def epoch(value: Any) -> datetime | None:
    """A NumericDate (RFC 7519 section 2) as a UTC datetime; None for anything else or out of range."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def iso(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as written in onboarding.json; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def _kid(value: Any) -> str:
    return value if isinstance(value, str) else NO_KID


def certificate_validity(key: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    """A JWK's x5c leaf certificate's notBefore and notAfter; None without a usable x5c."""
    der = x5c_leaf(key)
    if der is None:
        return None
    certificate = load_der(der)  # x5c_leaf returns only DER that parses
    return certificate.not_valid_before_utc, certificate.not_valid_after_utc


def _jwks_span(key: Mapping[str, Any]) -> KeySpan:
    validity = certificate_validity(key)
    if validity is None:
        return KeySpan(_kid(key.get("kid")), NO_CERTIFICATE, None, None)
    return KeySpan(_kid(key.get("kid")), JWKS_CERTIFICATE, *validity)


def token_times(claims: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The token's iat and exp as datetimes (None where either is not a usable NumericDate)."""
    return epoch(claims.get("iat")), epoch(claims.get("exp"))


def timeline_from_context(ctx: Context) -> Timeline:
    """A check run's timeline: each JWKS key (its x5c leaf's validity), each --cert file (its first certificate,
    under the kid it was paired with), and the first sample token's kid, iat and exp, at ``ctx.now``."""
    seen = ctx.observations
    jwks = seen.jwks.json if seen.jwks is not None and seen.jwks.ok and isinstance(seen.jwks.json, dict) else {}
    keys = jwks.get("keys")
    spans = [_jwks_span(key) for key in (keys if isinstance(keys, list) else []) if isinstance(key, Mapping)]
    for file in seen.certificates:
        label = f"{CERT_FILE} {file.path.name}"
        try:
            certificate = load_der(file.der_certificates[0]) if file.der_certificates else None
        except CertificateError:
            certificate = None
        if certificate is None:
            spans.append(KeySpan(_kid(file.kid), f"{label}, unreadable", None, None))
        else:
            spans.append(KeySpan(_kid(file.kid), label, certificate.not_valid_before_utc, certificate.not_valid_after_utc))
    token_kid, issued, expires = None, None, None
    if ctx.inputs.tokens:
        try:
            jws = split_compact(ctx.inputs.tokens[0].raw)
        except JoseError:
            pass  # the token checks report it; the timeline just has no token
        else:
            kid = jws.header.get("kid")
            token_kid = kid if isinstance(kid, str) else None
            issued, expires = token_times(jws.payload)
    return Timeline(aware(ctx.now), tuple(spans), token_kid, issued, expires)


def timeline_from_onboarding(doc: Mapping[str, Any]) -> Timeline:
    """An onboarding package's timeline, from onboarding.json alone (so verify-bundle can derive it again):
    the pinned certificates, then the JWKS keys not pinned, the sample token, and ``generated_at`` as now."""
    spans: list[KeySpan] = []
    pinned: set[Any] = set()
    for cert in doc.get("certificates") or []:
        if isinstance(cert, Mapping):
            pinned.add(cert.get("kid"))
            label = PINNED if cert.get("use_for_oidc", True) else PINNED_NOT_FOR_OIDC
            spans.append(KeySpan(_kid(cert.get("kid")), label, iso(cert.get("not_before")), iso(cert.get("not_after"))))
    certificate_mode = doc.get("key_source") == "certificates"
    for key in doc.get("keys") or []:
        if not isinstance(key, Mapping) or key.get("kid") in pinned:
            continue
        not_before, not_after = iso(key.get("certificate_not_before")), iso(key.get("certificate_not_after"))
        label = NOT_PINNED if certificate_mode else JWKS_CERTIFICATE if not_after is not None else NO_CERTIFICATE
        spans.append(KeySpan(_kid(key.get("kid")), label, not_before, not_after))
    sample = doc.get("sample_token")
    token_kid, issued, expires = None, None, None
    if isinstance(sample, Mapping):
        header, claims = sample.get("header"), sample.get("claims")
        kid = header.get("kid") if isinstance(header, Mapping) else None
        token_kid = kid if isinstance(kid, str) else None
        issued, expires = token_times(claims if isinstance(claims, Mapping) else {})
    now = iso(doc.get("generated_at")) or datetime(1970, 1, 1, tzinfo=UTC)
    return Timeline(now, tuple(spans), token_kid, issued, expires)
