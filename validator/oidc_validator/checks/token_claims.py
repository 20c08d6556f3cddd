"""Sample tokens' claims: aud contains the configured audience; exp, iat and nbf are sane NumericDates."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC
from typing import Any

from oidc_validator.checks.base import CATALOGUE, parsed_tokens, short, token_label
from oidc_validator.crypto.jose import CompactJws
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

AREA = "token"
SKEW_SECONDS = 60
MILLISECONDS_THRESHOLD = 10**11  # year 5138 in seconds; any larger NumericDate is almost surely milliseconds


_register = CATALOGUE.registrar(AREA)


AUDIENCE_MISSING = _register(
    "audience_missing",
    Severity.ERROR,
    "No audience was given and none could be read from a sample token.",
    "Give --audience with the value of the tokens' aud claim (repeatable).",
)
AUDIENCE_FROM_TOKEN = _register(
    "audience_from_token",
    Severity.INFO,
    "No --audience was given; the audience is read from the sample token, as Support would.",
    "Give --audience to check the value you will send.",
)
AUD_MISSING = _register(
    "token_aud_missing",
    Severity.ERROR,
    "The token has no aud claim; Qualys checks the audience.",
    "Configure the IdP to issue tokens for the Qualys API audience (RFC 9068 section 2.2 requires aud).",
)
AUD_INVALID = _register(
    "token_aud_invalid",
    Severity.ERROR,
    "The token's aud is neither a string nor an array of strings (RFC 7519 section 4.1.3).",
    "Fix the IdP's audience setting.",
)
AUD_MISMATCH = _register(
    "token_aud_mismatch",
    Severity.ERROR,
    "The token's aud does not contain any configured audience.",
    "Send the audience exactly as the token's aud states it, or request tokens for the audience you configured.",
)
ID_TOKEN_AUD = _register(
    "id_token_aud_is_client",
    Severity.INFO,
    "An ID token's audience is the client it was issued to (OpenID Connect Core section 2), so it differs from the API audience.",
    "Send access tokens to Qualys (their aud is the configured audience); if you must send ID tokens, onboard the client ID as audience.",
)
AUD_SEVERAL = _register(
    "token_aud_several",
    Severity.WARNING,
    "The token has several audiences; the onboarding names one, and some verifiers reject multi-audience tokens.",
    "Prefer a token issued for the Qualys API alone; send the audience Qualys should check.",
)
EXP_MISSING = _register(
    "token_exp_missing",
    Severity.ERROR,
    "The token has no exp (required by RFC 9068 section 2.2 and OIDC Core section 2).",
    "Configure the IdP to issue expiring tokens.",
)
EXPIRED = _register(
    "token_expired",
    Severity.WARNING,
    "The token has expired: its values still serve the onboarding check, but it cannot call Qualys APIs.",
    "Get a fresh token for API calls (never paste a live token into a support ticket).",
)
DATE_MILLISECONDS = _register(
    "token_date_milliseconds",
    Severity.ERROR,
    "A date claim is in milliseconds; NumericDate is seconds (RFC 7519 section 2).",
    "Fix the IdP's token customisation to write seconds since the epoch.",
)
DATE_TYPE = _register(
    "token_date_type",
    Severity.ERROR,
    "A date claim (exp, iat, nbf) is not an integer NumericDate (a string, boolean or fraction).",
    "Fix the IdP's token customisation to write integer seconds since the epoch (RFC 7519 section 2).",
)
IAT_FUTURE = _register(
    "token_iat_future",
    Severity.ERROR,
    "The token was issued in the future (iat beyond 60 s of skew): the IdP's clock is wrong.",
    "Synchronise the IdP's clock (NTP); check --now if you set it.",
)
NBF_FUTURE = _register(
    "token_nbf_future",
    Severity.WARNING,
    "The token is not valid yet (nbf in the future, RFC 7519 section 4.1.5).",
    "Wait until nbf, or check the IdP's clock.",
)


def _audiences(jws: CompactJws) -> list[str] | None:
    aud = jws.payload.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return list(aud)
    return None


def _aud_cause(expected: list[str], actual: list[str]) -> str | None:
    guid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
    for e in expected:
        for a in actual:
            if e.rstrip("/") == a.rstrip("/"):
                return "trailing slash"
            if e.lower() == a.lower():
                return "letter case differs"
            if (g := guid.search(e)) and g.group(0).lower() in a.lower() and ("api://" in e) != ("api://" in a):
                return "Entra ID: application (client) ID GUID vs application ID URI api://..."
    return None


def check_audience_given(ctx: Context) -> Iterator[Finding]:
    """The audience is a required onboarding field; Support may read it from a token's aud (RFC 7519 section 4.1.3)."""
    if ctx.inputs.audiences:
        return
    found: list[str] = []
    for _, jws in parsed_tokens(ctx):
        found.extend(a for a in _audiences(jws) or [] if a not in found)
    if found:
        yield AUDIENCE_FROM_TOKEN.finding(f"No --audience given; the sample token's aud is {found}.", audiences=found, flag="--audience")
    else:
        yield AUDIENCE_MISSING.finding("No --audience given and no token carries aud.", flag="--audience")


