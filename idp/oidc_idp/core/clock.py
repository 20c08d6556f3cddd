"""The IdP's one clock: real, fixed, or offset. Every timestamp the IdP writes comes from here."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from oidc_idp.errors import ConfigError


@dataclass
class Clock:
    fixed: datetime | None = None
    offset_seconds: int = 0

    def timestamp(self) -> int:
        base = self.fixed.timestamp() if self.fixed is not None else time.time()
        return int(base) + self.offset_seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)


def clock_from_values(values: dict[str, Any]) -> Clock:
    """The configured clock before the whole config is validated (TLS certificates are made before it is)."""
    fixed, offset = values.get("clock_fixed"), values.get("clock_offset_seconds", 0)
    try:
        when = datetime.fromisoformat(fixed) if isinstance(fixed, str) else fixed
    except ValueError:
        raise ConfigError(f"--clock/clock_fixed is not an ISO 8601 date-time: {fixed!r}") from None
    if when is not None and (not isinstance(when, datetime) or when.tzinfo is None):
        raise ConfigError("--clock/clock_fixed needs a date-time with a time zone, e.g. 2026-01-01T00:00:00Z")
    if not isinstance(offset, int) or isinstance(offset, bool):
        raise ConfigError("clock_offset_seconds must be an integer")
    return Clock(when, offset)
