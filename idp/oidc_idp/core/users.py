"""The users of one issuer: the configured ones, plus any added at run time (control API, plugin)."""

from __future__ import annotations

import threading

from oidc_idp.config import UserConfig


class Users:
    def __init__(self, configured: tuple[UserConfig, ...]) -> None:
        self._by_name = {u.username: u for u in configured}
        self._lock = threading.Lock()

    def get(self, username: str) -> UserConfig | None:
        return self._by_name.get(username)

    def by_subject(self, sub: object) -> UserConfig | None:
        return next((u for u in self.all() if u.subject == sub), None)

    def all(self) -> tuple[UserConfig, ...]:
        with self._lock:
            return tuple(self._by_name.values())

    def add(self, user: UserConfig) -> None:
        """Add or replace (by username): a test that adds ``alice`` twice wants the second one."""
        with self._lock:
            self._by_name[user.username] = user

    def reset(self, configured: tuple[UserConfig, ...]) -> None:
        """Back to the configured users only (in place: the token server holds this object)."""
        with self._lock:
            self._by_name = {u.username: u for u in configured}