def check_token_audience(ctx: Context) -> Iterator[Finding]:
    """RFC 7519 section 4.1.3 / RFC 9068 section 4: aud (string or array) must contain the audience Qualys is configured with."""
    configured = list(ctx.inputs.audiences)
    for token, jws in parsed_tokens(ctx):
        label, aud = token_label(token), jws.payload.get("aud")
        if aud is None:
            yield AUD_MISSING.finding(f"The {label} has no aud.", token=label, claim="aud")
            continue
        actual = _audiences(jws)
        if actual is None or not actual:
            yield AUD_INVALID.finding(f"The aud of the {label} is {short(repr(aud))}.", token=label, claim="aud", actual=short(repr(aud)))
            continue
        if len(actual) > 1:
            yield AUD_SEVERAL.finding(f"The {label} has {len(actual)} audiences: {actual}.", token=label, claim="aud", actual=actual)
        if configured and not set(configured) & set(actual) and token.kind == "id_token":
            # OpenID Connect Core section 2: an ID token's aud is the client; that is not a misconfiguration.
            yield ID_TOKEN_AUD.finding(
                f"The {label} is for the client {actual}, as OpenID Connect requires, not for {configured}.",
                token=label,
                claim="aud",
                expected=configured,
                actual=actual,
            )
        elif configured and not set(configured) & set(actual):
            cause = _aud_cause(configured, actual)
            yield AUD_MISMATCH.finding(
                f"The aud of the {label} {actual} contains none of the configured audiences {configured}"
                + (f" (likely cause: {cause})." if cause else "."),
                token=label,
                claim="aud",
                expected=configured,
                actual=actual,
                **({"likely_cause": cause} if cause else {}),
            )


def _date_findings(label: str, payload: Mapping[str, Any], now: float) -> Iterator[Finding]:
    """RFC 7519 sections 2 and 4.1.4-4.1.6: exp, nbf, iat are NumericDates in seconds, judged against now."""
    dates: dict[str, int] = {}
    for claim in ("exp", "iat", "nbf"):
        if claim not in payload:
            continue
        value = payload[claim]
        if isinstance(value, bool) or not isinstance(value, int):
            yield DATE_TYPE.finding(
                f"The {claim} of the {label} is {short(repr(value))} ({type(value).__name__}), not integer seconds.",
                token=label,
                claim=claim,
                actual=short(repr(value)),
                actual_type=type(value).__name__,
            )
        elif value > MILLISECONDS_THRESHOLD:
            yield DATE_MILLISECONDS.finding(
                f"The {claim} of the {label} is {value}: milliseconds, not seconds.",
                token=label,
                claim=claim,
                actual=value,
                likely_seconds=value // 1000,
            )
        else:
            dates[claim] = value
    if "exp" not in payload:
        yield EXP_MISSING.finding(f"The {label} has no exp.", token=label, claim="exp")
    if "exp" in dates and dates["exp"] <= now:
        yield EXPIRED.finding(
            f"The {label} expired {int(now - dates['exp'])} s ago.", token=label, claim="exp", exp=dates["exp"], now=int(now)
        )
    if "iat" in dates and dates["iat"] > now + SKEW_SECONDS:
        yield IAT_FUTURE.finding(
            f"The {label} was issued {int(dates['iat'] - now)} s in the future.",
            token=label,
            claim="iat",
            iat=dates["iat"],
            now=int(now),
            skew_seconds=SKEW_SECONDS,
        )
    if "nbf" in dates and dates["nbf"] > now + SKEW_SECONDS:
        yield NBF_FUTURE.finding(
            f"The {label} is not valid for another {int(dates['nbf'] - now)} s.", token=label, claim="nbf", nbf=dates["nbf"], now=int(now)
        )


def check_token_dates(ctx: Context) -> Iterator[Finding]:
    """RFC 7519 sections 4.1.4-4.1.6 (see _date_findings)."""
    now = (ctx.now if ctx.now.tzinfo else ctx.now.replace(tzinfo=UTC)).timestamp()
    for token, jws in parsed_tokens(ctx):
        yield from _date_findings(token_label(token), jws.payload, now)
