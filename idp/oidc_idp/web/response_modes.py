"""How the authorization response reaches the client: one small renderer per response mode.

``query`` and ``fragment``: OAuth 2.0 Multiple Response Type Encoding Practices section 2.1;
``form_post``: OAuth 2.0 Form Post Response Mode section 2 (an auto-submitting HTML form).
Successes and error redirects alike go through ``render``, always to a redirect URI the
client has registered (authlib verified it before any renderer is reached).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from fastapi.responses import RedirectResponse, Response

from oidc_idp.config import RESPONSE_MODES, ResponseMode
from oidc_idp.web.login_page import form_post_page

__all__ = ["RESPONSE_MODES", "ResponseMode", "default_mode", "render", "requested_mode"]
Params = Sequence[tuple[str, str]]


def default_mode(response_type: str) -> ResponseMode:
    """Multiple Response Type Encoding Practices section 5: query for ``code``, fragment once tokens are in the response."""
    return "fragment" if {"token", "id_token"} & set(response_type.split()) else "query"


def requested_mode(value: str | None) -> ResponseMode | None:
    """The mode the request names, or None when it names one this IdP does not know."""
    return next((m for m in RESPONSE_MODES if m == value), None)


def _redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=302, headers={"Cache-Control": "no-store"})


def _query(redirect_uri: str, params: Params) -> Response:
    return _redirect(add_params_to_uri(redirect_uri, list(params)))


def _fragment(redirect_uri: str, params: Params) -> Response:
    # A registered redirect URI has no fragment (RFC 6749 section 3.1.2), so this one is the only one.
    return _redirect(redirect_uri + "#" + urlencode(list(params)))


def _form_post(redirect_uri: str, params: Params) -> Response:
    return form_post_page(redirect_uri, params)


RENDERERS: dict[ResponseMode, Callable[[str, Params], Response]] = {"query": _query, "fragment": _fragment, "form_post": _form_post}


def render(mode: ResponseMode, redirect_uri: str, params: Params) -> Response:
    return RENDERERS[mode](redirect_uri, params)
