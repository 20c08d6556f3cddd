"""Server-rendered HTML of the authorization endpoint: the login page, the error page, the form_post page.

Every value that reaches a page is escaped with ``html.escape`` (attribute-safe). The
Content-Security-Policy forbids scripts and framing; the form_post page alone may run its one
fixed auto-submit script, allowed by its hash, and keeps a visible button for when scripts are off.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from html import escape

from fastapi.responses import HTMLResponse

from oidc_idp.config import UserConfig

# No form-action directive: the form's POST is answered by a redirect to the client, which
# browsers check against form-action too.
CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # same-origin (not no-referrer): browsers then send the real Origin with the form's POST,
    # which the endpoint checks against login CSRF.
    "Referrer-Policy": "same-origin",
}
# The form_post page's script, allowed by its hash (CSP Level 3 section 8.3): fixed text, so no nonce is needed.
AUTO_SUBMIT = "document.getElementById('form-post').submit()"
AUTO_SUBMIT_HASH = base64.b64encode(hashlib.sha256(AUTO_SUBMIT.encode()).digest()).decode()
FORM_POST_CSP = f"{CSP}; script-src 'sha256-{AUTO_SUBMIT_HASH}'"
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "label{display:block;margin-top:1rem;font-weight:600}select,input,textarea{width:100%;box-sizing:border-box;padding:.4rem}"
    "textarea{height:6rem;font-family:monospace}.note{color:#666;font-size:.9rem}.error{color:#b00020}"
    "button{margin-top:1.2rem;padding:.5rem 1.2rem}"
)


def _page(title: str, body: str, status_code: int, headers: Mapping[str, str] = HEADERS) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=dict(headers))


def login_page(
    *,
    action: str,
    issuer: str,
    client_id: str,
    users: Sequence[UserConfig],
    params: Mapping[str, str],
    username: str = "",
    claims_text: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The test IdP's sign-in: pick a configured user or type any name, optionally add claims."""
    hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items())
    options = "".join(
        f'<option value="{escape(u.username)}"{" selected" if u.username == username else ""}>'
        f"{escape(u.username)} (sub {escape(u.subject)})</option>"
        for u in users
    )
    typed = username if username and username not in {u.username for u in users} else ""
    error_html = f'<p class="error" id="login-error">{escape(error)}</p>' if error else ""
    body = (
        f"<h1>Sign in to the test IdP</h1>"
        f'<p class="note">Issuer {escape(issuer)}, client {escape(client_id)}. This is a test IdP: no password is asked.</p>'
        f"{error_html}"
        f'<form method="post" action="{escape(action)}">{hidden}'
        f'<label for="login-user">Configured user</label><select id="login-user" name="login_user">{options}</select>'
        f'<label for="login-typed">or any username (its sub is the name)</label>'
        f'<input id="login-typed" name="login_typed" value="{escape(typed)}" autocomplete="off">'
        f'<label for="login-claims">Extra claims, one <code>name=value</code> per line (value is JSON if it parses)</label>'
        f'<textarea id="login-claims" name="login_claims">{escape(claims_text)}</textarea>'
        f'<button type="submit" id="login-submit" name="login_action" value="login">Sign in</button> '
        f'<button type="submit" id="login-cancel" name="login_action" value="cancel">Cancel</button>'
        f"</form>"
    )
    return _page("Sign in - test IdP", body, status_code)


def error_page(error: str, description: str, *, status_code: int = 400) -> HTMLResponse:
    """RFC 6749 section 4.1.2.1: when the redirect URI cannot be trusted, tell the user, never redirect."""
    body = (
        "<h1>Authorization request refused</h1>"
        f'<p>Error <code id="error">{escape(error)}</code></p>'
        f'<p id="error-description">{escape(description)}</p>'
        '<p class="note">The request was not redirected back to the application because its redirect URI '
        "or client could not be verified.</p>"
    )
    return _page("Authorization error - test IdP", body, status_code)


def logged_out_page() -> HTMLResponse:
    return _page("Signed out - test IdP", '<h1>Signed out</h1><p id="logged-out">The login session has ended.</p>', 200)


def form_post_page(action: str, params: Sequence[tuple[str, str]]) -> HTMLResponse:
    """OAuth 2.0 Form Post Response Mode section 2: the response parameters, POSTed to the redirect URI by the browser.

    ``action`` is the verified redirect URI. The hashed script submits the form at once; the button
    does it when scripts are off.
    """
    hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params)
    body = (
        f'<form id="form-post" method="post" action="{escape(action)}">{hidden}'
        '<p>Returning to the application.</p><button type="submit" id="form-post-submit">Continue</button></form>'
        f"<script>{AUTO_SUBMIT}</script>"
    )
    return _page("Returning to the application - test IdP", body, 200, {**HEADERS, "Content-Security-Policy": FORM_POST_CSP})
