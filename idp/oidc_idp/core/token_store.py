"""The IdP's in-memory state: authorization codes, refresh tokens, login sessions, revocations.

Per process: with ``--workers N`` each worker has its own, which is why the stateful
features (code flow, refresh, revocation, sessions) need ``--workers 1``. Every store
expires its entries by the IdP's clock and holds at most ``max_items`` (oldest dropped
first), so memory stays bounded whatever a test does.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from oidc_idp.config import UserConfig

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


class ExpiringStore(Generic[T]):
    """A bounded map whose entries vanish at their expiry time."""

    def __init__(self, now: Callable[[], int], max_items: int) -> None:
        self._now = now
        self._max = max_items
        self._items: OrderedDict[str, tuple[int, T]] = OrderedDict()
        self._lock = threading.Lock()  # the in-process handles (RunningIdp) call from the test's thread

    def put(self, key: str, value: T, expires_at: int) -> None:
        with self._lock:
            self._prune()
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
        self.revoked_jtis: ExpiringStore[bool] = ExpiringStore(now, max_items)
        # The user's claims as the login set them (extra claims, typed users), by access token jti, for userinfo.
        self.userinfo: ExpiringStore[dict[str, Any]] = ExpiringStore(now, max_items)
        # Redeemed authorization codes -> (client_id, grant_id), and each grant's live access tokens (jti, exp):
        # what a replayed code revokes (RFC 6749 section 4.1.2).
        self.redeemed_codes: ExpiringStore[tuple[str, str]] = ExpiringStore(now, max_items)
        self.grant_access_tokens: ExpiringStore[tuple[tuple[str, int], ...]] = ExpiringStore(now, max_items)
        # jti of client assertions already used (RFC 7523 section 3, item 7: no replay).
        self.used_assertions: ExpiringStore[bool] = ExpiringStore(now, max_items)

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
        token = RefreshToken(self.new_secret(), client_id, scope, replace(grantee, nonce=None), now, now + ttl_seconds)
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
        grant_id = redemption[1]
        for jti, exp in self.grant_access_tokens.pop(grant_id) or ():
            self.revoke_jti(jti, exp)
        self.refresh_tokens.discard_where(lambda token: token.grantee.grant_id == grant_id)
        return True

    def is_revoked(self, jti: object) -> bool:
        return isinstance(jti, str) and jti in self.revoked_jtis
