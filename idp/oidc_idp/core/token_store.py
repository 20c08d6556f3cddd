"""The IdP's in-memory state: authorization codes, refresh tokens, login sessions, revocations.

Per process: with ``--workers N`` each worker has its own, which is why the stateful
features (code flow, refresh, revocation, sessions) need ``--workers 1``. Every store
expires its entries by the IdP's clock and holds at most ``max_items``, so memory stays
bounded whatever a client does. What a full store does depends on what it remembers:
a store of credentials (codes, refresh tokens, sessions) drops its oldest entry, which
only ends that credential early; a store of security facts (revocations, used assertions,
redeemed codes, rotated refresh tokens) refuses the new entry instead, because forgetting
one would make a revoked or replayed token good again (fail closed).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from oidc_idp.config import UserConfig
from oidc_idp.errors import OAuthError

T = TypeVar("T")


@dataclass(frozen=True)
class Grantee:
    """The resource owner a token is for, as the login established it."""

    user: UserConfig
    auth_time: int
    nonce: str | None = None
    # The authorization code this token chain descends from (refreshes keep it): what a replay of that code revokes.
    grant_id: str | None = None


@dataclass(frozen=True)
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    grantee: Grantee
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: int

    # The accessors authlib's AuthorizationCodeGrant and CodeChallenge call.
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass(frozen=True)
class RefreshToken:
    token: str
    client_id: str
    scope: str
    grantee: Grantee
    issued_at: int
    expires_at: int

    # The accessors authlib's RefreshTokenGrant calls.
    def get_scope(self) -> str:
        return self.scope

    def check_client(self, client: object) -> bool:
        return getattr(client, "get_client_id", lambda: None)() == self.client_id


@dataclass(frozen=True)
class LoginSession:
    sid: str
    grantee: Grantee
    expires_at: int


class StoreFull(OAuthError):
    """A store of security facts is full of unexpired entries: the request is refused, nothing is forgotten."""

    def __init__(self, what: str) -> None:
        super().__init__(
            "temporarily_unavailable",
            f"the IdP cannot remember more {what} until some expire (max_stored_items); nothing was forgotten",
            status_code=503,
        )


class ExpiringStore(Generic[T]):
    """A bounded map whose entries vanish at their expiry time.

    ``refuse_when_full`` names what the store remembers: when full, such a store raises
    StoreFull rather than dropping its oldest entry.
    """

    def __init__(self, now: Callable[[], int], max_items: int, *, refuse_when_full: str | None = None) -> None:
        self._now = now
        self._max = max_items
        self._refuse = refuse_when_full
        self._items: OrderedDict[str, tuple[int, T]] = OrderedDict()
        self._lock = threading.Lock()  # the in-process handles (RunningIdp) call from the test's thread

    def put(self, key: str, value: T, expires_at: int) -> None:
        with self._lock:
            self._prune()
            if self._refuse is not None and key not in self._items and len(self._items) >= self._max:
                raise StoreFull(self._refuse)
            self._items[key] = (expires_at, value)
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def get(self, key: str) -> T | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            if entry[0] <= self._now():
                del self._items[key]
                return None
            return entry[1]

    def pop(self, key: str) -> T | None:
        value = self.get(key)
        with self._lock:
            self._items.pop(key, None)
        return value

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def discard_where(self, condition: Callable[[T], bool]) -> int:
        """Remove every entry whose value meets ``condition``; how many were removed."""
        with self._lock:
            doomed = [key for key, (_, value) in self._items.items() if condition(value)]
            for key in doomed:
                del self._items[key]
        return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def _prune(self) -> None:
        now = self._now()
        for key in [k for k, (exp, _) in self._items.items() if exp <= now]:
            del self._items[key]


class TokenStore:
    """Everything the IdP remembers between requests, for one issuer."""

    def __init__(self, now: Callable[[], int], max_items: int) -> None:
        self.now = now
        self.codes: ExpiringStore[AuthorizationCode] = ExpiringStore(now, max_items)
        self.refresh_tokens: ExpiringStore[RefreshToken] = ExpiringStore(now, max_items)
        self.sessions: ExpiringStore[LoginSession] = ExpiringStore(now, max_items)
        # Revoked access tokens by jti, kept until the token would have expired anyway.
        self.revoked_jtis: ExpiringStore[bool] = ExpiringStore(now, max_items, refuse_when_full="revocations")
        # The user's claims as the login set them (extra claims, typed users), by access token jti, for userinfo.
        self.userinfo: ExpiringStore[dict[str, Any]] = ExpiringStore(now, max_items)
        # Redeemed authorization codes -> (client_id, grant_id), and each grant's live access tokens (jti, exp):
        # what a replayed code revokes (RFC 6749 section 4.1.2).
        self.redeemed_codes: ExpiringStore[tuple[str, str]] = ExpiringStore(now, max_items, refuse_when_full="redeemed codes")
        self.grant_access_tokens: ExpiringStore[tuple[tuple[str, int], ...]] = ExpiringStore(
            now, max_items, refuse_when_full="grants' access tokens"
        )
        # Refresh tokens already rotated -> their grant: presenting one again revokes the whole family (RFC 9700 section 4.14.2).
        self.rotated_refresh_tokens: ExpiringStore[str] = ExpiringStore(now, max_items, refuse_when_full="rotated refresh tokens")
        # jti of assertions already used, client assertions and jwt-bearer grants alike (RFC 7523 section 3, item 7: no replay).
        self.used_assertions: ExpiringStore[bool] = ExpiringStore(now, max_items, refuse_when_full="used assertions")

    def clear(self) -> None:
        """Forget everything (the reusing pytest fixture, between tests): every store, whatever its name."""
        for store in vars(self).values():
            if isinstance(store, ExpiringStore):
                store.clear()

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    def new_session(self, grantee: Grantee, ttl_seconds: int) -> LoginSession:
        session = LoginSession(self.new_secret(), grantee, self.now() + ttl_seconds)
        self.sessions.put(session.sid, session, session.expires_at)
        return session

    def new_refresh_token(self, client_id: str, scope: str, grantee: Grantee, ttl_seconds: int) -> RefreshToken:
        now = self.now()
        # A refresh is not an authentication request: its ID tokens carry no nonce (OIDC Core 12.2, errata).
        # Every refresh chain gets a grant id (a code-born one keeps its code's): the family a replay revokes.
        family = replace(grantee, nonce=None, grant_id=grantee.grant_id or self.new_secret())
        token = RefreshToken(self.new_secret(), client_id, scope, family, now, now + ttl_seconds)
        self.refresh_tokens.put(token.token, token, token.expires_at)
        return token

    def revoke_jti(self, jti: str, exp: int) -> None:
        self.revoked_jtis.put(jti, True, max(exp, self.now() + 1))

    def track_access_token(self, grantee: Grantee, jti: str, exp: int) -> None:
        """Remember an access token of a code-born grant, so a replay of that code can revoke it."""
        if grantee.grant_id is None:
            return
        now = self.now()
        live = (*(t for t in self.grant_access_tokens.get(grantee.grant_id) or () if t[1] > now), (jti, exp))
        self.grant_access_tokens.put(grantee.grant_id, live, max(t[1] for t in live))

    def redeemed(self, code: str, client_id: str, grant_id: str, keep_seconds: int) -> None:
        self.redeemed_codes.put(code, (client_id, grant_id), self.now() + keep_seconds)

    def revoke_redeemed(self, code: str, client_id: str) -> bool:
        """A redeemed code presented again by its client: revoke every token of its grant; whether it was one."""
        redemption = self.redeemed_codes.get(code)
        if redemption is None or redemption[0] != client_id:
            return False
        self.revoke_grant(redemption[1])
        return True

    def rotated(self, old: RefreshToken) -> None:
        """``old`` was exchanged for a new refresh token: remember it until it would have expired."""
        if old.grantee.grant_id is not None:
            self.rotated_refresh_tokens.put(old.token, old.grantee.grant_id, old.expires_at)
        self.refresh_tokens.pop(old.token)

    def revoke_replayed_refresh_token(self, token: str) -> bool:
        """A refresh token that was already rotated: revoke its whole family; whether it was one."""
        grant_id = self.rotated_refresh_tokens.get(token)
        if grant_id is None:
            return False
        self.revoke_grant(grant_id)
        return True

    def revoke_grant(self, grant_id: str) -> None:
        """Every access token tracked for the grant, and every refresh token of its chain."""
        for jti, exp in self.grant_access_tokens.pop(grant_id) or ():
            self.revoke_jti(jti, exp)
        self.refresh_tokens.discard_where(lambda token: token.grantee.grant_id == grant_id)

    def first_use(self, assertion_key: str, exp: object) -> bool:
        """Record an assertion's use until just after it expires; False when it was used before (a replay)."""
        if assertion_key in self.used_assertions:
            return False
        self.used_assertions.put(assertion_key, True, int(exp) + 60 if isinstance(exp, int | float) else self.now() + 3600)
        return True

    def is_revoked(self, jti: object) -> bool:
        return isinstance(jti, str) and jti in self.revoked_jtis
