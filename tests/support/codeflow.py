"""The authorization code flow driven over HTTP with httpx, as a headless client would (no browser)."""

from __future__ import annotations

import hashlib
import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from build import b64url

TIMEOUT = httpx.Timeout(5.0)
REDIRECT_URI = "http://app.test/callback"
APP_ORIGIN = "http://app.test"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge


def spa_client(**overrides: Any) -> dict[str, Any]:
    """A public client (PKCE, no secret) with refresh tokens, like a single-page app."""
    return {
        "client_id": "spa",
        "token_endpoint_auth_methods": ["none"],
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": [REDIRECT_URI],
        "post_logout_redirect_uris": [APP_ORIGIN + "/bye"],
        "scopes": ["openid", "profile", "email", "offline_access"],
        **overrides,
    }


def web_client(**overrides: Any) -> dict[str, Any]:
    """A confidential client with a secret."""
    return {
        "client_id": "web",
        "client_secret": "web-secret",
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": [REDIRECT_URI],
        "scopes": ["openid", "profile", "offline_access"],
        **overrides,
    }


def hidden_fields(page: str) -> dict[str, str]:
    """The authorization request the login page carries in its hidden inputs."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return {html.unescape(k): html.unescape(v) for k, v in found}


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Flow:
    """One browser-like session: the cookie jar keeps the login session between requests."""

    authorize_url: str
    token_url: str
    client_id: str = "spa"
    redirect_uri: str = REDIRECT_URI
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=TIMEOUT, follow_redirects=False))
    verifier: str = ""

    def authorize(self, **params: str) -> httpx.Response:
        self.verifier, challenge = pkce_pair()
        query: dict[str, str] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid profile",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        query.update(params)
        return self.http.get(self.authorize_url, params={k: v for k, v in query.items() if v != ""})

    def code(self, **params: str) -> tuple[str, dict[str, str]]:
        response = self.authorize(**params)
        assert response.status_code == 302, response.text
        got = query_of(response.headers["location"])
        assert "code" in got, got
        return got["code"], got

    def exchange(self, code: str, *, verifier: str | None = None, auth: tuple[str, str] | None = None, **extra: str) -> httpx.Response:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri, "code_verifier": self.verifier}
        if verifier is not None:
            data["code_verifier"] = verifier
        if auth is None:
            data["client_id"] = self.client_id
        data.update(extra)
        return httpx.post(self.token_url, data={k: v for k, v in data.items() if v != ""}, auth=auth, timeout=TIMEOUT)

    def tokens(self, **params: str) -> dict[str, Any]:
        code, _ = self.code(**params)
        response = self.exchange(code)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
