"""The authorization endpoint (RFC 6749 section 4.1, OIDC Core section 3.1.2) and its login session.

authlib validates the request (client, exact redirect URI, response type, scope, PKCE);
this module decides who is logged in: the login form's answer, the session cookie
(``prompt=none`` may only use that), ``login_hint``, or the configured default user.
Errors redirect to the client only once its redirect URI is verified; before that
they are an HTML page (RFC 6749 section 4.1.2.1).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import UnsupportedResponseTypeError, grants
from fastapi import APIRouter, Request
from fastapi.responses import Response

from oidc_idp.core.token_store import Grantee, LoginSession
from oidc_idp.errors import OAuthError
from oidc_idp.oauth.grants import AuthorizationCodeGrant, known_or_adhoc
from oidc_idp.oauth.requests import FormRequest
from oidc_idp.oauth.server import TokenServer
from oidc_idp.web.forms import read_form
from oidc_idp.web.login_page import error_page, login_page
from oidc_idp.web.multi import origin_of
from oidc_idp.web.response_modes import ResponseMode, default_mode, render, requested_mode

if TYPE_CHECKING:
    from oidc_idp.core.service import IdpService

LOGIN_FIELDS = ("login_user", "login_typed", "login_claims", "login_action")
MAX_EXTRA_CLAIMS = 50
REGISTERED = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "auth_time", "nonce", "at_hash", "azp"})


@dataclass(frozen=True)
class LoginAnswer:
    username: str
    claims_text: str
    cancelled: bool


def session_cookie_name(service: IdpService) -> str:
    # One name per issuer: issuers nest by path, and a browser would send both cookies otherwise.
    return "oidc_idp_session" if not service.issuer_id else f"oidc_idp_session_{service.issuer_id}"


def cookie_path(service: IdpService) -> str:
    return urlsplit(service.config.vendor.base_of(service.config.issuer)).path or "/"


def current_session(service: IdpService, request: Request) -> LoginSession | None:
    sid = request.cookies.get(session_cookie_name(service))
    return service.store.sessions.get(sid) if sid else None


def parse_claims(text: str) -> dict[str, Any]:
    """``name=value`` lines; the value is JSON when it parses, else the string. ValueError says which line is wrong."""
    claims: dict[str, Any] = {}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_EXTRA_CLAIMS:
        raise ValueError(f"at most {MAX_EXTRA_CLAIMS} extra claims")
    for number, line in enumerate(lines, 1):
        name, sep, raw = line.partition("=")
        name = name.strip()
        if not sep or not name or any(c.isspace() for c in name):
            raise ValueError(f"line {number} is not name=value")
        if name in REGISTERED:
            raise ValueError(f"line {number}: claim {name!r} is set by the IdP")
        try:
            claims[name] = json.loads(raw.strip())
        except ValueError:
            claims[name] = raw.strip()
    return claims


SAFE_ECHO = re.compile(r"[A-Za-z0-9_ ]{1,40}")


def _error_response(service: IdpService, error: OAuth2Error, state: str | None, mode: ResponseMode) -> Response:
    redirect_uri = getattr(error, "redirect_uri", None)
    description = error.get_error_description() or error.error
    if not redirect_uri:
        return error_page(error.error, description)
    params = [("error", error.error), ("error_description", description), ("iss", service.config.issuer)]
    if state:
        params.append(("state", state))
    return render(mode, redirect_uri, params)


def _with_error(grant: grants.AuthorizationCodeGrant, error: str, description: str) -> OAuth2Error:
    return OAuth2Error(description, redirect_uri=grant.redirect_uri, error=error)


def _response_type_error(error: UnsupportedResponseTypeError, response_type: str) -> OAuth2Error:
    """One clear sentence instead of authlib's (RFC 6749 section 4.1.2.1: missing is invalid_request)."""
    if not response_type:
        return OAuth2Error("response_type is missing: send response_type=code", redirect_uri=error.redirect_uri, error="invalid_request")
    # Echo the value only when it is plainly a response type name (never markup or odd characters).
    named = f"response_type {response_type!r}" if SAFE_ECHO.fullmatch(response_type) else "this response_type"
    return OAuth2Error(
        f"{named} is not supported: this IdP offers the authorization code flow only (response_type=code)",
        redirect_uri=error.redirect_uri,
        error="unsupported_response_type",
    )


def _max_age_exceeded(service: IdpService, session: LoginSession, params: dict[str, str]) -> bool:
    raw = params.get("max_age", "")
    return raw.isdigit() and service.clock.timestamp() - session.grantee.auth_time > int(raw)


