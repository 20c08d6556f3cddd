"""Entity ID: the IdP's unique identifier in the onboarding request, a URN or an https URL."""

from __future__ import annotations

import re
from collections.abc import Iterator

from oidc_validator.checks.base import CATALOGUE, effective_issuer, split_url, url_kind
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

AREA = "entity"

MISSING = CATALOGUE.register(
    "entity_id_missing",
    Severity.ERROR,
    AREA,
    "No Entity ID was given; the onboarding request requires one.",
    "Give --entity-id (or entity_id in onboarding.toml): the IdP's identifier, usually its issuer URL or a URN.",
)
INVALID = CATALOGUE.register(
    "entity_id_invalid",
    Severity.ERROR,
    AREA,
    "The Entity ID is neither an absolute https URL without query or fragment nor a valid URN (RFC 8141).",
    "Use an absolute https URL such as https://idp.example.com/idp (no ?query, no #fragment) or a URN such as urn:example:idp.",
)
HTTP = CATALOGUE.register(
    "entity_id_http",
    Severity.ERROR,
    AREA,
    "The Entity ID is a plain http URL.",
    "Use the https form of the Entity ID.",
)
HTTP_LOOPBACK = CATALOGUE.register(
    "entity_id_http_loopback",
    Severity.WARNING,
    AREA,
    "The Entity ID is an http URL on a loopback host: fine for a local self-check, not for a real onboarding.",
    "For the real onboarding use the IdP's public https identifier.",
)
RELATION = CATALOGUE.register(
    "entity_id_relation",
    Severity.INFO,
    AREA,
    "How the Entity ID relates to the issuer (equal, same host, or unrelated).",
    "Nothing to fix; most IdPs use the issuer URL as the Entity ID, so an unrelated value deserves a second look.",
)

# RFC 8141 section 2: NID is 2-32 chars of letters, digits and hyphens, starting and ending alphanumeric;
# NSS is pchar (RFC 3986) then pchar or "/". The r/q/f-components are not identifiers, so not accepted here.
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
URN = re.compile(rf"urn:([A-Za-z0-9][A-Za-z0-9-]{{0,30}}[A-Za-z0-9]):({_PCHAR}(?:{_PCHAR}|/)*)", re.IGNORECASE)


def urn_problem(value: str) -> str | None:
    """Why ``value`` is not an RFC 8141 URN (section 2), or None when it is one."""
    if URN.fullmatch(value):
        return None
    if "?" in value or "#" in value:
        return "a URN used as an identifier must not carry ?+, ?= or # components"
    parts = value.split(":", 2)
    if len(parts) < 3 or not parts[2]:
        return "a URN is urn:<NID>:<NSS> and the NSS is missing"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,30}[A-Za-z0-9]", parts[1]):
        return f"the namespace identifier {parts[1]!r} must be 2-32 letters, digits or hyphens, not starting or ending with a hyphen"
    return "the namespace-specific string has characters RFC 8141 does not allow (percent-encode them)"


def check_entity_id(ctx: Context) -> Iterator[Finding]:
    """Entity ID present and well-formed: an https URL (RFC 3986, no query/fragment) or a URN (RFC 8141 section 2)."""
    entity = ctx.inputs.entity_id
    if not entity:
        yield MISSING.finding("No Entity ID was given.")
        return
    if entity.lower().startswith("urn:"):
        problem = urn_problem(entity)
        if problem:
            yield INVALID.finding(f"The Entity ID {entity!r} is not a valid URN: {problem}.", entity_id=entity, reason=problem)
        return
    kind = url_kind(entity)
    parts = split_url(entity)
    if kind == "invalid" or parts is None:
        reason = "not an absolute https URL and not a URN"
        yield INVALID.finding(f"The Entity ID {entity!r} is {reason}.", entity_id=entity, reason=reason)
        return
    if parts.query or parts.fragment or entity.endswith(("?", "#")):
        reason = "an identifier URL must not have a query or fragment"
        yield INVALID.finding(f"The Entity ID {entity!r} has a query or fragment.", entity_id=entity, reason=reason)
    if kind == "http":
        yield HTTP.finding(f"The Entity ID {entity!r} uses http.", entity_id=entity, expected_scheme="https")
    elif kind == "http_loopback":
        yield HTTP_LOOPBACK.finding(f"The Entity ID {entity!r} is http on a loopback host.", entity_id=entity)


def check_entity_issuer_relation(ctx: Context) -> Iterator[Finding]:
    """Report how the Entity ID relates to the issuer (OIDC Discovery section 4.3 makes the issuer the IdP's identity)."""
    entity, issuer = ctx.inputs.entity_id, effective_issuer(ctx)
    if not entity or not issuer:
        return
    if entity == issuer:
        relation, text = "equal", "is the issuer"
    elif entity.rstrip("/") == issuer.rstrip("/"):
        relation, text = "equal_but_trailing_slash", "is the issuer apart from a trailing slash"
    else:
        ep, ip = split_url(entity), split_url(issuer)
        same_host = ep is not None and ip is not None and ep.hostname is not None and ep.hostname == ip.hostname
        relation, text = ("same_host", "is on the issuer's host") if same_host else ("unrelated", "is unrelated to the issuer")
    yield RELATION.finding(f"The Entity ID {text}.", entity_id=entity, issuer=issuer, relation=relation)
