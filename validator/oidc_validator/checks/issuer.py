"""Issuer: given, well-formed, and identical to discovery's ``issuer`` and every token's ``iss``."""

from __future__ import annotations

import re
from collections.abc import Iterator

from oidc_validator.checks.base import CATALOGUE, effective_issuer, parsed_tokens, short, split_url, token_issuers, token_label, url_kind
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

AREA = "issuer"

MISSING = CATALOGUE.register(
    "issuer_missing",
    Severity.ERROR,
    AREA,
    "No issuer was given and none could be read from a sample token.",
    "Give --issuer with the exact value of the tokens' iss claim, or a sample token (--token / --token-file).",
)
FROM_TOKEN = CATALOGUE.register(
    "issuer_from_token",
    Severity.INFO,
    AREA,
    "No --issuer was given; the issuer is read from the sample token, as Support would.",
    "Nothing to fix; give --issuer to check the value you will send against the token.",
)
INVALID = CATALOGUE.register(
    "issuer_invalid",
    Severity.ERROR,
    AREA,
    "The issuer is not an absolute https URL without query or fragment (OpenID Connect Discovery section 2).",
    "Use the issuer exactly as the IdP's discovery document states it, e.g. https://idp.example.com/realms/x.",
)
HTTP = CATALOGUE.register(
    "issuer_http",
    Severity.ERROR,
    AREA,
    "The issuer uses http: Qualys requires an https issuer it can reach.",
    "Serve the IdP over https and use the https issuer.",
)
HTTP_LOOPBACK = CATALOGUE.register(
    "issuer_http_loopback",
    Severity.WARNING,
    AREA,
    "The issuer is http on a loopback host: fine for a local self-check, but Qualys cannot reach it.",
    "For the real onboarding use the IdP's public https issuer.",
)
DISCOVERY_MISMATCH = CATALOGUE.register(
    "issuer_discovery_mismatch",
    Severity.ERROR,
    AREA,
    "The discovery document's issuer differs from the configured issuer (they must be identical strings).",
    "Send exactly the issuer the discovery document states (and that tokens carry in iss).",
)
TOKEN_ISS_MISSING = CATALOGUE.register(
    "token_iss_missing",
    Severity.ERROR,
    AREA,
    "The token has no iss claim (or it is not a non-empty string), so Qualys cannot match it to the IdP.",
    "Configure the IdP to put its issuer in iss (RFC 7519 section 4.1.1; required by RFC 9068 and OIDC Core).",
)
TOKEN_ISS_MISMATCH = CATALOGUE.register(
    "token_iss_mismatch",
    Severity.ERROR,
    AREA,
    "The token's iss differs from the configured issuer; Qualys compares them as exact strings.",
    "Send the issuer exactly as the token's iss claim states it, or get tokens from the issuer you configured.",
)

_ENTRA_V1 = re.compile(r"https://sts\.windows\.net/([^/]+)/?", re.IGNORECASE)
_ENTRA_V2 = re.compile(r"https://login\.microsoftonline\.com/([^/]+)/v2\.0/?", re.IGNORECASE)
_KEYCLOAK_AUTH = re.compile(r"(https?://[^/]+)/auth(/realms/.*)", re.IGNORECASE)


def _entra(value: str) -> tuple[str, str] | None:
    if m := _ENTRA_V1.fullmatch(value):
        return "v1", m.group(1).lower()
    if m := _ENTRA_V2.fullmatch(value):
        return "v2", m.group(1).lower()
    return None


def _okta_server(value: str) -> str | None:
    """'org' for https://x.okta.com, 'custom' for https://x.okta.com/oauth2/<id>, else None."""
    parts = split_url(value)
    if parts is None or not (parts.hostname or "").endswith((".okta.com", ".oktapreview.com", ".okta-emea.com")):
        return None
    path = parts.path.rstrip("/")
    if not path:
        return "org"
    return "custom" if re.fullmatch(r"/oauth2/[^/]+", path) else None


