"""docs/drift.md's table of findings says what the drift catalogue says: every code, its severity, nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from oidc_validator.drift.codes import DRIFT_CATALOGUE

DRIFT_MD = Path(__file__).resolve().parents[2] / "docs" / "drift.md"


def test_the_drift_guide_lists_every_drift_code_with_its_severity() -> None:
    rows = re.findall(r"^\| `(drift_[a-z_]+)` \| (error|warning|info) \|", DRIFT_MD.read_text(encoding="utf-8"), flags=re.M)
    assert sorted(rows) == sorted((code.code, code.severity.value) for code in DRIFT_CATALOGUE)
