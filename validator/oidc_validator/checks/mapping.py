"""External ID mapping: the claim Qualys maps to a user (custom claim, else sub) and its value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oidc_validator.checks.base import CATALOGUE, effective_issuer, parsed_tokens, short, split_url, token_label
from oidc_validator.checks.vendor import recognise
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

AREA = "mapping"
ENTRA_HOSTS = (
    "login.microsoftonline.com",
    "sts.windows.net",
    "login.microsoftonline.us",
    "login.partner.microsoftonline.cn",
    "sts.chinacloudapi.cn",
)

CLAIM = CATALOGUE.register(
    "external_id_claim",
    Severity.INFO,
    AREA,
    "Which claim Qualys would map to the user's External ID, and its value in the sample token.",
    "Nothing to fix; this value must be the Qualys user's External ID.",
)
FALLBACK = CATALOGUE.register(
    "external_id_fallback_to_sub",
    Severity.WARNING,
    AREA,
    "The configured custom claim is absent or empty in the token, so Qualys falls back to sub.",
    "Configure the IdP to put the custom claim into the tokens sent to Qualys (an access token claim, not only the ID token), "
    "or set the External ID to the sub value.",
)
CLAIM_MISSING = CATALOGUE.register(
    "external_id_claim_missing",
    Severity.ERROR,
    AREA,
    "Neither the mapping claim nor sub is present and non-empty: the token maps to no Qualys user.",
    "Configure the IdP to issue sub (and the custom claim, if configured) in the tokens.",
)
NOT_STRING = CATALOGUE.register(
    "external_id_claim_not_string",
    Severity.ERROR,
    AREA,
    "The mapping claim's value is not a string, so it cannot equal an External ID.",
    "Map a claim whose value is a single string (e.g. preferred_username, email, oid).",
)
MISMATCH = CATALOGUE.register(
    "external_id_mismatch",
    Severity.ERROR,
    AREA,
    "The mapping claim's value differs from the External ID given: the token would map to another user, or to none.",
    "Set the Qualys user's External ID to the claim's value (exact, case-sensitive), or map a different claim with --external-id-claim.",
)
NOT_GIVEN = CATALOGUE.register(
    "external_id_not_given",
    Severity.WARNING,
    AREA,
    "No External ID was given, so the mapping claim's value was not compared with it.",
    "Give --external-id with the External ID set on the Qualys user.",
)
ENTRA_SUB = CATALOGUE.register(
    "external_id_entra_sub",
    Severity.WARNING,
    AREA,
    "The issuer is Entra ID and sub is the mapping claim: Entra's sub is pairwise per application and cannot be set.",
    "Configure a custom claim instead of sub: oid (the user's object ID) or preferred_username (--external-id-claim).",
)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_entra_issuer(issuer: str | None) -> bool:
    parts = split_url(issuer) if issuer else None
    return parts is not None and (parts.hostname or "").lower() in ENTRA_HOSTS


def mapping_claim(payload: dict[str, Any], custom: str) -> tuple[str | None, Any]:
    """The claim Qualys maps (the custom claim, falling back to sub when absent or empty) and its value."""
    if not _empty(payload.get(custom)):
        return custom, payload[custom]
    if not _empty(payload.get("sub")):
        return "sub", payload["sub"]
    return None, None


def check_external_id(ctx: Context) -> Iterator[Finding]:
    """RFC 7519 section 4.1.2 (sub) / OIDC Core section 5.1: the mapping claim's value must be the user's External ID."""
    custom, expected = ctx.inputs.external_id_claim or "sub", ctx.inputs.external_id
    tokens = parsed_tokens(ctx)
    for token, jws in tokens:
        label = token_label(token)
        claim, value = mapping_claim(jws.payload, custom)
        if claim is None:
            yield CLAIM_MISSING.finding(f"The {label} has neither {custom!r} nor sub.", token=label, claim=custom, fallback="sub")
            continue
        if claim != custom:
            yield FALLBACK.finding(
                f"The {label} lacks {custom!r}; Qualys would use sub = {short(value)!r}.",
                token=label,
                claim=custom,
                actual=short(jws.payload.get(custom)),
                used="sub",
            )
        if not isinstance(value, str):
            yield NOT_STRING.finding(
                f"The {claim} of the {label} is a {type(value).__name__}.", token=label, claim=claim, actual=short(repr(value))
            )
            continue
        yield CLAIM.finding(f"Qualys would map the {label} by {claim} = {short(value)!r}.", token=label, claim=claim, value=short(value))
        if expected is not None and value != expected:
            hint = " (differs only in letter case)" if value.lower() == expected.lower() else ""
            yield MISMATCH.finding(
                f"The {claim} of the {label} is {short(value)!r}, the External ID is {expected!r}{hint}.",
                token=label,
                claim=claim,
                expected=expected,
                actual=short(value),
            )
    if tokens and expected is None:
        yield NOT_GIVEN.finding("No --external-id given; the mapping claim's value was not compared.", flag="--external-id")


def check_entra_sub(ctx: Context) -> Iterator[Finding]:
    """OIDC Core section 8 (pairwise subject): Entra ID's sub is pairwise per application, so map oid or preferred_username."""
    if (ctx.inputs.external_id_claim or "sub") != "sub":
        return
    issuers = {effective_issuer(ctx)} | {jws.payload.get("iss") for _, jws in parsed_tokens(ctx) if isinstance(jws.payload.get("iss"), str)}
    entra = sorted(i for i in issuers if isinstance(i, str) and is_entra_issuer(i))
    recognised = recognise(ctx)
    if entra or (recognised is not None and recognised.key.startswith("entra")):
        issuer = entra[0] if entra else effective_issuer(ctx)
        yield ENTRA_SUB.finding(
            f"The issuer {issuer} is Entra ID and sub is the mapping claim.",
            issuer=issuer,
            claim="sub",
            suggested_claims=["oid", "preferred_username"],
            flag="--external-id-claim",
        )