# A {name} segment: multi-tenant discovery documents (Entra's common and organizations endpoints) publish
# their issuer as a template, and each tenant's tokens carry the filled-in value.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_TENANT_PLACEHOLDERS = ("tenantid", "tenant_id", "tenant-id", "tid", "tenant")
TENANT_ID_LOCATION = (
    "your tenant (directory) ID, a GUID: Microsoft Entra admin center > Identity > Overview > Tenant ID, "
    "or the tid claim of a token from your tenant"
)


def placeholder_meaning(name: str) -> str:
    """What to put in place of ``{name}``, and where to find it."""
    return TENANT_ID_LOCATION if name.lower() in _TENANT_PLACEHOLDERS else f"the actual {name} value"


def template_hint(template: str, other: str) -> str | None:
    """If ``template`` holds {placeholders} and ``other`` fills them in (or is any value in their place), say what to replace."""
    names = _PLACEHOLDER.findall(template)
    if not names:
        return None
    literal = _PLACEHOLDER.split(template)[::2]  # split keeps the captured names at odd positions
    if not re.fullmatch("[^/]+".join(re.escape(part) for part in literal), other):
        return None
    first = names[0]
    return (
        f"{template} is a template, as multi-tenant endpoints publish it: replace {{{first}}} with {placeholder_meaning(first)}; "
        "tokens carry the filled-in issuer"
    )


def likely_cause(expected: str, actual: str) -> str | None:
    """Name the usual reason two issuers differ, or None if it is not a known near miss."""
    for template, other in ((actual, expected), (expected, actual)):
        if hint := template_hint(template, other):
            return hint
    if expected.rstrip("/") == actual.rstrip("/"):
        return "trailing slash: one has a trailing '/', the other does not"
    if expected.lower() == actual.lower():
        return "letter case differs; issuers are compared case-sensitively"
    if expected.rstrip("/").lower() == actual.rstrip("/").lower():
        return "trailing slash and letter case differ"
    e, a = _entra(expected), _entra(actual)
    if e and a and e[0] != a[0]:
        if e[1] != a[1]:
            return "Entra ID v1 vs v2 issuer, and the tenant IDs differ too"
        return (
            "Entra ID v1 issuer (https://sts.windows.net/{tid}/) vs v2 issuer (https://login.microsoftonline.com/{tid}/v2.0): "
            "the token version follows the API app's manifest (requestedAccessTokenVersion)"
        )
    strip_auth = [m.group(1) + m.group(2) if (m := _KEYCLOAK_AUTH.fullmatch(v)) else v for v in (expected, actual)]
    if strip_auth[0] == strip_auth[1]:
        return "Keycloak's old /auth path prefix (/auth/realms/x before Keycloak 17, /realms/x since)"
    oe, oa = _okta_server(expected), _okta_server(actual)
    if oe and oa and oe != oa and split_url(expected).hostname == split_url(actual).hostname:  # type: ignore[union-attr]
        return "Okta org authorization server (https://x.okta.com) vs custom authorization server (https://x.okta.com/oauth2/...)"
    ep, ap = split_url(expected), split_url(actual)
    if ep and ap and ep.scheme != ap.scheme and ep.netloc == ap.netloc and ep.path == ap.path:
        return "http vs https"
    return None


def _template_fix(expected: str, actual: str, token_iss: list[str]) -> str | None:
    """The near-miss fix for a templated issuer: the filled-in value when a sample token carries one."""
    template = next((v for v in (actual, expected) if _PLACEHOLDER.search(v)), None)
    if template is None or template_hint(template, expected if template == actual else actual) is None:
        return None
    name = _PLACEHOLDER.findall(template)[0]
    filled = [iss for iss in token_iss if template_hint(template, iss) and not _PLACEHOLDER.search(iss)]
    found = f" Your sample token carries {filled[0]!r}: send exactly that." if filled else ""
    return (
        f"Send the issuer with {{{name}}} replaced by {placeholder_meaning(name)} (it is not the word in the URL you fetched, "
        f"such as common or organizations).{found} Then fetch discovery from that issuer to check it."
    )


