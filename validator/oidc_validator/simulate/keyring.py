"""Where the stand-in gets verification keys: pinned certificates, or a JWKS URL it polls.

The JWKS is cached and refetched only for a kid it does not know, at most once per
``min_refresh_seconds`` (so a flood of tokens with random kids cannot make it hammer the IdP).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from oidc_validator.crypto.jose import KeySet
from oidc_validator.model.context import Fetched
from oidc_validator.net.fetch import fetch_json
from oidc_validator.net.options import FetchOptions


class Keyring(Protocol):
    def keys_for(self, kid: str) -> KeySet:
        """The current keys; may refresh when ``kid`` is unknown."""
        ...


class CertificateKeys:
    """The keys of the bundle's certificates, fixed for the stand-in's life."""

    def __init__(self, jwks: Iterable[Mapping[str, Any]]) -> None:
        self.keyset = KeySet(jwks)

    def keys_for(self, kid: str) -> KeySet:
        return self.keyset


@dataclass
class JwksKeys:
    url: str
    options: FetchOptions = field(default_factory=FetchOptions)
    min_refresh_seconds: float = 10.0
    monotonic: Callable[[], float] = time.monotonic
    fetcher: Callable[[str, FetchOptions], Fetched] = fetch_json
    fetch_count: int = 0
    last_error: str | None = None
    _keys: KeySet = field(default_factory=KeySet)
    _fetched_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _refresh(self) -> None:
        fetched = self.fetcher(self.url, self.options)
        self.fetch_count += 1
        self._fetched_at = self.monotonic()
        keys = fetched.json.get("keys") if fetched.ok and isinstance(fetched.json, dict) else None
        if isinstance(keys, list):
            self._keys = KeySet(k for k in keys if isinstance(k, dict))
            self.last_error = None
        else:
            # Keep the last good keys: a failing IdP must not lock every user out at once.
            self.last_error = fetched.error_detail or "the JWKS is not a key set"

    def _must_fetch(self, kid: str) -> bool:
        return kid not in self._keys.kids and (self._fetched_at is None or self.monotonic() - self._fetched_at >= self.min_refresh_seconds)

    def may_fetch(self, kid: str) -> bool:
        """Whether ``keys_for(kid)`` would fetch now (a caller on an event loop then calls it in a thread)."""
        with self._lock:
            return self._must_fetch(kid)

    def keys_for(self, kid: str) -> KeySet:
        with self._lock:
            if self._must_fetch(kid):
                self._refresh()
            return self._keys
