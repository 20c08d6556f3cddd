"""Typed configuration of the test IdP, loaded from TOML and flags.

Every default is written out here; the README's config section mirrors this file.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .profiles import BY_NAME as PROFILES
from .profiles import Profile, ProfileName

Algorithm = Literal["RS256", "PS256", "ES256", "EdDSA"]
ALGORITHMS: tuple[Algorithm, ...] = ("RS256", "PS256", "ES256", "EdDSA")
GrantType = Literal["client_credentials", "password"]
AuthMethod = Literal["client_secret_basic", "client_secret_post"]

DEFAULT_AUDIENCE = "https://qualys.example/api"
DEFAULT_TENANT_ID = "3c5e2b1a-7d4f-4e8a-9b6c-0f1e2d3c4b5a"  # a made-up Entra tenant
EndpointName = Literal["discovery", "jwks", "token", "userinfo"]
DEFAULT_CLIENT_ID = "demo-client"
DEFAULT_CLIENT_SECRET = "demo-secret"  # noqa: S105 - documented test-only credential
DEFAULT_USERNAME = "demo"
DEFAULT_PASSWORD = "demo-password"  # noqa: S105 - documented test-only credential


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClientConfig(_Model):
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    grant_types: tuple[GrantType, ...] = ("client_credentials", "password")
    token_endpoint_auth_methods: tuple[AuthMethod, ...] = (
        "client_secret_basic",
        "client_secret_post",
    )
    audience: str = DEFAULT_AUDIENCE
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    claims: dict[str, Any] = Field(default_factory=dict)
    # Token scenarios (see idp/scenarios.py) played only for this client's tokens.
    scenarios: tuple[str, ...] = ()

    @field_validator("scenarios")
    @classmethod
    def _token_scenarios_only(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from .scenarios import BY_NAME

        for name in value:
            if name not in BY_NAME:
                raise ValueError(f"unknown scenario {name!r} (known: {', '.join(BY_NAME)})")
            if BY_NAME[name].scope != "token":
                raise ValueError(f"scenario {name!r} changes the {BY_NAME[name].scope}, which all clients share; set it globally")
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


def default_clients() -> tuple[ClientConfig, ...]:
    return (ClientConfig(client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET),)


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


class IdpConfig(_Model):
    issuer: str
    keys_dir: Path
    alg: Algorithm = "RS256"
    access_token_ttl_seconds: int = Field(default=3600, gt=0)
    id_token_ttl_seconds: int = Field(default=3600, gt=0)
    cert_validity_days: int = Field(default=365, gt=0)
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    clock_fixed: datetime | None = None
    clock_offset_seconds: int = 0
    # Misconfiguration scenarios played for everyone (names from idp/scenarios.py).
    scenarios: tuple[str, ...] = ()
    # Vendor shape (idp/profiles.py): issuer form, endpoint paths, JWKS and claims.
    profile: ProfileName = "generic"
    tenant_id: str = DEFAULT_TENANT_ID
    realm: str = "qualys"
    clients: tuple[ClientConfig, ...] = Field(default_factory=default_clients)
    users: tuple[UserConfig, ...] = Field(default_factory=default_users)

    @field_validator("issuer")
    @classmethod
    def _issuer_is_absolute_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("issuer must be an absolute http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("issuer must not have a query or fragment (OpenID Discovery 1.0 section 3)")
        return value

    @field_validator("scenarios")
    @classmethod
    def _known_scenarios(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from .scenarios import BY_NAME

        unknown = [n for n in value if n not in BY_NAME]
        if unknown:
            raise ValueError(f"unknown scenario {', '.join(map(repr, unknown))} (known: {', '.join(BY_NAME)})")
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

    @property
    def vendor(self) -> Profile:
        return PROFILES[self.profile]

    def endpoint_url(self, name: EndpointName) -> str:
        """An endpoint URL derived from the issuer exactly (never from a Host header)."""
        if name == "discovery":
            return self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        base = self.vendor.base_of(self.issuer)
        return base + {"jwks": self.vendor.jwks_path, "token": self.vendor.token_path, "userinfo": self.vendor.userinfo_path}[name]

    def endpoint_path(self, name: EndpointName) -> str:
        """The local route of an endpoint: its URL's path (a proxy forwards paths unchanged)."""
        return urlsplit(self.endpoint_url(name)).path

    def client(self, client_id: str) -> ClientConfig | None:
        return next((c for c in self.clients if c.client_id == client_id), None)

    def user(self, username: str) -> UserConfig | None:
        return next((u for u in self.users if u.username == username), None)

    def is_default_demo(self) -> bool:
        return self.clients == default_clients() and self.users == default_users()


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
