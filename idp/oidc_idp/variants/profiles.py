"""Vendor profiles: issuer shape, endpoint paths, JWKS and claims like a real IdP, as one table.

Each follows the vendor's public documentation (named in ``reference``). Hosts stay local
(the profile shapes paths and claims), so a test can run every vendor on loopback; pass
``--issuer`` to publish the vendor's real-looking issuer behind a proxy.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

ProfileName = Literal["generic", "entra-v2", "entra-v1", "okta-custom", "okta-org", "auth0", "keycloak", "google"]
TokenKind = Literal["access", "id"]
NAMESPACE = uuid.UUID("6f1b7c1e-3a55-4f0e-9d4f-1b2a3c4d5e6f")  # stable GUIDs for ids derived from names


@dataclass(frozen=True)
class ClaimInput:
    kind: TokenKind
    client_id: str
    username: str | None  # None for client_credentials
    grant_type: str
    scope: str
    issuer: str
    tenant_id: str


def guid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def pairwise_sub(*parts: str) -> str:
    # Entra's sub is a per-application pairwise identifier: same user, different app, different sub.
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:43]


@dataclass(frozen=True)
class Profile:
    name: ProfileName
    vendor: str
    reference: str
    base_path: str  # relative to the origin; may use {tenant_id} and {realm}
    issuer_suffix: str  # appended to the base to make the issuer
    jwks_path: str  # relative to the base
    token_path: str
    userinfo_path: str
    x5c: bool = True
    claims: Callable[[ClaimInput], dict[str, Any]] | None = None
    # Google's ID tokens are also seen with the issuer written without "https://".
    iss_without_scheme_in_id_tokens: bool = False
    # What `oidc-validator check` must say about this profile: the vendor it recognises, and its hint codes.
    recognised_as: str | None = None
    hints: frozenset[str] = frozenset()

    def issuer_for(self, origin: str, *, tenant_id: str, realm: str) -> str:
        return origin.rstrip("/") + self.base_path.format(tenant_id=tenant_id, realm=realm) + self.issuer_suffix

    def base_of(self, issuer: str) -> str:
        if self.issuer_suffix and issuer.endswith(self.issuer_suffix):
            return issuer[: -len(self.issuer_suffix)].rstrip("/")
        return issuer.rstrip("/")

    def access_audience(self, configured: str, *, client_id: str, issuer: str, tenant_id: str) -> Any:
        """The ``aud`` this profile's access tokens carry (RFC 9068 section 2.2): the claims function's, else ``configured``.

        The same function shapes the minted tokens (core/service.py), so what the banner prints is what
        tokens carry. No profile's audience depends on the user or grant, so a client_credentials input stands for all.
        """
        if self.claims is None:
            return configured
        shaped = self.claims(ClaimInput("access", client_id, None, "client_credentials", "", issuer, tenant_id))
        return shaped.get("aud", configured)


def _entra_v2(c: ClaimInput) -> dict[str, Any]:
    app = guid("app", c.client_id)
    user = c.username or f"sp:{c.client_id}"
    oid = guid("oid", c.tenant_id, user)
    claims: dict[str, Any] = {"ver": "2.0", "tid": c.tenant_id, "oid": oid, "azp": app, "sub": pairwise_sub(c.tenant_id, app, user)}
    if c.kind == "access":
        claims["aud"] = app
    if c.username:
        claims["preferred_username"] = c.username if "@" in c.username else f"{c.username}@contoso.example"
    return claims


def _entra_v1(c: ClaimInput) -> dict[str, Any]:
    app = guid("app", c.client_id)
    user = c.username or f"sp:{c.client_id}"
    claims: dict[str, Any] = {
        "ver": "1.0",
        "tid": c.tenant_id,
        "oid": guid("oid", c.tenant_id, user),
        "appid": app,
        "sub": pairwise_sub(c.tenant_id, app, user),
    }
    if c.kind == "access":
        claims["aud"] = f"api://{c.client_id}"
    if c.username:
        claims["upn"] = claims["unique_name"] = c.username if "@" in c.username else f"{c.username}@contoso.example"
    return claims


def _okta(c: ClaimInput) -> dict[str, Any]:
    if c.kind == "id":
        return {"ver": 1}
    claims: dict[str, Any] = {"ver": 1, "cid": c.client_id, "scp": c.scope.split() or ["default"]}
    if c.username:
        claims["uid"] = "00u" + guid("uid", c.username).replace("-", "")[:17]
        claims["sub"] = c.username if "@" in c.username else f"{c.username}@example.com"
    return claims


def _okta_custom(c: ClaimInput) -> dict[str, Any]:
    return {**_okta(c), **({"aud": "api://default"} if c.kind == "access" else {})}


def _auth0(c: ClaimInput) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "azp": c.client_id,
        "sub": f"auth0|{guid('auth0', c.username)[:24]}" if c.username else f"{c.client_id}@clients",
    }
    if c.kind == "access":
        claims["gty"] = "client-credentials" if c.grant_type == "client_credentials" else "password"
    return claims


def _keycloak(c: ClaimInput) -> dict[str, Any]:
    claims: dict[str, Any] = {"azp": c.client_id, "typ": "Bearer" if c.kind == "access" else "ID"}
    if c.username:
        claims["sub"] = guid("keycloak", c.username)
        claims["preferred_username"] = c.username
    else:
        claims["preferred_username"] = f"service-account-{c.client_id}"
    return claims


def _google(c: ClaimInput) -> dict[str, Any]:
    who = c.username or c.client_id
    return {"azp": c.client_id, "sub": str(int(hashlib.sha256(who.encode()).hexdigest(), 16))[:21]}


PROFILES: tuple[Profile, ...] = (
    Profile("generic", "generic OpenID Connect", "OpenID Connect Discovery 1.0", "", "", "/jwks", "/token", "/userinfo"),
    Profile(
        "entra-v2",
        "Microsoft Entra ID (v2.0 endpoint)",
        "learn.microsoft.com: Microsoft identity platform access tokens and ID tokens (v2.0)",
        "/{tenant_id}",
        "/v2.0",
        "/discovery/v2.0/keys",
        "/oauth2/v2.0/token",
        "/openid/userinfo",
        claims=_entra_v2,
        recognised_as="entra-v2",
        hints=frozenset({"vendor_recognised", "vendor_entra_token_version", "external_id_entra_sub"}),
    ),
    Profile(
        "entra-v1",
        "Microsoft Entra ID (v1.0 tokens, sts.windows.net issuer)",
        "learn.microsoft.com: access token claims reference (v1.0)",
        "/{tenant_id}",
        "/",
        "/discovery/keys",
        "/oauth2/token",
        "/openid/userinfo",
        claims=_entra_v1,
        recognised_as="entra-v1",
        hints=frozenset({"vendor_recognised", "vendor_entra_token_version", "external_id_entra_sub"}),
    ),
    Profile(
        "okta-custom",
        "Okta (custom authorization server)",
        "developer.okta.com: authorization servers, /oauth2/default",
        "/oauth2/default",
        "",
        "/v1/keys",
        "/v1/token",
        "/v1/userinfo",
        x5c=False,
        claims=_okta_custom,
        recognised_as="okta-custom",
        hints=frozenset({"vendor_recognised", "jwks_no_x5c"}),
    ),
    Profile(
        "okta-org",
        "Okta (org authorization server)",
        "developer.okta.com: org authorization server; its access tokens are for Okta APIs only",
        "",
        "",
        "/oauth2/v1/keys",
        "/oauth2/v1/token",
        "/oauth2/v1/userinfo",
        x5c=False,
        claims=_okta,
        recognised_as="okta-org",
        hints=frozenset({"vendor_recognised", "vendor_okta_org_server", "jwks_no_x5c"}),
    ),
    Profile(
        "auth0",
        "Auth0",
        "auth0.com/docs: access token profiles, /.well-known/jwks.json",
        "",
        "/",
        "/.well-known/jwks.json",
        "/oauth/token",
        "/userinfo",
        claims=_auth0,
        recognised_as="auth0",
        hints=frozenset({"vendor_recognised", "vendor_auth0_issuer_slash"}),
    ),
    Profile(
        "keycloak",
        "Keycloak",
        "keycloak.org: OIDC endpoints under /realms/{realm}",
        "/realms/{realm}",
        "",
        "/protocol/openid-connect/certs",
        "/protocol/openid-connect/token",
        "/protocol/openid-connect/userinfo",
        claims=_keycloak,
        recognised_as="keycloak",
        hints=frozenset({"vendor_recognised"}),
    ),
    Profile(
        "google",
        "Google",
        "developers.google.com/identity/openid-connect: iss is https://accounts.google.com or accounts.google.com",
        "",
        "",
        "/oauth2/v3/certs",
        "/token",
        "/v1/userinfo",
        x5c=False,
        claims=_google,
        recognised_as="google",
        hints=frozenset({"vendor_recognised", "vendor_google_issuer_forms", "token_iss_mismatch", "jwks_no_x5c"}),
        iss_without_scheme_in_id_tokens=True,
    ),
)

BY_NAME: Mapping[str, Profile] = {p.name: p for p in PROFILES}
