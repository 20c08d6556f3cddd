"""The app factory: one FastAPI app per IdpConfig, no module-level state."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from oidc_idp.config import IdpConfig
from oidc_idp.core.clock import Clock
from oidc_idp.core.discovery import enabled_endpoints
from oidc_idp.core.service import IdpService
from oidc_idp.errors import OAuthError
from oidc_idp.oauth.server import TokenServer, token_server_for
from oidc_idp.web.admin import admin_router
from oidc_idp.web.authorize import authorize_router
from oidc_idp.web.forms import NO_STORE, invalid_request, oauth_error_response, server_error_response
from oidc_idp.web.logout import logout_router
from oidc_idp.web.multi import build_services, cors_origin_regex, cors_origins
from oidc_idp.web.plain_routes import PlainRoutes, Routes, plain_routes

__all__ = ["create_app"]

log = logging.getLogger("oidc_idp")
AUTH_HEADERS = ["Authorization", "Content-Type"]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OAuthError)
    async def _oauth(_: Request, exc: OAuthError) -> JSONResponse:
        return oauth_error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        return oauth_error_response(OAuthError(error, str(exc.detail), status_code=exc.status_code))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return oauth_error_response(invalid_request("the request is malformed"))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return server_error_response(log)


def issuer_router(service: IdpService, server: TokenServer) -> APIRouter:
    """The FastAPI routes of one issuer (the browser-facing ones, and userinfo), under its issuer URL's paths."""
    config = service.config
    router = APIRouter()
    bearer = HTTPBearer(auto_error=False)
    enabled = enabled_endpoints(config)

    @router.api_route(config.endpoint_path("userinfo"), methods=["GET", "POST"])
    async def userinfo(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> JSONResponse:
        if credentials is None:
            # RFC 6750 section 3.1: no error code when the request carried no token at all.
            raise OAuthError(
                "invalid_request", "a Bearer access token is required", status_code=401, www_authenticate='Bearer realm="userinfo"'
            )
        return JSONResponse(service.userinfo(credentials.credentials), headers=NO_STORE)

    if "authorize" in enabled:
        router.include_router(authorize_router(service, server))
    if "end_session" in enabled:
        router.include_router(logout_router(service))
    return router


class IdpApp(FastAPI):
    """FastAPI, with the plain routes (web/plain_routes.py) served before its middleware stack."""

    front: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.front(scope, receive, send)

    async def fastapi(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, send)


def create_app(config: IdpConfig, *, clock: Clock | None = None, services: dict[str | None, IdpService] | None = None) -> IdpApp:
    """The full app; ``services`` are the issuers' state when they exist already (web/staged.py)."""
    if services is None:
        services = build_services(config, clock or Clock(config.clock_fixed, config.clock_offset_seconds))
    app = IdpApp(title="oidc-onboarding test IdP", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.idp = services[None]
    app.state.issuers = services
    _install_error_handlers(app)
    routes: Routes = {}
    # Deeper paths first, so an extra issuer's routes are not shadowed by the main one's.
    for service in sorted(services.values(), key=lambda s: -len(s.config.issuer)):
        server = token_server_for(service)
        app.include_router(issuer_router(service, server))
        for path, methods in plain_routes(service, server).items():
            routes.setdefault(path, methods)
    if config.admin_enabled:
        app.include_router(admin_router(services))
    app.front = PlainRoutes(app.fastapi, routes, log)
    origins, origin_regex = cors_origins(config), cors_origin_regex(config)
    if origins or origin_regex:  # outermost, so it covers the plain routes and FastAPI's alike
        app.front = CORSMiddleware(
            app.front,
            allow_origins=origins,
            allow_origin_regex=origin_regex,
            allow_methods=["GET", "POST"],
            allow_headers=AUTH_HEADERS,
            max_age=600,
        )
    return app
