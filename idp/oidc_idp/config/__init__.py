"""Typed configuration of the test IdP, loaded from TOML and flags.

Every default is written out here; the README's config section mirrors this file.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from oidc_idp.config.uris import absolute_uri, is_loopback_uri
from oidc_idp.errors import ConfigError
from oidc_idp.keys.client_keys import check_public_keys
from oidc_idp.keys.keygen import Algorithm
from oidc_idp.keys.schedule import MAX_PREVIOUS_KEYS, Schedule
from oidc_idp.variants.profiles import BY_NAME as PROFILES
from oidc_idp.variants.profiles import Profile, ProfileName
from oidc_idp.variants.scenarios import BY_NAME as SCENARIOS

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GrantType = Literal["client_credentials", "password", "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"]
AuthMethod = Literal["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
PkceMethod = Literal["S256", "plain"]
# How the authorization endpoint may deliver its response (web/response_modes.py renders each).
ResponseMode = Literal["query", "fragment", "form_post"]
RESPONSE_MODES: tuple[ResponseMode, ...] = ("query", "fragment", "form_post")

DEFAULT_AUDIENCE = "https://qualys.example/api"
DEFAULT_TENANT_ID = "3c5e2b1a-7d4f-4e8a-9b6c-0f1e2d3c4b5a"  # a made-up Entra tenant
EndpointName = Literal["discovery", "jwks", "token", "userinfo", "authorize", "introspect", "revoke", "end_session"]
# Paths of the endpoints the vendor profiles do not shape, relative to the issuer's base.
EXTRA_PATHS: dict[str, str] = {"authorize": "/authorize", "introspect": "/introspect", "revoke": "/revoke", "end_session": "/logout"}
DEFAULT_CLIENT_ID = "demo-client"
DEFAULT_CLIENT_SECRET = "demo-secret"  # noqa: S105 - documented test-only credential
DEFAULT_SPA_CLIENT_ID = "demo-spa"
DEFAULT_USERNAME = "demo"
DEFAULT_PASSWORD = "demo-password"  # noqa: S105 - documented test-only credential


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _public_key_source(jwks: dict[str, Any] | None, public_key_pem: str | None, what: str) -> None:
    if jwks is not None and public_key_pem is not None:
        raise ValueError(f"give the {what}'s jwks or its public_key_pem, not both")
    check_public_keys(jwks, public_key_pem)


class ClientConfig(_Model):
    client_id: str = Field(min_length=1)
    # Required by the client_secret_* methods; a public client (method "none") has none.
    client_secret: str | None = Field(default=None, min_length=1)
    grant_types: tuple[GrantType, ...] = ("client_credentials", "password")
    token_endpoint_auth_methods: tuple[AuthMethod, ...] = (
        "client_secret_basic",
        "client_secret_post",
    )
    audience: str = DEFAULT_AUDIENCE
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    claims: dict[str, Any] = Field(default_factory=dict)
    # Token scenarios (see variants/scenarios.py) played only for this client's tokens.
    scenarios: tuple[str, ...] = ()
    # Authorization code flow: exact-match redirect URIs (RFC 6749 section 3.1.2.2).
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    # Also any loopback http(s) URI, any port and path (RFC 8252 section 7.3), as redirect and
    # post-logout redirect URI: what lets the default clients work with no config at all.
    loopback_redirect_uris: bool = False
    require_pkce: bool = True
    pkce_methods: tuple[PkceMethod, ...] = ("S256",)
    # Refresh token rotation: each use returns a new refresh token and invalidates the old one.
    rotate_refresh_tokens: bool = True
    # private_key_jwt (RFC 7523 section 2.2): the client's public keys, as a JWKS or one PEM.
    jwks: dict[str, Any] | None = None
    public_key_pem: str | None = None

    @field_validator("redirect_uris", "post_logout_redirect_uris")
    @classmethod
    def _absolute_uris(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(absolute_uri(v) for v in value)

    @model_validator(mode="after")
    def _consistent(self) -> ClientConfig:
        methods = set(self.token_endpoint_auth_methods)
        if "none" in methods and len(methods) > 1:
            raise ValueError("a public client (method 'none') has no other authentication method")
        if methods & set(SECRET_METHODS) and self.client_secret is None:
            raise ValueError("client_secret is required by client_secret_basic/client_secret_post")
        if "private_key_jwt" in methods:
            if self.jwks is None and self.public_key_pem is None:
                raise ValueError("private_key_jwt needs the client's jwks or public_key_pem")
            _public_key_source(self.jwks, self.public_key_pem, "client")
        if "authorization_code" in self.grant_types and not self.redirect_uris and not self.loopback_redirect_uris:
            raise ValueError("the authorization_code grant needs redirect_uris (or loopback_redirect_uris = true)")
        if "none" in methods and not self.require_pkce:
            raise ValueError("a public client must use PKCE (RFC 9700 section 2.1.1)")
        if not self.pkce_methods:
            raise ValueError("pkce_methods must not be empty")
        if not methods:
            raise ValueError("token_endpoint_auth_methods must not be empty")
        return self

    @property
    def is_public(self) -> bool:
        return "none" in self.token_endpoint_auth_methods

    def allows_redirect_uri(self, uri: str) -> bool:
        # Exact string comparison (RFC 6749 section 3.1.2.3, RFC 9700 section 4.1.3), or a loopback URI when allowed.
        return uri in self.redirect_uris or (self.loopback_redirect_uris and is_loopback_uri(uri))

    def allows_post_logout_redirect_uri(self, uri: str) -> bool:
        # RP-Initiated Logout 1.0 section 3: registered, exactly; or loopback when allowed.
        return uri in self.post_logout_redirect_uris or (self.loopback_redirect_uris and is_loopback_uri(uri))

    @field_validator("scenarios")
    @classmethod
    def _token_scenarios_only(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name not in SCENARIOS:
                raise ValueError(f"unknown scenario {name!r} (known: {', '.join(SCENARIOS)})")
            if SCENARIOS[name].scope != "token":
                raise ValueError(f"scenario {name!r} changes the {SCENARIOS[name].scope}, which all clients share; set it globally")
        return value


class UserConfig(_Model):
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    # None means "the username": most IdPs' demo users look like that.
    sub: str | None = None
    claims: dict[str, Any] = Field(default_factory=dict)

    @property
    def subject(self) -> str:
        return self.sub if self.sub is not None else self.username


class TrustedIssuerConfig(_Model):
    """An assertion issuer for the jwt-bearer grant (RFC 7523 section 2.1), with its public keys."""

    issuer: str = Field(min_length=1)
    # The client the issued tokens are for (it must allow the jwt-bearer grant).
    client_id: str = Field(min_length=1)
    jwks: dict[str, Any] | None = None
    public_key_pem: str | None = None

    @model_validator(mode="after")
    def _has_keys(self) -> TrustedIssuerConfig:
        if self.jwks is None and self.public_key_pem is None:
            raise ValueError("a trusted issuer needs jwks or public_key_pem")
        _public_key_source(self.jwks, self.public_key_pem, "trusted issuer")
        return self


def default_clients(redirect_uris: tuple[str, ...] = ()) -> tuple[ClientConfig, ...]:
    """The zero-config clients: ``demo-client`` (confidential) and ``demo-spa`` (public, PKCE S256).

    Both accept any loopback redirect URI (RFC 8252 section 7.3), plus ``redirect_uris`` exactly
    (``--redirect-uri``, e.g. a container's service name). ``demo-client`` takes codes without
    PKCE: server-side frameworks often send none, and its secret authenticates the code exchange
    (RFC 9700 section 2.1.1 allows this for confidential clients); a verifier that is sent is checked.
    """
    scopes = ("openid", "profile", "email", "offline_access")
    return (
        ClientConfig(
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            grant_types=("client_credentials", "password", "authorization_code", "refresh_token"),
            scopes=scopes,
            redirect_uris=redirect_uris,
            loopback_redirect_uris=True,
            require_pkce=False,
        ),
        ClientConfig(
            client_id=DEFAULT_SPA_CLIENT_ID,
            token_endpoint_auth_methods=("none",),
            grant_types=("authorization_code", "refresh_token"),
            scopes=scopes,
            redirect_uris=redirect_uris,
            loopback_redirect_uris=True,
        ),
    )


def default_users() -> tuple[UserConfig, ...]:
    return (
        UserConfig(
            username=DEFAULT_USERNAME,
            password=DEFAULT_PASSWORD,
            sub="demo@example.com",
            claims={
                "preferred_username": "demo@example.com",
                "email": "demo@example.com",
                "name": "Demo User",
            },
        ),
    )


class _IssuerFields(_Model):
    """What each issuer of a server has of its own (see IssuerConfig)."""

    alg: Algorithm = "RS256"
    # Misconfiguration scenarios played for everyone (names from variants/scenarios.py).
    scenarios: tuple[str, ...] = ()
    # Vendor shape (variants/profiles.py): issuer form, endpoint paths, JWKS and claims.
    profile: ProfileName = "generic"
    tenant_id: str = DEFAULT_TENANT_ID
    realm: str = "qualys"
    clients: tuple[ClientConfig, ...] = Field(default_factory=default_clients)
    users: tuple[UserConfig, ...] = Field(default_factory=default_users)
    trusted_issuers: tuple[TrustedIssuerConfig, ...] = ()
    # Who is logged in without a login page when the request names nobody (headless tests).
    default_login_user: str | None = None

    @field_validator("scenarios")
    @classmethod
    def _known_scenarios(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [n for n in value if n not in SCENARIOS]
        if unknown:
            raise ValueError(f"unknown scenario {', '.join(map(repr, unknown))} (known: {', '.join(SCENARIOS)})")
        return value

    @field_validator("clients")
    @classmethod
    def _unique_clients(cls, value: tuple[ClientConfig, ...]) -> tuple[ClientConfig, ...]:
        ids = [c.client_id for c in value]
        if len(ids) != len(set(ids)):
            raise ValueError("client_id values must be unique")
        return value

    @field_validator("users")
    @classmethod
    def _unique_users(cls, value: tuple[UserConfig, ...]) -> tuple[UserConfig, ...]:
        names = [u.username for u in value]
        if len(names) != len(set(names)):
            raise ValueError("usernames must be unique")
        return value

    @model_validator(mode="after")
    def _trusted_issuers_name_clients(self) -> _IssuerFields:
        for trusted in self.trusted_issuers:
            client = next((c for c in self.clients if c.client_id == trusted.client_id), None)
            if client is None or JWT_BEARER_GRANT not in client.grant_types:
                raise ValueError(
                    f"trusted issuer {trusted.issuer!r} names client {trusted.client_id!r}, which must allow {JWT_BEARER_GRANT}"
                )
        return self


class IssuerConfig(_IssuerFields):
    """One more issuer on the same server, under ``{issuer}/{id}`` with keys in ``{keys_dir}/{id}``."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_ISSUER_IDS:
            raise ValueError(f"issuer id {value!r} is reserved")
        return value


RESERVED_ISSUER_IDS = frozenset(
    {"tls", "_admin", ".well-known", "jwks", "token", "userinfo", "authorize", "introspect", "revoke", "logout"}
)


class IdpConfig(_IssuerFields):
    issuer: str
    keys_dir: Path
    access_token_ttl_seconds: int = Field(default=3600, gt=0)
    id_token_ttl_seconds: int = Field(default=3600, gt=0)
    refresh_token_ttl_seconds: int = Field(default=86400, gt=0)
    authorization_code_ttl_seconds: int = Field(default=60, gt=0)
    login_session_ttl_seconds: int = Field(default=3600, gt=0)
    cert_validity_days: int = Field(default=365, gt=0)
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    # Cap of each in-memory store (codes, refresh tokens, sessions, revocations): memory stays bounded.
    max_stored_items: int = Field(default=10_000, gt=0)
    clock_fixed: datetime | None = None
    clock_offset_seconds: int = 0
    # Rotate the signing key on this schedule, by the IdP's clock (--rotate-every); None: only when asked.
    rotate_every_seconds: int | None = Field(default=None, gt=0)
    # How long a replaced key stays in the JWKS (--rotation-overlap); None: one rotate_every_seconds period.
    rotation_overlap_seconds: int | None = Field(default=None, ge=0)
    introspection_enabled: bool = True
    revocation_enabled: bool = True
    # None: the origins of every configured client's redirect URIs (and any loopback origin when a client
    # accepts loopback redirect URIs, as the default clients do); () allows no cross-origin call.
    cors_allowed_origins: tuple[str, ...] | None = None
    # The run-time control API (web/admin.py), loopback only.
    admin_enabled: bool = False
    issuers: tuple[IssuerConfig, ...] = ()

    @field_validator("issuer")
    @classmethod
    def _issuer_is_absolute_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("issuer must be an absolute http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("issuer must not have a query or fragment (OpenID Discovery 1.0 section 3)")
        return value

    @field_validator("issuers")
    @classmethod
    def _unique_issuer_ids(cls, value: tuple[IssuerConfig, ...]) -> tuple[IssuerConfig, ...]:
        ids = [i.id for i in value]
        if len(ids) != len(set(ids)):
            raise ValueError("issuer ids must be unique")
        return value

    @model_validator(mode="after")
    def _rotation_schedule(self) -> IdpConfig:
        every, overlap = self.rotate_every_seconds, self.rotation_overlap_seconds
        if overlap is not None and every is None:
            raise ValueError("rotation_overlap_seconds (--rotation-overlap) needs rotate_every_seconds (--rotate-every)")
        if every is not None and overlap is not None and overlap > MAX_PREVIOUS_KEYS * every:
            raise ValueError(
                f"rotation_overlap_seconds {overlap} would keep more than {MAX_PREVIOUS_KEYS} previous keys published;"
                f" at most {MAX_PREVIOUS_KEYS} x rotate_every_seconds ({MAX_PREVIOUS_KEYS * every})"
            )
        return self

    @property
    def rotation(self) -> Schedule | None:
        """The key rotation schedule, or None when keys rotate only when asked."""
        if self.rotate_every_seconds is None:
            return None
        overlap = self.rotation_overlap_seconds
        return Schedule(self.rotate_every_seconds, self.rotate_every_seconds if overlap is None else overlap)

    @property
    def vendor(self) -> Profile:
        return PROFILES[self.profile]

    def endpoint_url(self, name: EndpointName) -> str:
        """An endpoint URL derived from the issuer exactly (never from a Host header)."""
        if name == "discovery":
            return self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        base = self.vendor.base_of(self.issuer)
        if name in EXTRA_PATHS:
            return base + EXTRA_PATHS[name]
        return base + {"jwks": self.vendor.jwks_path, "token": self.vendor.token_path, "userinfo": self.vendor.userinfo_path}[name]

    def endpoint_path(self, name: EndpointName) -> str:
        """The local route of an endpoint: its URL's path (a proxy forwards paths unchanged)."""
        return urlsplit(self.endpoint_url(name)).path

    def client(self, client_id: str) -> ClientConfig | None:
        return next((c for c in self.clients if c.client_id == client_id), None)

    def user(self, username: str) -> UserConfig | None:
        return next((u for u in self.users if u.username == username), None)

    def is_default_demo(self) -> bool:
        added = self.clients[0].redirect_uris if self.clients else ()
        return self.clients == default_clients(added) and self.users == default_users()

    def grant_enabled(self, grant: str) -> bool:
        return any(grant in c.grant_types for c in self.clients)

    def issuer_configs(self) -> tuple[IdpConfig, ...]:
        """This issuer, then one config per ``[[issuers]]`` table (the server-wide fields are shared)."""
        derived = []
        for extra in self.issuers:
            fields = extra.model_dump(exclude={"id"})
            base = self.issuer.rstrip("/") + "/" + extra.id
            issuer = PROFILES[extra.profile].issuer_for(base, tenant_id=extra.tenant_id, realm=extra.realm)
            own = {k: getattr(extra, k) for k in fields}
            derived.append(self.model_copy(update={**own, "issuer": issuer, "keys_dir": self.keys_dir / extra.id, "issuers": ()}))
        return (self, *derived)


def _one_line(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "config"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def default_issuer(values: dict[str, Any], origin: str) -> str:
    """The issuer when none is given: the local origin, shaped by the profile (if it is a known one)."""
    profile = PROFILES.get(str(values.get("profile", "generic")), PROFILES["generic"])
    return profile.issuer_for(origin, tenant_id=str(values.get("tenant_id", DEFAULT_TENANT_ID)), realm=str(values.get("realm", "qualys")))


def build_config(values: dict[str, Any]) -> IdpConfig:
    """Validate a config mapping, turning pydantic's report into one ConfigError line."""
    try:
        return IdpConfig.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(f"invalid IdP configuration: {_one_line(exc)}") from None


def read_toml(path: Path) -> dict[str, Any]:
    """Read an IdP TOML config file as a plain mapping (validated later by build_config)."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}", code="config_not_found") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}", code="config_unreadable") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}", code="config_not_toml") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not valid TOML: it is not UTF-8 text", code="config_not_toml") from None
