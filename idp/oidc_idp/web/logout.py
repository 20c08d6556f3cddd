"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at the discovery's end_session_endpoint.

The login session ends at once (a test IdP asks no confirmation). A
``post_logout_redirect_uri`` is followed only when it is registered, exactly, for the
client named by ``client_id`` or by the ``id_token_hint``'s audience (section 3), or is a
loopback URI and the client allows those (the default clients);
otherwise the user gets a page, never a redirect to an unverified place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jwt
from authlib.common.urls import add_params_to_uri
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from oidc_idp.core.tokens import ID_TOKEN_TYP
from oidc_idp.errors import OAuthError
from oidc_idp.web.authorize import cookie_path, current_session, session_cookie_name
from oidc_idp.web.forms import read_form
from oidc_idp.web.login_page import error_page, logged_out_page

if TYPE_CHECKING:
    from oidc_idp.core.service import IdpService


def _id_token_audience(service: IdpService, hint: str) -> str | None:
    """The client an ID token we issued was for; None if it is not ours (expired ones are fine, section 2)."""
    try:
        header = jwt.get_unverified_header(hint)
        key = service.keys().by_kid(str(header.get("kid", "")))
        if key is None or header.get("typ") != ID_TOKEN_TYP:
            return None
        claims: dict[str, Any] = jwt.decode(
            hint,
            key.certificate.public_key(),  # type: ignore[arg-type]
            algorithms=[key.alg],
            issuer=service.config.issuer,
            options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.InvalidTokenError:
        return None
    aud = claims.get("aud")
    return aud if isinstance(aud, str) else None


def end_session(service: IdpService, request: Request, params: dict[str, str]) -> Response:
    client_id = params.get("client_id") or None
    hint = params.get("id_token_hint")
    if hint:
        audience = _id_token_audience(service, hint)
        if audience is None:
            return error_page("invalid_request", "id_token_hint is not an ID token issued by this IdP")
        if client_id is not None and client_id != audience:
            return error_page("invalid_request", "client_id does not match the id_token_hint's audience")
        client_id = audience
    redirect_uri = params.get("post_logout_redirect_uri")
    if redirect_uri:
        client = service.config.client(client_id) if client_id else None
        if client is None:
            return error_page("invalid_request", "post_logout_redirect_uri needs client_id or id_token_hint to verify it")
        if not client.allows_post_logout_redirect_uri(redirect_uri):
            return error_page("invalid_request", "post_logout_redirect_uri is not registered for this client")
    session = current_session(service, request)
    if session is not None:
        service.store.sessions.pop(session.sid)
    response: Response
    if redirect_uri:
        state = params.get("state")
        response = RedirectResponse(add_params_to_uri(redirect_uri, [("state", state)] if state else []), status_code=302)
    else:
        response = logged_out_page()
    response.delete_cookie(session_cookie_name(service), path=cookie_path(service))
    return response


def logout_router(service: IdpService) -> APIRouter:
    router = APIRouter()
    path = service.config.endpoint_path("end_session")

    @router.get(path)
    async def logout_get(request: Request) -> Response:
        return end_session(service, request, dict(request.query_params))

    @router.post(path)
    async def logout_post(request: Request) -> Response:
        try:
            form = await read_form(request, service.config.max_body_bytes)
        except OAuthError as exc:
            return error_page(exc.code, exc.description, status_code=exc.status_code)
        return end_session(service, request, form)

    return router
