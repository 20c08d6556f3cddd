"""The run-time control API (``--admin``): the operations of core/control.py over HTTP, loopback only.

Off by default. When enabled, every request whose peer address is not loopback is
refused (403), and the CLI refuses to enable it on a non-loopback bind address.
Responses never carry secrets: an added user's password is not echoed.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from oidc_idp.core import control
from oidc_idp.core.service import IdpService
from oidc_idp.core.tokens import ACCESS_TOKEN_TYP
from oidc_idp.errors import ConfigError, IdpError, OAuthError
from oidc_idp.keys.keygen import Algorithm
from oidc_idp.web.forms import NO_STORE

ADMIN_PREFIX = "/_admin"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Which issuer of a multi-issuer server; None is the main one.
    issuer_id: str | None = None


class MintBody(_Body):
    sub: str = Field(min_length=1)
    aud: str | list[str] | None = None
    claims: dict[str, Any] = Field(default_factory=dict)
    ttl_seconds: int | None = Field(default=None, gt=0)
    alg: Algorithm | None = None
    kid: str | None = None
    typ: str = ACCESS_TOKEN_TYP


class UserBody(_Body):
    username: str = Field(min_length=1)
    password: str | None = None
    sub: str | None = None
    claims: dict[str, Any] = Field(default_factory=dict)


class RotateBody(_Body):
    alg: Algorithm | None = None


class RetireBody(_Body):
    kid: str = Field(min_length=1)


class ScenariosBody(_Body):
    names: list[str]


class ClockBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The clock is the server's: every issuer shares it.
    fixed: datetime | None = None
    offset_seconds: int | None = None


def check_admin_allowed(host: str, workers: int = 1) -> None:
    """Refuse to enable the control API where it could be reached from elsewhere, or act on one worker of many."""
    if not is_loopback(host):
        raise ConfigError(f"--admin needs a loopback --host (127.0.0.1, ::1 or localhost), not {host!r}", code="admin_not_loopback")
    if workers > 1:
        raise ConfigError("--admin needs --workers 1: each worker has its own run-time state", code="admin_with_workers")


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def host_name(host_header: str | None) -> str | None:
    """The name in a Host header (brackets and port taken off), or None when it is not one."""
    if not host_header:
        return None
    try:
        parts = urlsplit("//" + host_header)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return None
    return parts.hostname


async def require_loopback(request: Request) -> None:
    if not is_loopback(request.client.host if request.client else None):
        raise OAuthError("access_denied", "the control API answers loopback clients only", status_code=403)
    # DNS rebinding: a page from attacker.example whose name now resolves to 127.0.0.1 reaches us from
    # the user's own browser, so the peer is loopback; only the Host header still tells (allowed-hosts).
    if not is_loopback(host_name(request.headers.get("host"))):
        raise OAuthError("access_denied", "the control API answers requests for localhost, 127.0.0.1 or [::1] only", status_code=403)


def admin_router(services: dict[str | None, IdpService]) -> APIRouter:
    router = APIRouter(prefix=ADMIN_PREFIX, dependencies=[Depends(require_loopback)])

    def pick(body: _Body) -> IdpService:
        service = services.get(body.issuer_id)
        if service is None:
            known = ", ".join(i for i in services if i) or "none"
            raise OAuthError("invalid_request", f"no issuer {body.issuer_id!r} (extra issuers: {known})", status_code=404)
        return service

    def answer(payload: dict[str, Any]) -> JSONResponse:
        return JSONResponse(payload, headers=NO_STORE)

    def failed(exc: IdpError) -> OAuthError:
        return OAuthError(exc.code, str(exc), status_code=400)

    @router.post("/token")
    async def mint(body: MintBody) -> JSONResponse:
        service = pick(body)
        try:
            token = control.mint(
                service,
                sub=body.sub,
                aud=body.aud,
                claims=body.claims,
                ttl_seconds=body.ttl_seconds,
                alg=body.alg,
                kid=body.kid,
                typ=body.typ,
            )
        except IdpError as exc:
            raise failed(exc) from None
        return answer({"token": token})

    @router.post("/users")
    async def add_user(body: UserBody) -> JSONResponse:
        try:
            user = control.add_user(pick(body), username=body.username, password=body.password, sub=body.sub, claims=body.claims)
        except IdpError as exc:
            raise failed(exc) from None
        return answer({"username": user.username, "sub": user.subject, "claims": user.claims})

    @router.post("/keys/rotate")
    async def rotate(body: RotateBody) -> JSONResponse:
        record = control.rotate(pick(body), body.alg)
        return answer({"kid": record.kid, "alg": record.alg})

    @router.post("/keys/retire")
    async def retire(body: RetireBody) -> JSONResponse:
        try:
            record = control.retire(pick(body), body.kid)
        except IdpError as exc:
            raise failed(exc) from None
        return answer({"kid": record.kid, "status": record.status})

    @router.put("/scenarios")
    async def scenarios(body: ScenariosBody) -> JSONResponse:
        service = pick(body)
        try:
            control.set_scenarios(service, body.names)
        except IdpError as exc:
            raise failed(exc) from None
        return answer({"scenarios": list(service.scenarios)})

    @router.put("/clock")
    async def clock(body: ClockBody) -> JSONResponse:
        service = services[None]
        if body.fixed is not None and body.fixed.tzinfo is None:
            raise OAuthError("invalid_request", "fixed needs a time zone, e.g. 2026-01-01T00:00:00Z")
        control.set_clock(service, fixed=body.fixed, offset_seconds=body.offset_seconds)
        return answer({"now": service.clock.now().isoformat(), "timestamp": service.clock.timestamp()})

    return router
