"""The machine-facing endpoints (discovery, JWKS, token, introspection, revocation) as plain Starlette endpoints.

They take no path parameters and no dependencies, and relying parties call them in tight
loops. FastAPI 0.165's middleware, routing and dependency machinery costs about 50 µs a
request, measured in-process: a quarter of an RS256 signature, and most of what kept the
token endpoint under 70 % of the raw signing rate (``make bench``). So ``PlainRoutes``
serves them by exact path before FastAPI's stack (``IdpApp``). CORS wraps them as it wraps
FastAPI; their errors, and any crash, go through the one OAuth error renderer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from authlib.oauth2 import AuthorizationServer
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from oidc_idp.core.discovery import enabled_endpoints
from oidc_idp.core.service import IdpService
from oidc_idp.errors import OAuthError
from oidc_idp.oauth.requests import FormRequest
from oidc_idp.oauth.server import TokenServer
from oidc_idp.web.forms import NO_STORE, invalid_request, oauth_error_response, read_form, server_error_response

Endpoint = Callable[[Request], Awaitable[Response]]
Routes = dict[str, dict[str, Endpoint]]
"""path -> HTTP method -> endpoint."""


class PlainRoutes:
    """ASGI middleware: serve exact (path, method) pairs directly, pass everything else on."""

    def __init__(self, app: ASGIApp, routes: Mapping[str, Mapping[str, Endpoint]], log: logging.Logger) -> None:
        self.app = app
        self.routes = routes
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        methods = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if methods is None:
            await self.app(scope, receive, send)
            return
        endpoint = methods.get(scope["method"])
        try:
            if endpoint is None:
                raise OAuthError("method_not_allowed", "Method Not Allowed", status_code=405)
            response = await endpoint(Request(scope, receive))
        except OAuthError as exc:
            response = oauth_error_response(exc)
            if exc.status_code == 405:
                response.headers["Allow"] = ", ".join(sorted(methods))
        except Exception:  # what FastAPI's server-error handler does for its own routes
            response = server_error_response(self.log)
        await response(scope, receive, send)


async def _oauth_form_request(request: Request, url: str, max_body_bytes: int) -> FormRequest:
    form = await read_form(request, max_body_bytes)
    if "authorization" in request.headers and "client_secret" in form:
        raise invalid_request("use one client authentication method, not both Basic and client_secret (RFC 6749 section 2.3)")
    # The endpoint's URL as the issuer defines it (never rebuilt from a Host header).
    return FormRequest(url, request.headers, form)


def _answer(server: AuthorizationServer, call: str, *args: object) -> JSONResponse:
    try:
        status, body, headers = getattr(server, call)(*args)
    except ValueError:
        # authlib refuses to echo characters outside RFC 6749's error charset (e.g. a quote in a scope).
        raise invalid_request("a parameter has characters that are not allowed") from None
    return JSONResponse(body, status_code=status, headers={**dict(headers), **NO_STORE})


def plain_routes(service: IdpService, server: TokenServer) -> Routes:
    """The plain endpoints of one issuer, under the paths its issuer URL dictates."""
    config = service.config
    enabled = enabled_endpoints(config)
    cap = config.max_body_bytes
    token_url, introspect_url, revoke_url = (config.endpoint_url(n) for n in ("token", "introspect", "revoke"))

    async def discovery(_: Request) -> Response:
        return JSONResponse(service.discovery())

    async def jwks(_: Request) -> Response:
        if service.jwks_as_html():  # the jwks_served_as_html scenario: a login page where keys belong
            return HTMLResponse("<!doctype html><html><body><h1>Sign in</h1></body></html>")
        return JSONResponse(service.jwks(), headers={"Cache-Control": "public, max-age=60"})

    async def token(request: Request) -> Response:
        oauth_request = await _oauth_form_request(request, token_url, cap)
        if not oauth_request.form.get("grant_type"):
            raise invalid_request("missing 'grant_type' parameter")
        return _answer(server, "create_token_response", oauth_request)

    async def introspect(request: Request) -> Response:
        return _answer(server, "create_endpoint_response", "introspection", await _oauth_form_request(request, introspect_url, cap))

    async def revoke(request: Request) -> Response:
        return _answer(server, "create_endpoint_response", "revocation", await _oauth_form_request(request, revoke_url, cap))

    routes: Routes = {  # HEAD as GET: uvicorn sends the headers without the body
        config.endpoint_path("discovery"): {"GET": discovery, "HEAD": discovery},
        config.endpoint_path("jwks"): {"GET": jwks, "HEAD": jwks},
        config.endpoint_path("token"): {"POST": token},
    }
    if "introspect" in enabled:
        routes[config.endpoint_path("introspect")] = {"POST": introspect}
    if "revoke" in enabled:
        routes[config.endpoint_path("revoke")] = {"POST": revoke}
    return routes
