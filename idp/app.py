"""The app factory: one FastAPI app per IdpConfig, no module-level state."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from .clock import Clock
from .config import IdpConfig
from .errors import OAuthError
from .keystore import KeyStore
from .oauth import FormRequest
from .service import IdpService

log = logging.getLogger("idp")

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 64
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error_response(exc: OAuthError) -> JSONResponse:
    """The one renderer of OAuth error JSON (RFC 6749 section 5.2, RFC 6750 section 3)."""
    headers = dict(NO_STORE)
    if exc.www_authenticate:
        headers["WWW-Authenticate"] = exc.www_authenticate
    return JSONResponse({"error": exc.error, "error_description": exc.description}, status_code=exc.status_code, headers=headers)


def invalid_request(description: str, status_code: int = 400) -> OAuthError:
    return OAuthError("invalid_request", description, status_code=status_code)


async def read_form(request: Request, max_bytes: int) -> dict[str, str]:
    """Parse a token request body: right content type, size-capped, UTF-8, no repeated parameter."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_CONTENT_TYPE:
        raise invalid_request(f"the request body must be {FORM_CONTENT_TYPE} (got {content_type or 'no content type'})")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise invalid_request(f"the request body is larger than {max_bytes} bytes", status_code=413)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body), max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise invalid_request("the request body is not a valid form encoding") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise invalid_request(f"parameter {name!r} is repeated (RFC 6749 section 3.2)")
        form[name] = value
    return form


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


def create_app(config: IdpConfig, *, clock: Clock | None = None) -> FastAPI:
    service = IdpService(config, KeyStore(config.keys_dir), clock or Clock(config.clock_fixed, config.clock_offset_seconds))
    app = FastAPI(title="oidc-onboarding test IdP", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.idp = service
    _install_error_handlers(app)
    router = APIRouter()
    bearer = HTTPBearer(auto_error=False)

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
        form = await read_form(request, config.max_body_bytes)
        if not form.get("grant_type"):
            raise invalid_request("missing 'grant_type' parameter")
        if "authorization" in request.headers and "client_secret" in form:
            raise invalid_request("use one client authentication method, not both Basic and client_secret (RFC 6749 section 2.3)")
        oauth_request = FormRequest(str(request.url), request.headers, form)
        status, body, headers = service.token_server.create_token_response(oauth_request)
        return JSONResponse(body, status_code=status, headers={**dict(headers), **NO_STORE})

    @router.api_route(config.endpoint_path("userinfo"), methods=["GET", "POST"])
    async def userinfo(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> JSONResponse:
        if credentials is None:
            # RFC 6750 section 3.1: no error code when the request carried no token at all.
            raise OAuthError(
                "invalid_request", "a Bearer access token is required", status_code=401, www_authenticate='Bearer realm="userinfo"'
            )
        return JSONResponse(service.userinfo(credentials.credentials), headers=NO_STORE)

    app.include_router(router)
    return app
