"""The in-memory stores stay bounded and forget entries at their expiry, by the IdP's clock; security facts fail closed."""

from __future__ import annotations

import httpx
import pytest

from oidc_idp import running
from oidc_idp.config import UserConfig
from oidc_idp.core.token_store import ExpiringStore, Grantee, StoreFull, TokenStore

DEMO = ("demo-client", "demo-secret")


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


def test_a_full_store_of_security_facts_refuses_a_new_one_and_forgets_none() -> None:
    now = [1000]
    store = TokenStore(lambda: now[0], max_items=3)
    for jti in ("a", "b", "c"):
        store.revoke_jti(jti, exp=2000)
    with pytest.raises(StoreFull) as refused:
        store.revoke_jti("d", exp=2000)
    assert refused.value.code == "temporarily_unavailable" and refused.value.status_code == 503
    assert all(store.is_revoked(jti) for jti in ("a", "b", "c")) and not store.is_revoked("d")
    store.revoke_jti("a", exp=2000)  # the same fact again is no new entry
    now[0] = 2000  # once the revoked tokens have expired by themselves, their revocations may go
    store.revoke_jti("d", exp=3000)
    assert store.is_revoked("d")


@pytest.mark.parametrize(
    "store_name", ["revoked_jtis", "used_assertions", "redeemed_codes", "grant_access_tokens", "rotated_refresh_tokens"]
)
def test_every_store_whose_loss_would_reopen_a_token_fails_closed(store_name: str) -> None:
    store = getattr(TokenStore(lambda: 0, max_items=1), store_name)
    store.put("first", "x", expires_at=100)
    with pytest.raises(StoreFull):
        store.put("second", "x", expires_at=100)
    assert store.get("first") == "x"


def test_revocations_cannot_be_flooded_out_over_http() -> None:
    with running(max_stored_items=3) as idp:
        tokens = [
            httpx.post(idp.token_endpoint, data={"grant_type": "password", "username": "demo", "password": "demo-password"}, auth=DEMO)
            .raise_for_status()
            .json()["access_token"]
            for _ in range(4)
        ]
        for token in tokens[:3]:
            assert httpx.post(idp.issuer + "/revoke", data={"token": token}, auth=DEMO).status_code == 200
        flood = httpx.post(idp.issuer + "/revoke", data={"token": tokens[3]}, auth=DEMO)
        assert flood.status_code == 503 and flood.json()["error"] == "temporarily_unavailable"
        assert httpx.post(idp.issuer + "/introspect", data={"token": tokens[0]}, auth=DEMO).json() == {"active": False}
        assert httpx.get(idp.issuer + "/userinfo", headers={"Authorization": f"Bearer {tokens[0]}"}).status_code == 401
