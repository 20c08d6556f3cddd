"""Vendor recognition: which IdP this looks like (from issuer shape and claims), and its known pitfalls.

Recognition reads the issuer's host and path first (the real vendors' hosts), then the shape of the
discovery document (endpoint paths a vendor serves on any domain: a custom domain hides the host, never
the paths), then the claims' fingerprint (tid+ver+oid for Entra, cid+uid+scp for Okta, gty for Auth0,
typ+azp for Keycloak), so a locally served profile of the test IdP is recognised too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from oidc_validator.checks.base import CATALOGUE, effective_issuer, parsed_tokens, split_url, token_label
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

AREA = "vendor"

RECOGNISED = CATALOGUE.register(
    "vendor_recognised",
    Severity.INFO,
    AREA,
    "The IdP looks like a known vendor; the vendor's guide in docs/vendors.md says where each onboarding value lives.",
    "Nothing to fix; read the vendor's section of docs/vendors.md.",
)
OKTA_ORG = CATALOGUE.register(
    "vendor_okta_org_server",
    Severity.ERROR,
    AREA,
    "Access tokens of Okta's org authorization server are meant for Okta's own APIs; third parties such as Qualys cannot verify them.",
    "Create or use a custom authorization server (issuer https://{org}.okta.com/oauth2/default or your own) and onboard its issuer.",
)
ENTRA_VERSION = CATALOGUE.register(
    "vendor_entra_token_version",
    Severity.INFO,
    AREA,
    "Entra ID issues v1.0 tokens (iss https://sts.windows.net/{tid}/, aud api://...) or v2.0 tokens "
    "(iss https://login.microsoftonline.com/{tid}/v2.0, aud = the application's client ID) depending on the API's app registration.",
    "Onboard the issuer and audience of the version your tokens carry; accessTokenAcceptedVersion in the app manifest chooses it.",
)
AUTH0_SLASH = CATALOGUE.register(
    "vendor_auth0_issuer_slash",
    Severity.INFO,
    AREA,
    "Auth0 issuers end with a slash (https://{tenant}.auth0.com/), and Qualys compares the issuer exactly.",
    "Send the issuer with its trailing slash, exactly as the token's iss carries it.",
)
KEYCLOAK_ACCOUNT = CATALOGUE.register(
    "vendor_keycloak_account_audience",
    Severity.WARNING,
    AREA,
    "Keycloak access tokens carry aud 'account' by default, which names Keycloak's account console, not your API.",
    "Add an audience mapper to the client's scope so tokens carry your API's audience, and onboard that audience.",
)
GOOGLE_ISSUER = CATALOGUE.register(
    "vendor_google_issuer_forms",
    Severity.WARNING,
    AREA,
    "Google ID tokens carry iss as 'https://accounts.google.com' or as 'accounts.google.com'; Qualys compares exactly.",
    "Onboard the form your tokens carry (decode one with oidc-validator inspect), and ask Support whether both forms can be accepted.",
)


@dataclass(frozen=True)
class Vendor:
    key: str  # entra-v1, entra-v2, okta-custom, okta-org, auth0, keycloak, google
    name: str
    signals: tuple[str, ...]


def _claims(ctx: Context) -> list[Mapping[str, Any]]:
    return [jws.payload for _, jws in parsed_tokens(ctx)]


def _host_path(issuer: str | None) -> tuple[str, str]:
    parts = split_url(issuer) if issuer else None
    if parts is None or not parts.hostname:
        return "", ""
    return parts.hostname.lower(), parts.path


# Okta's authorization servers serve keys and tokens under /oauth2/v1/ (the org server) or
# /oauth2/{server id}/v1/ (a custom server), whatever the domain.
_OKTA_PATH = re.compile(r"/oauth2/(?:(?P<server>[^/]+)/)?v1/(?:keys|token)")
# Auth0 serves these paths at the root of every tenant domain, custom domains included.
_AUTH0_PATHS = {
    "token_endpoint": "/oauth/token",
    "jwks_uri": "/.well-known/jwks.json",
    "device_authorization_endpoint": "/oauth/device/code",
}


def _endpoint_path(doc: Mapping[str, Any], member: str) -> str | None:
    value = doc.get(member)
    parts = split_url(value) if isinstance(value, str) else None
    return parts.path if parts is not None else None


def _discovery_shape(ctx: Context) -> Vendor | None:
    """The vendor the discovery document's endpoint paths belong to (OpenID Connect Discovery section 3 members)."""
    fetched = ctx.observations.discovery
    if fetched is None or not fetched.ok or not isinstance(fetched.json, dict):
        return None
    doc = fetched.json
    okta = [m for member in ("jwks_uri", "token_endpoint") if (m := _OKTA_PATH.fullmatch(_endpoint_path(doc, member) or ""))]
    if len(okta) == 2 and okta[0]["server"] == okta[1]["server"]:
        if okta[0]["server"] is None:
            return Vendor("okta-org", "Okta (org authorization server)", ("discovery endpoints under /oauth2/v1/",))
        return Vendor("okta-custom", "Okta (custom authorization server)", (f"discovery endpoints under /oauth2/{okta[0]['server']}/v1/",))
    auth0 = [member for member, path in _AUTH0_PATHS.items() if _endpoint_path(doc, member) == path]
    if "mfa_challenge_endpoint" in doc:
        auth0.append("mfa_challenge_endpoint")
    if len(auth0) >= 3:  # two of these paths are common elsewhere; three together are Auth0's layout
        return Vendor("auth0", "Auth0", (f"discovery shape ({', '.join(auth0)})",))
    return None


