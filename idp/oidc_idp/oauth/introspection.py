"""Token introspection (RFC 7662) and revocation (RFC 7009), stateful, on authlib's endpoints.

Access tokens are our JWTs (checked with the published keys, then against the
revocation list and the IdP's clock); refresh tokens live in the in-memory store.
Anything else (garbage, another IdP's token, an ID token) is simply not found, which
RFC 7662 section 2.2 answers with ``{"active": false}`` and RFC 7009 section 2.2 with 200.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from oidc_idp.core.service import IdpService
from oidc_idp.core.token_store import RefreshToken

if TYPE_CHECKING:
    from oidc_idp.oauth.client import Client, GrantServer

# A JWT of ours is far below this; longer input is garbage, not worth a signature check.
MAX_TOKEN_CHARS = 16 * 1024


@dataclass(frozen=True)
class KnownToken:
    """One of our tokens, in the shape authlib's endpoints ask about."""

    kind: Literal["access_token", "refresh_token"]
    client_id: str
    claims: dict[str, Any]
    now: int
    revoked: bool = False
    refresh: RefreshToken | None = field(default=None)

    def is_expired(self) -> bool:
        exp, nbf = self.claims.get("exp"), self.claims.get("nbf")
        if not isinstance(exp, int) or exp <= self.now:
            return True
        return isinstance(nbf, int) and nbf > self.now

    def is_revoked(self) -> bool:
        return self.revoked

    def check_client(self, client: Client) -> bool:
        return bool(client.get_client_id() == self.client_id)


def find_token(service: IdpService, token: str) -> KnownToken | None:
    """The token hint of RFC 7662/7009 is only a hint: both kinds are always looked up."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    now = service.clock.timestamp()
    refresh = service.store.refresh_tokens.get(token)
    if refresh is not None:
        stored: dict[str, Any] = {
            "sub": refresh.grantee.user.subject,
            "username": refresh.grantee.user.username,
            "scope": refresh.scope,
            "iat": refresh.issued_at,
            "exp": refresh.expires_at,
            "iss": service.config.issuer,
        }
        return KnownToken("refresh_token", refresh.client_id, stored, now, refresh=refresh)
    claims = service.access_token_claims(token)
    if claims is None:
        return None
    return KnownToken("access_token", str(claims.get("client_id", "")), claims, now, service.store.is_revoked(claims.get("jti")))


class _TokenParameter:
    """What introspection and revocation share: the ``token`` parameter, looked up in this issuer's state."""

    service: IdpService

    def check_params(self, request: Any, client: Client) -> None:
        # An unknown token_type_hint is ignored rather than refused (RFC 7662 section 2.1, RFC 7009 section 2.1).
        if not request.form.get("token"):
            raise InvalidRequestError("missing 'token' parameter")

    def query_token(self, token_string: str, token_type_hint: str | None) -> KnownToken | None:
        return find_token(self.service, token_string)


class Introspection(_TokenParameter, IntrospectionEndpoint):  # type: ignore[misc]
    """RFC 7662: the caller must authenticate (section 2.1); inactive tokens say nothing more (section 2.2)."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post", "private_key_jwt"]

    def __init__(self, service: IdpService, server: GrantServer) -> None:
        super().__init__(server)
        self.service = service

    def check_permission(self, token: KnownToken, client: Client, request: Any) -> bool:
        # Any client of this issuer may introspect an access token (it acts as a resource server);
        # a refresh token is only its own client's business.
        return token.kind == "access_token" or token.check_client(client)

    def introspect_token(self, token: KnownToken) -> dict[str, Any]:
        claims = token.claims
        payload: dict[str, Any] = {"active": True, "token_type": token.kind, "client_id": token.client_id}
        for name in ("scope", "sub", "aud", "iss", "exp", "iat", "nbf", "jti", "username"):
            if name in claims:
                payload[name] = claims[name]
        if token.kind == "access_token":
            user = self.service.users.by_subject(claims.get("sub"))
            if user is not None:
                payload["username"] = user.username
        return payload


class Revocation(_TokenParameter, RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009: public clients revoke with their client_id (method none); unknown tokens are a 200."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]

    def __init__(self, service: IdpService, server: GrantServer) -> None:
        super().__init__(server)
        self.service = service

    def revoke_token(self, token: KnownToken, request: Any) -> None:
        if token.refresh is not None:
            self.service.store.refresh_tokens.pop(token.refresh.token)
            return
        jti, exp = token.claims.get("jti"), token.claims.get("exp")
        if isinstance(jti, str):
            self.service.store.revoke_jti(jti, exp if isinstance(exp, int) else self.service.clock.timestamp() + 86400)
