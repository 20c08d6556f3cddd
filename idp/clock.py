"""The IdP's one clock: real, fixed, or offset. Every timestamp the IdP writes comes from here."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass
class Clock:
    fixed: datetime | None = None
    offset_seconds: int = 0

    def timestamp(self) -> int:
        base = self.fixed.timestamp() if self.fixed is not None else time.time()
        return int(base) + self.offset_seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)
