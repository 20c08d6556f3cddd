"""Flags and ``onboarding.toml`` (flags win) -> ``Inputs`` plus the run's options.

``arguments.add_input_arguments`` and ``resolve`` are shared by every subcommand that reads the onboarding
request (``check`` today, ``bundle`` later), so they accept exactly the same inputs.
"""

from __future__ import annotations

import argparse
import ssl
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from oidc_validator.errors import UsageError
from oidc_validator.model.context import CertificateInput, Inputs, SampleToken
from oidc_validator.net.connect import ssl_context
from oidc_validator.net.options import FetchOptions, GrantRequest, ResolveEntry, parse_resolve
from oidc_validator.observe.environment import Environment

MAX_TOKEN_BYTES = 1024 * 1024
DEFAULTS = FetchOptions()


class OnboardingFile(BaseModel):
    """``onboarding.toml``: the flags' long names in snake_case. Secrets never live here, only env var names."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    idp_name: str | None = None
    entity_id: str | None = None
    issuer: str | None = None
    audience: list[str] | str | None = None
    jwks_url: str | None = None
    cert: list[str] | None = None
    cert_kid: dict[str, str] | None = None  # kid = "file"
    external_id: str | None = None
    external_id_claim: str | None = None
    token_file: str | None = None
    ca_file: str | None = None
    resolve: list[str] | None = None
    client_id: str | None = None
    client_secret_env: str | None = None
    username: str | None = None
    password_env: str | None = None
    scope: str | None = None
    connect_timeout_seconds: float | None = None
    total_timeout_seconds: float | None = None
    max_body_bytes: int | None = None
    max_redirects: int | None = None
    now: datetime | str | None = None


EXPECTED = {
    "audience": "a string or a list of strings",
    "cert": "a list of file names",
    "cert_kid": "a table of kid = file name",
    "connect_timeout_seconds": "a number",
    "total_timeout_seconds": "a number",
    "max_body_bytes": "an integer",
    "max_redirects": "an integer",
    "now": "a date-time",
    "resolve": "a list of HOST:PORT:ADDRESS strings",
}
PATH_KEYS = ("token_file", "ca_file")
SECRET_KEYS = {"client_secret": "client_secret_env", "password": "password_env", "token": "token_file"}


@dataclass(frozen=True)
class RunConfig:
    inputs: Inputs
    fetch: FetchOptions
    grant: GrantRequest | None
    now: datetime


def _read_config(path: Path) -> tuple[OnboardingFile, Path]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read --config {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    for key, instead in SECRET_KEYS.items():
        if key in document:
            raise UsageError(f"{path}: {key} does not belong in a file; use {instead}")
    try:
        return OnboardingFile.model_validate(document), path.parent
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"][:1]) or "(top level)"
        message = f"unknown key {key!r}" if error["type"] == "extra_forbidden" else f"{key}: expected {EXPECTED.get(key, 'a string')}"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise UsageError(f"{path}: {message}{more}") from None


def _merged(args: argparse.Namespace, defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Flag values over config values over ``defaults``; config paths made relative to the config file's directory."""
    values: dict[str, Any] = {}
    if args.config:
        config, base = _read_config(Path(args.config))
        values = {key: value for key, value in config.model_dump().items() if value is not None}
        for key in PATH_KEYS:
            if key in values:
                values[key] = str(base / values[key])
        if "cert" in values:
            values["cert"] = [str(base / name) for name in values["cert"]]
        if "cert_kid" in values:
            values["cert_kid"] = [f"{kid}={base / name}" for kid, name in values["cert_kid"].items()]
        if isinstance(values.get("audience"), str):
            values["audience"] = [values["audience"]]
    values = {**(defaults or {}), **values}
    for key, value in vars(args).items():
        if value is not None and key != "config":
            values[key] = value
    if "token" in values and "token_file" in values:
        values.pop("token_file" if args.token is not None else "token")
    return values


def _certificates(values: Mapping[str, Any]) -> tuple[CertificateInput, ...]:
    kids: dict[Path, str] = {}
    for pairing in values.get("cert_kid", []):
        kid, sep, name = pairing.partition("=")
        if not sep or not kid or not name:
            raise UsageError(f"--cert-kid expects KID=FILE, got {pairing!r}")
        kids[Path(name)] = kid
    paths = [Path(name) for name in values.get("cert", [])]
    paths += [path for path in kids if path not in paths]
    return tuple(CertificateInput(path=path, kid=kids.get(path)) for path in paths)


def _clean_token(text: str, origin: str) -> str:
    token = text.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if not token:
        raise UsageError(f"{origin} holds no token")
    return token