class AuthorizationFlow:
    def __init__(self, service: IdpService, server: TokenServer) -> None:
        self.service = service
        self.server = server
        self.config = service.config

    def handle(self, request: Request, params: dict[str, str], answer: LoginAnswer | None) -> Response:
        server, state = self.server, params.get("state") or None
        response_type = params.get("response_type", "")
        # An unknown response_mode cannot carry the error that refuses it: the response type's default mode does.
        asked = requested_mode(params.get("response_mode") or default_mode(response_type))
        mode = asked or default_mode(response_type)
        oauth_request = FormRequest(str(request.url), request.headers, params, method="GET")
        try:
            grant: AuthorizationCodeGrant = server.get_consent_grant(oauth_request)
        except UnsupportedResponseTypeError as error:
            return self._error(_response_type_error(error, response_type), state, mode)
        except OAuth2Error as error:
            return self._error(error, state, mode)
        except ValueError:
            # authlib refuses to put characters outside RFC 6749's error charset in a description.
            return error_page("invalid_request", "the request has characters that are not allowed in its parameters")
        if asked is None:
            why = "response_mode must be one of query, fragment, form_post"
            return self._error(_with_error(grant, "invalid_request", why), state, mode)
        prompt = set(params.get("prompt", "").split())
        if "none" in prompt and len(prompt) > 1:
            return self._error(_with_error(grant, "invalid_request", "prompt=none cannot be combined"), state, mode)
        now = self.service.clock.timestamp()
        session = current_session(self.service, request)
        if session is not None and _max_age_exceeded(self.service, session, params):
            session = None
        hint = params.get("login_hint")
        other_user = session is not None and bool(hint) and hint != session.grantee.user.username
        if other_user:
            session = None  # the client asks for another user: this session is not theirs to reuse
        grantee: Grantee | None = None
        if answer is not None:
            if answer.cancelled:
                return self._error(_with_error(grant, "access_denied", "the user cancelled the login"), state, mode)
            try:
                extra = parse_claims(answer.claims_text)
            except ValueError as exc:
                return self._login_page(params, answer.username, answer.claims_text, str(exc))
            if not answer.username:
                return self._login_page(params, "", answer.claims_text, "pick or type a username")
            user = known_or_adhoc(server, answer.username)
            grantee = Grantee(user.model_copy(update={"claims": {**user.claims, **extra}}), now)
        elif "none" in prompt:
            if session is None:
                # OIDC Core section 3.1.2.6: no session (for the hinted user) and no way to show a page.
                why = "the login session is for another user than login_hint" if other_user else "no login session"
                return self._error(_with_error(grant, "login_required", why), state, mode)
            grantee = session.grantee
        elif session is not None and "login" not in prompt:
            grantee = session.grantee
        elif hint:
            grantee = Grantee(known_or_adhoc(server, hint), now)
        elif self.config.default_login_user and "login" not in prompt:
            grantee = Grantee(known_or_adhoc(server, self.config.default_login_user), now)
        if grantee is None:
            return self._login_page(params)
        try:
            answer_params = grant.authorization_response_params(grantee)
        except OAuth2Error as error:
            return self._error(error, state, mode)
        # RFC 9207: the issuer in the response lets a client with several IdPs tell them apart.
        response = render(mode, grant.redirect_uri, [*answer_params, ("iss", self.config.issuer)])
        if session is None or session.grantee is not grantee:
            self._start_session(response, grantee)
        return response

    def _error(self, error: OAuth2Error, state: str | None, mode: ResponseMode) -> Response:
        return _error_response(self.service, error, state, mode)

    def _start_session(self, response: Response, grantee: Grantee) -> None:
        ttl = self.config.login_session_ttl_seconds
        new = self.service.store.new_session(grantee, ttl)
        response.set_cookie(
            session_cookie_name(self.service),
            new.sid,
            max_age=ttl,
            path=cookie_path(self.service),
            httponly=True,
            samesite="lax",
            secure=self.config.issuer.startswith("https://"),
        )

    def _login_page(self, params: dict[str, str], username: str = "", claims_text: str = "", error: str | None = None) -> Response:
        return login_page(
            action=self.config.endpoint_path("authorize"),
            issuer=self.config.issuer,
            client_id=params.get("client_id", ""),
            users=self.service.users.all(),
            params=params,
            username=username,
            claims_text=claims_text,
            error=error,
            status_code=400 if error else 200,
        )


def _single_valued(pairs: list[tuple[str, str]]) -> dict[str, str] | None:
    """RFC 6749 section 3.1: parameters must not repeat; None when one does."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            return None
        params[name] = value
    return params


def authorize_router(service: IdpService, server: TokenServer) -> APIRouter:
    router = APIRouter()
    flow = AuthorizationFlow(service, server)
    path = service.config.endpoint_path("authorize")

    @router.get(path)
    async def authorize(request: Request) -> Response:
        params = _single_valued(request.query_params.multi_items())
        if params is None:
            return error_page("invalid_request", "a parameter is repeated (RFC 6749 section 3.1)")
        return flow.handle(request, params, None)

    @router.post(path)
    async def login(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and origin != origin_of(service.config.issuer):
            # Login CSRF: only the IdP's own page may post a login (browsers always send Origin on POST).
            return error_page("invalid_request", "the login form must be posted from the IdP's own login page", status_code=403)
        try:
            form = await read_form(request, service.config.max_body_bytes)
        except OAuthError as exc:
            return error_page(exc.code, exc.description, status_code=exc.status_code)
        answer = LoginAnswer(
            username=(form.get("login_typed", "").strip() or form.get("login_user", "").strip()),
            claims_text=form.get("login_claims", ""),
            cancelled=form.get("login_action") == "cancel",
        )
        params = {k: v for k, v in form.items() if k not in LOGIN_FIELDS}
        return flow.handle(request, params, answer)

    return router
