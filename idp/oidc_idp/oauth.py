"""The token endpoint's OAuth 2.0 machinery, on authlib's framework-agnostic AuthorizationServer.

authlib validates the grants and client authentication (RFC 6749 sections 2.3, 4.1, 4.3,
4.4, 5.2 and 6; RFC 7636; RFC 7523 sections 2.1 and 2.2); this module and idp/grants.py
adapt it to our config and Starlette, mint JWTs for it, and turn every authlib error into
our one ``OAuthError`` so the app renders all of them through the same handler.
"""

from __future__ import annotations

import hmac
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from authlib.oauth2 import AuthorizationServer, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, InvalidClientError, InvalidGrantError, grants
from authlib.oauth2.rfc6749.requests import OAuth2Payload

from .config import ClientConfig, IdpConfig, UserConfig
from .errors import OAuthError
from .grants import AuthorizationCodeGrant, JwtBearerGrant, Pkce, PrivateKeyJwt, RefreshTokenGrant, ScopeOfClient
from .token_store import Grantee, TokenStore
from .users import Users

TokenMinter = Callable[[ClientConfig, Grantee | None, str, str, bool], dict[str, Any]]
"""(client, grantee or None, grant_type, scope, refresh token allowed) -> token response body."""

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]


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
        # Exact string comparison (RFC 6749 section 3.1.2.3, RFC 9700 section 4.1.3): no prefix or pattern.
        return redirect_uri in self.config.redirect_uris

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


class _FormPayload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, form: dict[str, str]) -> None:
        self._form = form
        self._datalist: defaultdict[str, list[str]] = defaultdict(list, {k: [v] for k, v in form.items()})

    @property
    def data(self) -> dict[str, str]:
        return self._form

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """An already parsed form POST (the endpoint parsed and size-capped the body)."""

    def __init__(self, uri: str, headers: Mapping[str, str], form: dict[str, str], method: str = "POST") -> None:
        # A test IdP serves plain HTTP on purpose (TLS is opt-in with --tls); authlib's
        # https-only transport check is meant for production servers, so it is shown https.
        super().__init__(method, "https://" + uri.split("://", 1)[-1], headers=headers)
        self.payload = _FormPayload(form)
        self._form = form if method == "POST" else {}
        self._args = form if method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return self._args


class ClientCredentialsGrant(ScopeOfClient, grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS


class PasswordGrant(ScopeOfClient, grants.ResourceOwnerPasswordCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def authenticate_user(self, username: str, password: str) -> Grantee:
        user: UserConfig | None = self.server.users.get(username)
        # Compare even for unknown users so timing does not reveal which usernames exist.
        expected = user.password if user is not None else "\x00unknown-user"
        if not hmac.compare_digest(password.encode(), expected.encode()) or user is None:
            # RFC 6749 section 5.2: invalid resource owner credentials are invalid_grant.
            raise InvalidGrantError("invalid username or password")
        return Grantee(user, self.server.store.now())


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
