"""The token endpoint's OAuth 2.0 machinery, on authlib's framework-agnostic AuthorizationServer.

authlib validates the grants and client authentication (RFC 6749 sections 2.3, 4.1, 4.3,
4.4, 5.2 and 6; RFC 7636; RFC 7523 sections 2.1 and 2.2); this module and oauth/grants.py
adapt it to our config and Starlette, mint JWTs for it, and turn every authlib error into
our one ``OAuthError`` so the app renders all of them through the same handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authlib.oauth2 import AuthorizationServer, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import InvalidClientError

from oidc_idp.config import ClientConfig, IdpConfig
from oidc_idp.core.service import IdpService
from oidc_idp.core.token_store import Grantee, TokenStore
from oidc_idp.core.users import Users
from oidc_idp.errors import OAuthError
from oidc_idp.oauth.client import Client
from oidc_idp.oauth.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    JwtBearerGrant,
    PasswordGrant,
    Pkce,
    PrivateKeyJwt,
    RefreshTokenGrant,
)
from oidc_idp.oauth.introspection import Introspection, Revocation
from oidc_idp.oauth.requests import FormRequest

TokenMinter = Callable[[ClientConfig, Grantee | None, str, str, bool], dict[str, Any]]
"""(client, grantee or None, grant_type, scope, refresh token allowed) -> token response body."""


class TokenServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, config: IdpConfig, mint: TokenMinter, store: TokenStore, users: Users) -> None:
        super().__init__()
        self.config = config
        self.store = store
        self.users = users
        self._mint = mint
        self.register_token_generator("default", self._generate)
        self.register_client_auth_method("private_key_jwt", PrivateKeyJwt(self))
        self.register_grant(ClientCredentialsGrant)
        self.register_grant(PasswordGrant)
        self.register_grant(AuthorizationCodeGrant, [Pkce(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_grant(JwtBearerGrant)

    def query_client(self, client_id: str) -> Client | None:
        found = self.config.client(client_id)
        return Client(found) if found is not None else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        return None  # JWT access tokens are self-contained; nothing to store yet

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: FormRequest) -> FormRequest:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, headers

    def handle_error_response(self, request: OAuth2Request, error: OAuth2Error) -> None:
        if isinstance(error, InvalidClientError):
            # RFC 6749 section 5.2: client authentication failures get 401 and a challenge.
            # authlib's default text lists methods; say what happened (never echoing a secret).
            detail = error.description if "assertion" in (error.description or "").lower() or "claim" in (error.description or "") else ""
            raise OAuthError(
                "invalid_client",
                "client authentication failed: unknown client, wrong secret or wrong key" + (f" ({detail})" if detail else ""),
                status_code=401,
                www_authenticate='Basic realm="token", error="invalid_client"',
            )
        raise OAuthError(error.error, error.get_error_description() or error.error, status_code=error.status_code or 400)

    def _generate(
        self,
        grant_type: str,
        client: Client,
        user: Grantee | None = None,
        scope: str | None = None,
        include_refresh_token: bool = False,
        **_: Any,
    ) -> dict[str, Any]:
        return self._mint(client.config, user, grant_type, scope or "", include_refresh_token)


def token_server_for(service: IdpService) -> TokenServer:
    """One issuer's token server: every grant, client authentication, introspection and revocation."""
    server = TokenServer(service.config, service.mint_token_response, service.store, service.users)
    server.register_endpoint(Introspection(service, server))
    server.register_endpoint(Revocation(service, server))
    return server
