"""The grants beyond client_credentials and password, on authlib's implementations.

authlib checks the protocol (codes bound to client and redirect URI, PKCE verifiers,
refresh token ownership, assertion signatures and claims); these subclasses only
connect it to our config and in-memory store.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, InvalidScopeError, grants
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion, JWTBearerGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from joserfc.jwk import KeySet

from oidc_idp.config import TrustedIssuerConfig, UserConfig
from oidc_idp.core.token_store import AuthorizationCode, Grantee, RefreshToken
from oidc_idp.keys.client_keys import load_public_keys

if TYPE_CHECKING:
    from oidc_idp.oauth.client import Client, GrantServer

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
PUBLIC_AND_CONFIDENTIAL = [*CLIENT_AUTH_METHODS, "none"]


def adhoc_user(username: str, claims: dict[str, Any] | None = None) -> UserConfig:
    """A user the tester typed (or an assertion named) that the config does not list: sub = username."""
    # The password is never used (these users cannot use the password grant); it only satisfies the model.
    return UserConfig(username=username, password="\x00no-password", claims=claims or {})  # noqa: S106


def known_or_adhoc(server: GrantServer, name: str) -> UserConfig:
    return server.users.get(name) or server.users.by_subject(name) or adhoc_user(name)


class ScopeOfClient:
    """Requested scopes must be a subset of the client's configured scopes."""

    request: Any

    def validate_requested_scope(self) -> None:
        requested = (self.request.payload.scope or "").split()
        allowed = self.request.client.config.scopes
        unknown = [s for s in requested if s not in allowed]
        if unknown:
            raise InvalidScopeError(f"scope not allowed for this client: {' '.join(unknown)}")


class Pkce(CodeChallenge):  # type: ignore[misc]
    """PKCE as RFC 9700 section 2.1.1 wants it: required, and ``plain`` only for clients allowed it.

    RFC 7636 section 4.3: a request without ``code_challenge_method`` means ``plain``,
    so a client limited to S256 must send the method explicitly.
    """

    def validate_code_challenge(self, grant: grants.AuthorizationCodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        client: Client = grant.request.client
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method") or "plain"
        if not challenge:
            if client.config.require_pkce:
                raise InvalidRequestError("PKCE is required: send code_challenge and code_challenge_method=S256 (RFC 7636)")
            return
        if method not in client.config.pkce_methods:
            raise InvalidRequestError(
                f"code_challenge_method {method!r} is not allowed for this client (allowed: {', '.join(client.config.pkce_methods)})"
            )
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: grants.AuthorizationCodeGrant, result: Any) -> None:
        code: AuthorizationCode = grant.request.authorization_code
        if code.code_challenge is None and grant.request.client.config.require_pkce:
            raise InvalidGrantError("the authorization code was issued without PKCE")
        if code.code_challenge is not None and not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("missing 'code_verifier' (RFC 7636 section 4.5)")
        super().validate_code_verifier(grant, result)


