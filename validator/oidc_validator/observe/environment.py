"""What a run reads from the process (stdin, environment, prompt, clock): one object, injectable for tests.

Its own light module, so ``oidc-validator --help`` starts without importing httpx, PyJWT or pydantic.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO


@dataclass(frozen=True)
class Environment:
    """What resolving reads from the process, injectable for tests."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    prompt: Callable[[str], str] = getpass.getpass
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def stdin_is_terminal(self) -> bool:
        return bool(getattr(self.stdin, "isatty", lambda: False)())
