"""The app factory: one FastAPI app per IdpConfig, no module-level state."""

from __future__ import annotations

import logging

from authlib.oauth2 import AuthorizationServer
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from .admin import admin_router
from .authorize import authorize_router
from .clock import Clock
from .config import IdpConfig
from .discovery import enabled_endpoints
from .errors import OAuthError
from .forms import FORM_CONTENT_TYPE, NO_STORE, invalid_request, oauth_error_response, read_form
from .logout import logout_router
from .multi import build_services, cors_origins
from .oauth import FormRequest
from .service import IdpService

__all__ = ["FORM_CONTENT_TYPE", "create_app", "invalid_request", "oauth_error_response", "read_form"]

log = logging.getLogger("idp")


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
        log.exception("unexpected error")  # the traceback stays in the server log, never in a response
        return oauth_error_response(OAuthError("server_error", "internal error; see the IdP's log", status_code=500))


async def _oauth_form_request(request: Request, service: IdpService) -> FormRequest:
    form = await read_form(request, service.config.max_body_bytes)
    if "authorization" in request.headers and "client_secret" in form:
        raise invalid_request("use one client authentication method, not both Basic and client_secret (RFC 6749 section 2.3)")
    return FormRequest(str(request.url), request.headers, form)


def _answer(server: AuthorizationServer, call: str, *args: object) -> JSONResponse:
    try:
        status, body, headers = getattr(server, call)(*args)
    except ValueError:
        # authlib refuses to echo characters outside RFC 6749's error charset (e.g. a quote in a scope).
        raise invalid_request("a parameter has characters that are not allowed") from None
    return JSONResponse(body, status_code=status, headers={**dict(headers), **NO_STORE})


def issuer_router(service: IdpService) -> APIRouter:
    """Every route of one issuer, under the paths its issuer URL dictates."""
    config = service.config
    router = APIRouter()
    bearer = HTTPBearer(auto_error=False)
    enabled = enabled_endpoints(config)

    @router.get(config.endpoint_path("discovery"))
    async def discovery() -> JSONResponse:
        return JSONResponse(service.discovery())

    @router.get(config.endpoint_path("jwks"))
    async def jwks() -> Response:
        if service.jwks_as_html():  # the jwks_served_as_html scenario: a login page where keys belong
            return HTMLResponse("<!doctype html><html><body><h1>Sign in</h1></body></html>")
        return JSONResponse(service.jwks(), headers={"Cache-Control": "public, max-age=60"})

    @router.post(config.endpoint_path("token"))
    async def token(request: Request) -> JSONResponse:
        oauth_request = await _oauth_form_request(request, service)
        if not oauth_request.form.get("grant_type"):
            raise invalid_request("missing 'grant_type' parameter")
        return _answer(service.token_server, "create_token_response", oauth_request)

    @router.api_route(config.endpoint_path("userinfo"), methods=["GET", "POST"])
    async def userinfo(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> JSONResponse:
        if credentials is None:
            # RFC 6750 section 3.1: no error code when the request carried no token at all.
            raise OAuthError(
                "invalid_request", "a Bearer access token is required", status_code=401, www_authenticate='Bearer realm="userinfo"'
            )
        return JSONResponse(service.userinfo(credentials.credentials), headers=NO_STORE)

    if "introspect" in enabled:

        @router.post(config.endpoint_path("introspect"))
        async def introspect(request: Request) -> JSONResponse:
            oauth_request = await _oauth_form_request(request, service)
            return _answer(service.token_server, "create_endpoint_response", "introspection", oauth_request)

    if "revoke" in enabled:

        @router.post(config.endpoint_path("revoke"))
        async def revoke(request: Request) -> JSONResponse:
            oauth_request = await _oauth_form_request(request, service)
            return _answer(service.token_server, "create_endpoint_response", "revocation", oauth_request)

    if "authorize" in enabled:
        router.include_router(authorize_router(service))
    if "end_session" in enabled:
        router.include_router(logout_router(service))
    return router


def create_app(config: IdpConfig, *, clock: Clock | None = None) -> FastAPI:
    services = build_services(config, clock or Clock(config.clock_fixed, config.clock_offset_seconds))
    app = FastAPI(title="oidc-onboarding test IdP", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.idp = services[None]
    app.state.issuers = services
    _install_error_handlers(app)
    # Deeper paths first, so an extra issuer's routes are not shadowed by the main one's.
    for service in sorted(services.values(), key=lambda s: -len(s.config.issuer)):
        app.include_router(issuer_router(service))
    if config.admin_enabled:
        app.include_router(admin_router(services))
    origins = cors_origins(config)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    return app
