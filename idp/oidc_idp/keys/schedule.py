"""Scheduled key rotation: when the next change is due, and what it changes, as pure functions of the manifest.

The schedule is anchored on the active key's ``created`` time, so it never drifts: the n-th rotation
after it is due at ``created + n * every``, and the key made for it is created at that instant, however
late the IdP notices. A key is retired ``overlap`` seconds after its successor was created. Vendors
rotate this way (publish the new key, keep the old one while tokens signed by it are still valid).

Only the keys that are still published at the moment the IdP looks are made: a clock moved ahead by a
hundred periods makes the last few keys, not a hundred (and the ones it skips never sign anything).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Literal, Protocol

# A vendor rarely publishes more than a handful of keys, and Qualys takes at most 5 certificates:
# the overlap may keep this many previous keys published, and no more.
MAX_PREVIOUS_KEYS = 4
# Retired keys stay in the manifest so a test can still sign with one (a badly done rotation, replayed); the
# schedule keeps the newest few there, or a server rotating every minute would reload a day's keys each time.
RETIRED_KEPT = 5
# What the schedule does to an existing key: demote the active one, or drop one from the JWKS.
Change = Literal["published", "retired"]


class _Record(Protocol):
    # The keystore's KeyRecord (read-only); a protocol, so the keystore can import this module.
    @property
    def kid(self) -> str: ...
    @property
    def alg(self) -> str: ...
    @property
    def created(self) -> datetime: ...
    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class Plan:
    """What a rotation changes: statuses of existing keys, and the keys to make (their ``created`` instants)."""

    statuses: Mapping[str, Change]
    # Oldest first; the last becomes the active key, the others are published previous keys.
    created: tuple[int, ...]
    # Retired keys dropped from the manifest (their files stay on disk: another worker may be reading them).
    forgotten: frozenset[str] = frozenset()


def _instant(record: _Record) -> int:
    return int(record.created.timestamp())


def _lineage(records: Sequence[_Record], alg: str) -> tuple[list[_Record], _Record | None]:
    """``alg``'s keys in manifest order (oldest first), and the active one among them."""
    lineage = [r for r in records if r.alg == alg]
    return lineage, next((r for r in lineage if r.status == "active"), None)


@dataclass(frozen=True)
class Schedule:
    every_seconds: int
    overlap_seconds: int

    def next_event(self, records: Sequence[_Record], alg: str) -> int | None:
        """The first instant (epoch seconds) at which the schedule changes ``alg``'s keys; None without an active key."""
        lineage, active = _lineage(records, alg)
        if active is None:
            return None
        events = [_instant(active) + self.every_seconds]
        for older, newer in pairwise(lineage):
            if older.status == "published":
                events.append(_instant(newer) + self.overlap_seconds)
        return min(events)

    def plan(self, records: Sequence[_Record], alg: str, now: int) -> Plan | None:
        """What the schedule changes at ``now``; None when nothing is due (``now`` is before next_event)."""
        lineage, active = _lineage(records, alg)
        if active is None:
            return None
        start = _instant(active)
        due = max(0, (now - start) // self.every_seconds)
        instants = [start + k * self.every_seconds for k in range(1, due + 1)]
        # The key made at instants[i] is replaced at instants[i + 1]: make it only if it is still published now.
        kept = tuple(t for i, t in enumerate(instants) if i == len(instants) - 1 or instants[i + 1] + self.overlap_seconds > now)
        statuses: dict[str, Change] = {}
        for position, record in enumerate(lineage):
            if record is active:
                replaced_at = instants[0] if instants else None
            elif record.status == "published" and position + 1 < len(lineage):
                replaced_at = _instant(lineage[position + 1])
            else:
                continue
            if replaced_at is None:
                continue
            if replaced_at + self.overlap_seconds <= now:
                statuses[record.kid] = "retired"
            elif record is active:
                statuses[record.kid] = "published"
        if not statuses and not kept:
            return None
        retired = [r.kid for r in lineage if statuses.get(r.kid, r.status) == "retired"]
        return Plan(statuses, kept, frozenset(retired[: max(0, len(retired) - RETIRED_KEPT)]))
