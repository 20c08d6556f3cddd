"""A running IdP's run-time state, remembered at start and restored later (the reusing pytest fixture).

What a test can change on a live IdP: the scenarios, the users, the clock, what the token
store remembers (codes, refresh tokens, sessions, revocations...) and the keys (rotated or
retired). ``restore`` puts each back as ``remember`` found it, in place, because the token
server and the app hold the very objects (the users, the store, the clock).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from oidc_idp.config import UserConfig
from oidc_idp.core.service import IdpService


@dataclass(frozen=True)
class _IssuerState:
    scenarios: tuple[str, ...]
    users: tuple[UserConfig, ...]
    manifest: bytes | None


@dataclass(frozen=True)
class InitialState:
    clock_fixed: datetime | None
    clock_offset_seconds: int
    issuers: Mapping[str | None, _IssuerState]


def remember(services: Mapping[str | None, IdpService]) -> InitialState:
    """The state of one server's issuers (they share one clock), to ``restore`` later."""
    clock = next(iter(services.values())).clock
    issuers = {
        key: _IssuerState(tuple(service.scenarios), service.users.all(), service.keystore.manifest_bytes())
        for key, service in services.items()
    }
    return InitialState(clock.fixed, clock.offset_seconds, issuers)


def restore(services: Mapping[str | None, IdpService], initial: InitialState) -> None:
    for key, service in services.items():
        state = initial.issuers[key]
        service.scenarios[:] = state.scenarios
        service.users.reset(state.users)
        service.store.clear()
        if state.manifest is not None:
            service.keystore.restore(state.manifest)
        service.forget_derived()
        service.clock.fixed, service.clock.offset_seconds = initial.clock_fixed, initial.clock_offset_seconds