def given_tokens(values: Mapping[str, Any], env: Environment) -> tuple[SampleToken, ...]:
    if values.get("token") == "-" or values.get("token_file") == "-":
        return (SampleToken(_clean_token(env.stdin.read(MAX_TOKEN_BYTES), "stdin"), "given", "stdin"),)
    if "token" in values:
        return (SampleToken(_clean_token(values["token"], "--token"), "given", "--token"),)
    if "token_file" in values:
        path = Path(values["token_file"])
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_TOKEN_BYTES + 1)
        except OSError as exc:
            raise UsageError(f"cannot read --token-file {path}: {exc.strerror or exc}") from None
        if len(data) > MAX_TOKEN_BYTES:
            raise UsageError(f"--token-file {path} is over {MAX_TOKEN_BYTES} bytes: not a token")
        origin = f"--token-file {path}"
        return (SampleToken(_clean_token(data.decode("utf-8", errors="replace"), origin), "given", origin),)
    return ()


def _secret(values: Mapping[str, Any], env_key: str, what: str, env: Environment, *, required: bool) -> str | None:
    name = values.get(env_key)
    flag = "--" + env_key.replace("_", "-")
    if name:
        secret = env.environ.get(name)
        if not secret:
            raise UsageError(f"environment variable {name} (named by {flag}) is not set or empty")
        return secret
    if not required:
        return None
    if env.stdin_is_terminal():
        secret = env.prompt(f"{what}: ")
        if not secret:
            raise UsageError(f"no {what} given")
        return secret
    raise UsageError(f"the {what} is needed: name an environment variable holding it with {flag} (stdin is not a terminal)")


def _grant(values: Mapping[str, Any], env: Environment) -> GrantRequest | None:
    client_id, username = values.get("client_id"), values.get("username")
    if username and not client_id:
        raise UsageError("--username needs --client-id (the client the password grant is made for)")
    if not client_id:
        for orphan in ("client_secret_env", "password_env", "scope"):
            if values.get(orphan):
                raise UsageError(f"--{orphan.replace('_', '-')} needs --client-id")
        return None
    if username:
        # A password-grant client may be public (no secret), so the secret is only read when named.
        secret = _secret(values, "client_secret_env", "client secret", env, required=False)
        password = _secret(values, "password_env", f"password for {username}", env, required=True)
        scope = values.get("scope") or "openid profile"
        return GrantRequest("password", client_id, secret, username, password, scope)
    secret = _secret(values, "client_secret_env", f"client secret for {client_id}", env, required=True)
    return GrantRequest("client_credentials", client_id, secret, scope=values.get("scope"))


def parse_now(raw: datetime | str | None, env: Environment) -> datetime:
    """The run's "now": --now when given, else the system clock (read only here, through ``env``)."""
    if raw is None:
        return env.clock()
    try:
        moment = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    except ValueError:
        raise UsageError(f"--now expects an ISO 8601 time such as 2025-01-31T12:00:00Z, got {raw!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def resolve_entries(texts: Sequence[str] | None) -> tuple[ResolveEntry, ...]:
    """--resolve values (flags or the config file's list); the first entry for a HOST:PORT wins, as in curl."""
    try:
        return tuple(parse_resolve(text) for text in texts or ())
    except ValueError as exc:
        raise UsageError(f"--resolve {exc}") from None


def _fetch_options(values: Mapping[str, Any]) -> FetchOptions:
    limits: dict[str, Any] = {"resolve": resolve_entries(values.get("resolve"))}
    for key in ("connect_timeout_seconds", "total_timeout_seconds", "max_body_bytes"):
        if key in values:
            if not values[key] > 0:
                raise UsageError(f"--{key.replace('_', '-')} must be positive")
            limits[key] = values[key]
    if "max_redirects" in values:
        if values["max_redirects"] < 0:
            raise UsageError("--max-redirects must be 0 or more")
        limits["max_redirects"] = values["max_redirects"]
    options = FetchOptions(**limits)
    if "ca_file" in values:
        options = FetchOptions(**limits, ca_file=Path(values["ca_file"]))
        try:
            ssl_context(options)
        except (ssl.SSLError, ValueError):
            raise UsageError(f"--ca-file {options.ca_file} holds no usable PEM CA certificate") from None
        except OSError as exc:
            raise UsageError(f"cannot read --ca-file {options.ca_file}: {exc.strerror or exc}") from None
    return options


def resolve(args: argparse.Namespace, env: Environment | None = None, defaults: Mapping[str, Any] | None = None) -> RunConfig:
    """Turn parsed flags (and the config file they name, over ``defaults``) into the run's inputs; bad usage raises UsageError."""
    env = env or Environment()
    values = _merged(args, defaults)
    options = _fetch_options(values)
    now = parse_now(values.get("now"), env)
    grant = _grant(values, env)
    inputs = Inputs(
        idp_name=values.get("idp_name"),
        entity_id=values.get("entity_id"),
        issuer=values.get("issuer"),
        audiences=tuple(values.get("audience", ())),
        jwks_url=values.get("jwks_url"),
        certificates=_certificates(values),
        external_id=values.get("external_id"),
        external_id_claim=values.get("external_id_claim") or "sub",
        tokens=given_tokens(values, env),
        token_requested=grant is not None,
    )
    return RunConfig(inputs=inputs, fetch=options, grant=grant, now=now)
