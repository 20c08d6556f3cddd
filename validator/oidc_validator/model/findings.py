"""Findings and the one table of check codes that the docs and the tests both read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    area: str
    message: str
    fix: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "area": self.area,
            "message": self.message,
            "fix": self.fix,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class Code:
    """One entry of the catalogue: a stable code, its severity, what it means and how to fix it."""

    code: str
    severity: Severity
    area: str
    meaning: str
    fix: str

    def finding(self, message: str, *, fix: str | None = None, **evidence: Any) -> Finding:
        """A finding of this code; ``fix`` may specialise the catalogue's fix with concrete values."""
        return Finding(self.code, self.severity, self.area, message, fix or self.fix, evidence)


class Catalogue:
    """Registry of every code. Registering a code twice is a programming error."""

    def __init__(self) -> None:
        self._codes: dict[str, Code] = {}

    def register(self, code: str, severity: Severity, area: str, meaning: str, fix: str) -> Code:
        if code in self._codes:
            raise ValueError(f"check code registered twice: {code}")
        entry = Code(code, severity, area, meaning, fix)
        self._codes[code] = entry
        return entry

    def registrar(self, area: str) -> Callable[[str, Severity, str, str], Code]:
        """``register`` bound to one area, for a module whose codes all belong to it."""

        def register(code: str, severity: Severity, meaning: str, fix: str) -> Code:
            return self.register(code, severity, area, meaning, fix)

        return register

    def __getitem__(self, code: str) -> Code:
        return self._codes[code]

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._codes.values(), key=lambda c: (c.area, c.code)))

    def __len__(self) -> int:
        return len(self._codes)
