"""The in-memory stores stay bounded and forget entries at their expiry, by the IdP's clock."""

from __future__ import annotations

from idp.token_store import ExpiringStore


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