def _mismatch_text(what: str, expected: str, actual: str) -> tuple[str, dict[str, str]]:
    cause = likely_cause(expected, actual)
    message = f"{what} {actual!r} differs from the configured issuer {expected!r}"
    message += f" (likely cause: {cause})." if cause else "."
    evidence = {"expected": expected, "actual": actual}
    if cause:
        evidence["likely_cause"] = cause
    return message, evidence


def check_issuer_given(ctx: Context) -> Iterator[Finding]:
    """The issuer is a required onboarding field; Support may read it from a sample token's iss (RFC 7519 section 4.1.1)."""
    if ctx.inputs.issuer:
        return
    found = token_issuers(ctx)
    if len(found) == 1:
        yield FROM_TOKEN.finding(f"No --issuer given; the sample token's iss is {found[0]!r}.", issuer=found[0], source="token iss")
    else:
        yield MISSING.finding(
            "No issuer given" + (f" and the sample tokens disagree on iss: {found}." if found else " and no token carries iss."),
            token_issuers=found,
        )


def check_issuer_form(ctx: Context) -> Iterator[Finding]:
    """OpenID Connect Discovery section 2 / Core section 2: the issuer is an https URL with no query or fragment."""
    issuer = ctx.inputs.issuer
    if not issuer:
        return
    kind, parts = url_kind(issuer), split_url(issuer)
    if kind == "invalid" or parts is None:
        yield INVALID.finding(f"The issuer {issuer!r} is not an absolute http(s) URL.", issuer=issuer)
        return
    if parts.query or parts.fragment or issuer.endswith(("?", "#")):
        yield INVALID.finding(f"The issuer {issuer!r} has a query or fragment.", issuer=issuer)
    if placeholders := _PLACEHOLDER.findall(issuer):
        name = placeholders[0]
        yield INVALID.finding(
            f"The issuer {issuer!r} is a template: {{{name}}} is a placeholder no token carries.",
            fix=f"Replace {{{name}}} with {placeholder_meaning(name)}, and send that issuer.",
            issuer=issuer,
            placeholders=placeholders,
        )
    if kind == "http":
        yield HTTP.finding(f"The issuer {issuer!r} uses http.", issuer=issuer)
    elif kind == "http_loopback":
        yield HTTP_LOOPBACK.finding(f"The issuer {issuer!r} is http on a loopback host; Qualys cannot reach it.", issuer=issuer)


def check_discovery_issuer(ctx: Context) -> Iterator[Finding]:
    """OpenID Connect Discovery section 4.3: the document's issuer MUST be identical to the issuer it was fetched for."""
    # Without --issuer, discovery was found from the token's iss, so that is the value it must repeat.
    issuer, fetched = effective_issuer(ctx), ctx.observations.discovery
    if not issuer or fetched is None or not fetched.ok or not isinstance(fetched.json, dict):
        return
    actual = fetched.json.get("issuer")
    if isinstance(actual, str) and actual and actual != issuer:
        message, evidence = _mismatch_text("The discovery document's issuer", issuer, actual)
        fix = _template_fix(issuer, actual, token_issuers(ctx))
        yield DISCOVERY_MISMATCH.finding(message, fix=fix, url=fetched.url, **evidence)


def check_token_iss(ctx: Context) -> Iterator[Finding]:
    """RFC 7519 section 4.1.1 / RFC 9068 section 4: iss must exactly equal the issuer Qualys is configured with."""
    issuer = ctx.inputs.issuer
    for token, jws in parsed_tokens(ctx):
        iss = jws.payload.get("iss")
        if not isinstance(iss, str) or not iss:
            yield TOKEN_ISS_MISSING.finding(f"The {token_label(token)} has no usable iss claim.", token=token_label(token), iss=short(iss))
        elif issuer and iss != issuer:
            message, evidence = _mismatch_text(f"The iss of the {token_label(token)}", issuer, iss)
            fix = _template_fix(issuer, iss, [iss])
            yield TOKEN_ISS_MISMATCH.finding(message, fix=fix, token=token_label(token), claim="iss", **evidence)