class AuthorizationCodeGrant(ScopeOfClient, grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """RFC 6749 section 4.1, with OpenID Connect's nonce and auth_time carried by the code."""

    TOKEN_ENDPOINT_AUTH_METHODS = PUBLIC_AND_CONFIDENTIAL
    server: GrantServer

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        grantee: Grantee = request.user
        nonce = data.get("nonce") or None
        method = data.get("code_challenge_method") or ("plain" if data.get("code_challenge") else None)
        item = AuthorizationCode(
            code=code,
            client_id=request.client.get_client_id(),
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope or "",
            grantee=Grantee(grantee.user, grantee.auth_time, nonce, grant_id=self.server.store.new_secret()),
            code_challenge=data.get("code_challenge") or None,
            code_challenge_method=method,
            expires_at=self.server.store.now() + self.server.config.authorization_code_ttl_seconds,
        )
        self.server.store.codes.put(code, item, item.expires_at)

    def authorization_response_params(self, grantee: Grantee) -> list[tuple[str, str]]:
        """RFC 6749 section 4.1.2: a new code (and the state) for the client.

        authlib's ``create_authorization_response`` does the same but writes them into the query;
        the authorization endpoint delivers them by the requested response mode instead.
        """
        self.request.user = grantee
        code = self.generate_authorization_code()
        self.save_authorization_code(code, self.request)
        params = [("code", code)]
        if self.request.payload.state:
            params.append(("state", self.request.payload.state))
        return params

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        store = self.server.store
        item = store.codes.get(code)
        if item is None and store.revoke_redeemed(code, client.get_client_id()):
            # RFC 6749 section 4.1.2: a code used twice is refused, and the tokens issued from it are revoked.
            raise InvalidGrantError("the authorization code was already used; the tokens issued from it are revoked")
        return item if item is not None and item.client_id == client.get_client_id() else None

    def save_token(self, token: dict[str, Any]) -> None:
        super().save_token(token)
        code: AuthorizationCode = self.request.authorization_code
        config = self.server.config
        assert code.grantee.grant_id is not None  # save_authorization_code gives every code one
        # Remembered while a token from the grant may still be in use.
        keep = max(config.access_token_ttl_seconds, config.refresh_token_ttl_seconds if "refresh_token" in token else 0)
        self.server.store.redeemed(code.code, code.client_id, code.grantee.grant_id, keep)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        # One use only (RFC 6749 section 4.1.2).
        self.server.store.codes.pop(authorization_code.code)

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Grantee:
        return authorization_code.grantee

    def validate_token_request(self) -> None:
        super().validate_token_request()
        # RFC 6749 section 4.1.3: the redirect_uri must be repeated, identical.
        if self.request.payload.redirect_uri != self.request.authorization_code.redirect_uri:
            raise InvalidGrantError("redirect_uri does not match the authorization request's")


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """RFC 6749 section 6; rotation per client (``rotate_refresh_tokens``)."""

    TOKEN_ENDPOINT_AUTH_METHODS = PUBLIC_AND_CONFIDENTIAL
    server: GrantServer

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        store = self.server.store
        found = store.refresh_tokens.get(refresh_token)
        if found is None and store.revoke_replayed_refresh_token(refresh_token):
            # RFC 9700 section 4.14.2: a rotated token used again means one of two parties is an attacker.
            raise InvalidGrantError("this refresh token was already used; every token of its grant is now revoked")
        return found

    def authenticate_user(self, refresh_token: RefreshToken) -> Grantee:
        return refresh_token.grantee

    def issue_token(self, user: Grantee, refresh_token: RefreshToken) -> dict[str, Any]:
        scope = self.request.payload.scope or refresh_token.get_scope()
        rotate = self.request.client.config.rotate_refresh_tokens
        return dict(self.generate_token(user=user, scope=scope, include_refresh_token=rotate))

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        if self.request.client.config.rotate_refresh_tokens:
            self.server.store.rotated(refresh_token)


class PrivateKeyJwt(JWTBearerClientAssertion):  # type: ignore[misc]
    """Client authentication with a signed assertion (RFC 7523 section 2.2, OIDC Core section 9)."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, server: GrantServer) -> None:
        super().__init__(validate_jti=True, leeway=60)
        self.server = server

    def get_audiences(self) -> list[str]:
        cfg = self.server.config
        return [cfg.issuer, cfg.endpoint_url("token"), cfg.endpoint_url("introspect"), cfg.endpoint_url("revoke")]

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        return self.server.store.first_use(f"client:{claims['sub']}:{jti}", claims.get("exp"))

    def resolve_client_public_key(self, client: Client) -> KeySet:
        if client.config.jwks is None and client.config.public_key_pem is None:
            from authlib.oauth2.rfc6749 import InvalidClientError

            raise InvalidClientError(description="the client has no registered public key")
        return load_public_keys(client.config.jwks, client.config.public_key_pem)


class JwtBearerGrant(ScopeOfClient, JWTBearerGrant):  # type: ignore[misc]
    """RFC 7523 section 2.1: an assertion signed by a configured trusted issuer buys a token."""

    server: GrantServer
    LEEWAY = 60
    _trusted: TrustedIssuerConfig | None = None

    def resolve_issuer_client(self, issuer: str) -> Client | None:
        # authlib asks for the client, then for its key: remember which trusted issuer it was.
        self._trusted = next((t for t in self.server.config.trusted_issuers if t.issuer == issuer), None)
        return self.server.query_client(self._trusted.client_id) if self._trusted is not None else None

    def resolve_client_public_key(self, client: Client) -> KeySet:
        assert self._trusted is not None  # resolve_issuer_client found it first
        return load_public_keys(self._trusted.jwks, self._trusted.public_key_pem)

    def get_audiences(self) -> list[str]:
        return [self.server.config.issuer, self.server.config.endpoint_url("token")]

    def process_assertion_claims(self, assertion: str) -> dict[str, Any]:
        claims: dict[str, Any] = super().process_assertion_claims(assertion)
        # RFC 7523 section 3 item 7: one use per jti; without a jti, one use per signed content (the
        # signature is left out: an ECDSA signature can be made again, or altered, into other valid bytes).
        jti = claims.get("jti")
        if isinstance(jti, str):
            key = f"grant:{claims['iss']}:{jti}"
        else:
            key = "grant-assertion:" + hashlib.sha256(assertion.rsplit(".", 1)[0].encode()).hexdigest()
        if not self.server.store.first_use(key, claims.get("exp")):
            raise InvalidGrantError("this assertion was already used (RFC 7523 section 3: no replay)")
        return claims

    def authenticate_user(self, subject: str) -> Grantee:
        return Grantee(known_or_adhoc(self.server, subject), self.server.store.now())

    def has_granted_permission(self, client: Client, user: Grantee) -> bool:
        return True

    def validate_token_request(self) -> None:
        super().validate_token_request()
        if self.request.user is None:
            raise InvalidGrantError("the assertion has no 'sub' (the resource owner)")


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
