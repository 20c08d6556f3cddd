"""The IdP's state and behaviour, independent of HTTP: keys, clock, token minting, discovery."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jwt

from oidc_idp.config import ClientConfig, IdpConfig, UserConfig
from oidc_idp.core.clock import Clock
from oidc_idp.core.discovery import discovery_document
from oidc_idp.core.token_store import Grantee, TokenStore
from oidc_idp.core.tokens import ACCESS_TOKEN_TYP, ID_TOKEN_TYP, at_hash, compose_claims, registered_claims, sign
from oidc_idp.core.users import Users
from oidc_idp.errors import OAuthError
from oidc_idp.keys.keystore import KeySet, KeyStore, SigningKey
from oidc_idp.variants.material import Material
from oidc_idp.variants.profiles import ClaimInput
from oidc_idp.variants.scenarios import Env, Scenario, TokenKind, apply_claims, apply_discovery, apply_jwks, resolve, signer_of


def bearer_error(description: str) -> OAuthError:
    # RFC 6750 section 3.1: invalid_token with 401 and a Bearer challenge naming it. Its
    # error_description allows %x20-21 / %x23-5B / %x5D-7E only, and a library's message may quote the token.
    safe = "".join(c if " " <= c <= "~" and c != "\\" else "?" for c in description.replace('"', "'"))
    return OAuthError(
        "invalid_token",
        description,
        status_code=401,
        www_authenticate=f'Bearer error="invalid_token", error_description="{safe}"',
    )


@dataclass
class IdpService:
    config: IdpConfig
    keystore: KeyStore
    clock: Clock = field(default_factory=Clock)
    # None for the server's main issuer; the [[issuers]] id for the others.
    issuer_id: str | None = None

    def __post_init__(self) -> None:
        self.keystore.ensure((self.config.alg,), now=self.clock.now(), validity_days=self.config.cert_validity_days)
        # Mutable on purpose: the control API and the pytest plugin add users at run time.
        self.users = Users(self.config.users)
        self.store = TokenStore(self.clock.timestamp, self.config.max_stored_items)
        # Mutable on purpose: the control API and the pytest plugin switch scenarios at run time.
        self.scenarios: list[str] = list(self.config.scenarios)
        self._material: Material | None = None
        self._schedule = self.config.rotation
        # When the schedule next changes the keys, for the key set it was computed from: the token endpoint reads
        # the keys on every request, and this keeps that to the keystore's one stat and a comparison.
        self._next_rotation: tuple[KeySet, int | None] | None = None

    def forget_derived(self) -> None:
        """Drop what was derived from the keys and the clock (scenario material, the next rotation), after either was put back."""
        self._material = None
        self._next_rotation = None

    # -- keys ----------------------------------------------------------------
    def keys(self) -> KeySet:
        keyset = self.keystore.load()
        if self._schedule is None:
            return keyset
        if self._next_rotation is None or self._next_rotation[0] is not keyset:
            self._next_rotation = (keyset, self._schedule.next_event([k.record for k in keyset.keys], self.config.alg))
        due = self._next_rotation[1]
        now = self.clock.timestamp()
        if due is not None and now >= due:
            keyset = self.keystore.follow_schedule(self.config.alg, self._schedule, now=now, validity_days=self.config.cert_validity_days)
        return keyset

    def signing_key(self) -> SigningKey:
        key = self.keys().active(self.config.alg)
        if key is None:  # someone emptied the keys directory under a running server
            key = self.keystore.ensure((self.config.alg,), now=self.clock.now(), validity_days=self.config.cert_validity_days).active(
                self.config.alg
            )
        assert key is not None
        return key

    # -- scenarios -----------------------------------------------------------
    def active_scenarios(self, client: ClientConfig | None = None) -> tuple[Scenario, ...]:
        return resolve([*self.scenarios, *(client.scenarios if client else ())])

    def _env(self) -> Env:
        active = self.signing_key()
        if self._material is None or self._material.active.kid != active.kid:
            self._material = Material(active, self.clock.now())
        return Env(self.config.issuer, active, self._material, self.clock.timestamp())

    # -- documents -----------------------------------------------------------
    def discovery(self) -> dict[str, Any]:
        scenarios = self.active_scenarios()
        doc = self._discovery()
        return apply_discovery(doc, scenarios, self._env()) if scenarios else doc

    def _discovery(self) -> dict[str, Any]:
        user_claims = {k for u in self.users.all() for k in u.claims}
        return discovery_document(self.config, list(self.keys().active_algorithms), user_claims)

    def jwks(self) -> dict[str, Any]:
        scenarios = self.active_scenarios()
        doc = self.keys().jwks()
        if not self.config.vendor.x5c:
            doc = {"keys": [{k: v for k, v in key.items() if k not in ("x5c", "x5t", "x5t#S256")} for key in doc["keys"]]}
        return apply_jwks(doc, scenarios, self._env()) if scenarios else doc

    def jwks_as_html(self) -> bool:
        return any(s.jwks_as_html for s in self.active_scenarios())

    # -- tokens --------------------------------------------------------------
    def mint_token_response(
        self, client: ClientConfig, grantee: Grantee | None, grant_type: str, scope: str, refresh_allowed: bool = False
    ) -> dict[str, Any]:
        cfg, now = self.config, self.clock.timestamp()
        user = grantee.user if grantee is not None else None
        sub = user.subject if user is not None else client.client_id
        access = compose_claims(
            registered_claims(issuer=cfg.issuer, sub=sub, aud=client.audience, now=now, ttl_seconds=cfg.access_token_ttl_seconds),
            client.claims,
            user.claims if user is not None else {},
            {"client_id": client.client_id, **({"scope": scope} if scope else {})},
        )
        access_token = self.sign(self._shape(access, "access", client, user, grant_type, scope), "access", client)
        if user is not None:
            self.store.userinfo.put(access["jti"], dict(user.claims), access["exp"])
        if grantee is not None:
            self.store.track_access_token(grantee, access["jti"], access["exp"])
        response: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer", "expires_in": cfg.access_token_ttl_seconds}
        if scope:
            response["scope"] = scope
        scopes = scope.split()
        if grantee is not None and refresh_allowed and "offline_access" in scopes and "refresh_token" in client.grant_types:
            # OIDC Core section 11: offline_access asks for a refresh token.
            refresh = self.store.new_refresh_token(client.client_id, scope, grantee, cfg.refresh_token_ttl_seconds)
            response["refresh_token"] = refresh.token
        if grantee is not None and user is not None and "openid" in scopes:
            id_claims = compose_claims(
                registered_claims(issuer=cfg.issuer, sub=sub, aud=client.client_id, now=now, ttl_seconds=cfg.id_token_ttl_seconds),
                user.claims,
                {"azp": client.client_id, "auth_time": grantee.auth_time, "at_hash": at_hash(access_token, cfg.alg)},
                {"nonce": grantee.nonce} if grantee.nonce else {},
            )
            response["id_token"] = self.sign(self._shape(id_claims, "id", client, user, grant_type, scope), "id", client)
        return response

    def _shape(
        self, claims: dict[str, Any], kind: TokenKind, client: ClientConfig, user: UserConfig | None, grant_type: str, scope: str
    ) -> dict[str, Any]:
        """The vendor profile's claims (its sub, aud, tid, cid...) over the generic ones."""
        vendor = self.config.vendor
        if vendor.claims is not None:
            shaped = ClaimInput(
                kind, client.client_id, user.username if user else None, grant_type, scope, self.config.issuer, self.config.tenant_id
            )
            claims = {**claims, **vendor.claims(shaped)}
        if kind == "id" and vendor.iss_without_scheme_in_id_tokens:
            claims["iss"] = self.config.issuer.split("://", 1)[-1].rstrip("/")
        return claims

    def sign(
        self,
        claims: dict[str, Any],
        kind: TokenKind,
        client: ClientConfig | None = None,
        *,
        key: SigningKey | None = None,
        typ: str | None = None,
    ) -> str:
        """Sign with ``key`` (default: the active key), unless a scenario changes the claims or the signature."""
        typ = typ or (ACCESS_TOKEN_TYP if kind == "access" else ID_TOKEN_TYP)
        scenarios = self.active_scenarios(client)
        if not scenarios:
            return sign(claims, key or self.signing_key(), typ=typ)
        env = self._env()
        claims = apply_claims(claims, kind, scenarios, env)
        signer = signer_of(scenarios)
        return signer(claims, typ, env) if signer else sign(claims, key or env.active, typ=typ)

    def _decode_own(self, token: str) -> dict[str, Any]:
        """Signature (published keys only), issuer and typ of one of our access tokens; times are not checked."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise bearer_error("the access token is not a JWT") from None
        key = self.keys().by_kid(str(header.get("kid", "")))
        if key is None or key.record.status == "retired":
            raise bearer_error("the access token is not signed by a published key")
        if header.get("typ") != ACCESS_TOKEN_TYP:
            raise bearer_error("not an access token (typ must be at+jwt)")
        try:
            # Times are checked by the callers against the IdP's clock, which may be fixed or offset.
            claims: dict[str, Any] = jwt.decode(
                token,
                key.certificate.public_key(),  # type: ignore[arg-type]
                algorithms=[key.alg],
                issuer=self.config.issuer,
                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False, "require": ["exp", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise bearer_error(f"the access token is invalid: {exc}") from None
        return claims

    def access_token_claims(self, token: str) -> dict[str, Any] | None:
        """For introspection (RFC 7662 section 2.2): our token's claims, or None for garbage and foreign tokens."""
        try:
            return self._decode_own(token)
        except OAuthError:
            return None

    def verify_access_token(self, token: str) -> dict[str, Any]:
        """Verify one of our own access tokens (for userinfo): published key, times, not revoked."""
        claims = self._decode_own(token)
        now = self.clock.timestamp()
        if not isinstance(claims["exp"], int) or claims["exp"] <= now:
            raise bearer_error("the access token has expired")
        if isinstance(claims.get("nbf"), int) and claims["nbf"] > now:
            raise bearer_error("the access token is not valid yet (nbf)")
        if self.store.is_revoked(claims.get("jti")):
            raise bearer_error("the access token has been revoked")
        return claims

    def userinfo(self, token: str) -> dict[str, Any]:
        claims = self.verify_access_token(token)
        # OIDC Core 5.3.2: the claims of the login (with its extra claims), else of the configured user.
        at_login = self.store.userinfo.get(str(claims.get("jti")))
        user = self.users.by_subject(claims["sub"])
        return {**(at_login if at_login is not None else user.claims if user is not None else {}), "sub": claims["sub"]}
