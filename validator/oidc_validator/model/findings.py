"""Findings and the one table of check codes that the docs and the tests both read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


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
    # Whether the code can fire on a key no verifier would ever choose to check a signature (an encryption
    # or key-agreement key): only leaks of secret material may; docs/checks.md shows this per code.
    non_signing_keys: bool = False

    def finding(self, message: str, *, fix: str | None = None, **evidence: Any) -> Finding:
        """A finding of this code; ``fix`` may specialise the catalogue's fix with concrete values."""
        return Finding(self.code, self.severity, self.area, message, fix or self.fix, evidence)


class Registrar(Protocol):
    def __call__(self, code: str, severity: Severity, meaning: str, fix: str, *, non_signing_keys: bool = False) -> Code: ...


class Catalogue:
    """Registry of every code. Registering a code twice is a programming error."""

    def __init__(self) -> None:
        self._codes: dict[str, Code] = {}

    def register(self, code: str, severity: Severity, area: str, meaning: str, fix: str, *, non_signing_keys: bool = False) -> Code:
        if code in self._codes:
            raise ValueError(f"check code registered twice: {code}")
        entry = Code(code, severity, area, meaning, fix, non_signing_keys)
        self._codes[code] = entry
        return entry

    def registrar(self, area: str) -> Registrar:
        """``register`` bound to one area, for a module whose codes all belong to it."""

        def register(code: str, severity: Severity, meaning: str, fix: str, *, non_signing_keys: bool = False) -> Code:
            return self.register(code, severity, area, meaning, fix, non_signing_keys=non_signing_keys)

        return register

    def __getitem__(self, code: str) -> Code:
        return self._codes[code]

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._codes.values(), key=lambda c: (c.area, c.code)))

    def __len__(self) -> int:
        return len(self._codes)
