"""Our configured clients as authlib sees them, and what a grant may ask of the token server."""

from __future__ import annotations

import hmac
from typing import Protocol

from authlib.oauth2.rfc6749 import ClientMixin

from oidc_idp.config import ClientConfig, IdpConfig
from oidc_idp.core.token_store import TokenStore
from oidc_idp.core.users import Users


class GrantServer(Protocol):
    """The token server's state the grants and client authentication read (oauth/server.py provides it)."""

    config: IdpConfig
    store: TokenStore
    users: Users

    def query_client(self, client_id: str) -> Client | None: ...


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, config: ClientConfig) -> None:
        self.config = config

    def get_client_id(self) -> str:
        return self.config.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in self.config.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string comparison (RFC 6749 section 3.1.2.3, RFC 9700 section 4.1.3): no prefix or pattern,
        # except loopback URIs for clients that allow them (RFC 8252 section 7.3: any port).
        return self.config.allows_redirect_uri(redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        if self.config.client_secret is None:
            return False
        return hmac.compare_digest(client_secret.encode(), self.config.client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in self.config.token_endpoint_auth_methods

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.config.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.config.grant_types