def recognise(ctx: Context) -> Vendor | None:
    """The vendor this IdP looks like, or None. Pure: issuer shape and token claims only."""
    issuer = effective_issuer(ctx) or ""
    host, path = _host_path(issuer)
    claims = _claims(ctx)

    def has(*names: str) -> bool:
        return any(all(n in c for n in names) for c in claims)

    if host in ("sts.windows.net",) or any(c.get("ver") == "1.0" and "tid" in c for c in claims):
        return Vendor("entra-v1", "Microsoft Entra ID (v1.0 tokens)", ("issuer host" if host else "tid and ver 1.0 claims",))
    if host.startswith("login.microsoftonline.") or has("tid", "oid", "ver"):
        return Vendor(
            "entra-v2", "Microsoft Entra ID (v2.0 tokens)", ("issuer host" if host.startswith("login.") else "tid, oid and ver claims",)
        )
    shape = _discovery_shape(ctx)
    if shape is not None and not host.endswith((".okta.com", ".oktapreview.com", ".okta-emea.com", ".auth0.com")):
        return shape
    if host.endswith((".okta.com", ".oktapreview.com", ".okta-emea.com")) or has("cid", "scp"):
        custom = "/oauth2/" in path
        key, kind = ("okta-custom", "custom authorization server") if custom else ("okta-org", "org authorization server")
        return Vendor(
            key, f"Okta ({kind})", ("issuer host" if host.endswith(".okta.com") else "cid and scp claims", f"issuer path {path or '/'}")
        )
    if host.endswith(".auth0.com") or has("gty"):
        return Vendor("auth0", "Auth0", ("issuer host" if host.endswith(".auth0.com") else "gty claim",))
    if "/realms/" in path:
        return Vendor("keycloak", "Keycloak", ("issuer path /realms/{realm}",))
    schemeless = issuer.split("://", 1)[-1].rstrip("/") if "://" in issuer else None
    issuers_seen = {c["iss"] for c in claims if isinstance(c.get("iss"), str)}
    if host == "accounts.google.com" or "accounts.google.com" in issuers_seen or (schemeless and schemeless in issuers_seen):
        # Google's hallmark: ID tokens also carry the issuer without its https:// scheme.
        return Vendor("google", "Google", ("issuer accounts.google.com" if host == "accounts.google.com" else "iss without its scheme",))
    return None


def _access_tokens(ctx: Context) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for token, jws in parsed_tokens(ctx):
        if token.kind != "id_token":
            yield token_label(token), jws.payload


def check_vendor(ctx: Context) -> Iterator[Finding]:
    vendor = recognise(ctx)
    if vendor is None:
        return
    # Recognised from discovery alone, the org server's pitfall is still worth saying before any token exists.
    fix = OKTA_ORG.fix if vendor.key == "okta-org" else None
    yield RECOGNISED.finding(
        f"The IdP looks like {vendor.name} ({', '.join(vendor.signals)}).", fix=fix, vendor=vendor.key, signals=list(vendor.signals)
    )
    issuer = effective_issuer(ctx) or ""
    if vendor.key == "okta-org":
        labels = [label for label, _ in _access_tokens(ctx)]
        for label in labels:
            yield OKTA_ORG.finding(
                f"The {label} comes from Okta's org authorization server ({issuer}); Qualys cannot verify it.", token=label
            )
        if not labels:
            # Qualys takes the access token (its API guide); the org server's can never verify, token or not.
            yield OKTA_ORG.finding(
                f"The issuer {issuer} is Okta's org authorization server: the access tokens it issues cannot be verified by Qualys.",
                issuer=issuer,
            )
    elif vendor.key.startswith("entra"):
        yield ENTRA_VERSION.finding(
            f"The tokens are Entra ID {vendor.key[-2:]} tokens (issuer {issuer}).", version=vendor.key[-2:], issuer=issuer
        )
    elif vendor.key == "auth0":
        yield AUTH0_SLASH.finding(f"Auth0 issuer: {issuer!r}.", issuer=issuer, ends_with_slash=issuer.endswith("/"))
    elif vendor.key == "keycloak":
        for label, claims in _access_tokens(ctx):
            aud = claims.get("aud")
            if aud == "account" or (isinstance(aud, list) and aud == ["account"]):
                yield KEYCLOAK_ACCOUNT.finding(f"The {label}'s aud is Keycloak's default 'account'.", token=label, actual=aud)
    elif vendor.key == "google":
        forms = sorted({str(c.get("iss")) for c in _claims(ctx)})
        yield GOOGLE_ISSUER.finding(f"Google issuer forms seen in the tokens: {', '.join(forms) or 'none'}.", seen=forms)
