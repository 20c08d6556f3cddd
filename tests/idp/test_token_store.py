"""The in-memory stores stay bounded and forget entries at their expiry, by the IdP's clock."""

from __future__ import annotations

from oidc_idp.config import UserConfig
from oidc_idp.core.token_store import ExpiringStore, Grantee, TokenStore


def test_entries_vanish_at_their_expiry_time() -> None:
    now = [1000]
    store: ExpiringStore[str] = ExpiringStore(lambda: now[0], max_items=10)
    store.put("a", "value", expires_at=1010)
    assert store.get("a") == "value"
    now[0] = 1010
    assert store.get("a") is None and "a" not in store


def test_the_oldest_entries_are_dropped_beyond_the_cap() -> None:
    store: ExpiringStore[int] = ExpiringStore(lambda: 0, max_items=3)
    for i in range(5):
        store.put(str(i), i, expires_at=100)
    assert [store.get(str(i)) for i in range(5)] == [None, None, 2, 3, 4]


def test_pop_returns_the_live_value_once() -> None:
    store: ExpiringStore[int] = ExpiringStore(lambda: 0, max_items=3)
    store.put("k", 1, expires_at=100)
    assert store.pop("k") == 1 and store.pop("k") is None


def test_discard_where_removes_exactly_the_matching_entries() -> None:
    store: ExpiringStore[int] = ExpiringStore(lambda: 0, max_items=10)
    for i in range(6):
        store.put(str(i), i, expires_at=100)
    assert store.discard_where(lambda value: value % 2 == 0) == 3
    assert [store.get(str(i)) for i in range(6)] == [None, 1, None, 3, None, 5]


def test_a_grant_remembers_only_its_access_tokens_that_are_still_live() -> None:
    now = [1000]
    store = TokenStore(lambda: now[0], max_items=10)
    grantee = Grantee(UserConfig(username="alice", password="pw"), auth_time=1000, grant_id="g1")
    store.track_access_token(grantee, "jti-1", 1100)
    now[0] = 1200  # jti-1 expired: a replay has nothing left to revoke of it
    store.track_access_token(grantee, "jti-2", 1300)
    assert store.grant_access_tokens.get("g1") == (("jti-2", 1300),)
    store.track_access_token(Grantee(grantee.user, auth_time=1000), "jti-3", 1300)  # no grant: not tracked
    assert store.grant_access_tokens.get("g1") == (("jti-2", 1300),)


def test_a_replayed_code_revokes_its_grant_only_for_the_client_it_was_issued_to() -> None:
    store = TokenStore(lambda: 1000, max_items=10)
    grantee = Grantee(UserConfig(username="alice", password="pw"), auth_time=1000, grant_id="g1")
    store.track_access_token(grantee, "jti-1", 1300)
    refresh = store.new_refresh_token("spa", "openid", grantee, ttl_seconds=600)
    store.redeemed("code-1", "spa", "g1", keep_seconds=600)
    assert not store.revoke_redeemed("code-1", "other-client")
    assert not store.is_revoked("jti-1")
    assert store.revoke_redeemed("code-1", "spa")
    assert store.is_revoked("jti-1") and store.refresh_tokens.get(refresh.token) is None
    assert not store.revoke_redeemed("never-issued", "spa")
