"""Run-time operations on a live IdP: mint, add a user, rotate, switch scenarios, set the clock.

The pytest plugin and ``idp.running()`` handles call these in-process; the control
API (when enabled) exposes the same operations over HTTP.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from oidc_idp.config import DEFAULT_AUDIENCE, UserConfig
from oidc_idp.core.service import IdpService
from oidc_idp.core.tokens import ACCESS_TOKEN_TYP, compose_claims, registered_claims
from oidc_idp.errors import ConfigError, IdpError
from oidc_idp.keys.keygen import Algorithm
from oidc_idp.keys.keystore import KeyRecord
from oidc_idp.variants.scenarios import BY_NAME as SCENARIOS


def mint(
    service: IdpService,
    *,
    sub: str,
    aud: str | list[str] | None = None,
    claims: Mapping[str, Any] | None = None,
    ttl_seconds: int | None = None,
    alg: Algorithm | None = None,
    kid: str | None = None,
    typ: str = ACCESS_TOKEN_TYP,
) -> str:
    """A token with arbitrary claims, signed like the token endpoint signs (scenarios included)."""
    config = service.config
    keyset = service.keys()
    if kid is not None:
        key = keyset.by_kid(kid)
        if key is None:
            raise IdpError(f"no key with kid {kid!r} (known: {', '.join(k.kid for k in keyset.keys)})", code="unknown_kid")
    else:
        wanted = alg or config.alg
        key = keyset.active(wanted) or service.keystore.ensure(
            (wanted,), now=service.clock.now(), validity_days=config.cert_validity_days
        ).active(wanted)
        assert key is not None
    registered = registered_claims(
        issuer=config.issuer,
        sub=sub,
        aud=aud if aud is not None else (config.clients[0].audience if config.clients else DEFAULT_AUDIENCE),
        now=service.clock.timestamp(),
        ttl_seconds=ttl_seconds if ttl_seconds is not None else config.access_token_ttl_seconds,
    )
    # Explicit claims win here, even registered ones: tests mint deliberately odd tokens.
    return service.sign({**compose_claims(registered), **(claims or {})}, "access", key=key, typ=typ)


def rotate(service: IdpService, alg: Algorithm | None = None) -> KeyRecord:
    """A new active key for ``alg`` (default: the IdP's); the previous one stays published."""
    (record,) = service.keystore.rotate(
        (alg or service.config.alg,), now=service.clock.now(), validity_days=service.config.cert_validity_days
    )
    return record


def retire(service: IdpService, kid: str) -> KeyRecord:
    return service.keystore.retire(kid)


def set_scenarios(service: IdpService, names: list[str]) -> None:
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise IdpError(f"unknown scenario {', '.join(unknown)} (known: {', '.join(SCENARIOS)})", code="unknown_scenario")
    service.scenarios[:] = names


@contextmanager
def scenario(service: IdpService, *names: str) -> Iterator[None]:
    """Play scenarios for the duration of a with-block, then restore the previous ones."""
    before = list(service.scenarios)
    set_scenarios(service, [*before, *names])
    try:
        yield
    finally:
        service.scenarios[:] = before


def set_clock(service: IdpService, *, fixed: datetime | None = None, offset_seconds: int | None = None) -> None:
    service.clock.fixed = fixed
    if offset_seconds is not None:
        service.clock.offset_seconds = offset_seconds


def add_user(
    service: IdpService,
    *,
    username: str,
    password: str | None = None,
    sub: str | None = None,
    claims: Mapping[str, Any] | None = None,
) -> UserConfig:
    """Add (or replace) a user at run time; without a password one is generated (the caller does not need it)."""
    try:
        user = UserConfig(username=username, password=password or secrets.token_urlsafe(24), sub=sub, claims=dict(claims or {}))
    except ValidationError as exc:
        raise ConfigError(f"invalid user: {exc.errors()[0]['msg']}", code="invalid_user") from None
    service.users.add(user)
    return user
