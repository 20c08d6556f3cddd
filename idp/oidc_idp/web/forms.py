"""Reading and answering OAuth requests: form bodies (size-capped, strict) and error JSON."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import JSONResponse

from oidc_idp.errors import OAuthError

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 64
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error_response(exc: OAuthError) -> JSONResponse:
    """The one renderer of OAuth error JSON (RFC 6749 section 5.2, RFC 6750 section 3)."""
    headers = dict(NO_STORE)
    if exc.www_authenticate:
        headers["WWW-Authenticate"] = exc.www_authenticate
    return JSONResponse({"error": exc.code, "error_description": exc.description}, status_code=exc.status_code, headers=headers)


def server_error_response(log: logging.Logger) -> JSONResponse:
    """A crash, as OAuth error JSON; the traceback goes to the server's log, never into a response."""
    log.exception("unexpected error")
    return oauth_error_response(OAuthError("server_error", "internal error; see the IdP's log", status_code=500))


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
