"""``oidc-validator``: placeholder until the validator lands."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    print("oidc-validator: not implemented yet", file=sys.stderr)
    return 2
