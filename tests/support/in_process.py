"""A command run in the test's own process through its ``main()``: an error case costs no interpreter start.

The console scripts are ``sys.exit(main())``, so what a user sees is ``main``'s return code and what it
printed; argparse's usage errors leave through SystemExit, whose code is the exit status.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_main(main: Callable[[Sequence[str]], int], argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> Ran:
    capsys.readouterr()  # only what this command prints
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return Ran(code, out, err)
