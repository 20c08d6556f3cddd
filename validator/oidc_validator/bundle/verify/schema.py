"""The bundle's JSON files: reading them, the onboarding.json JSON Schema shipped with the package and validation against it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from oidc_validator.model.findings import Code, Finding
from oidc_validator.report.render import package_schema


def json_entry(files: Mapping[str, bytes], name: str, invalid: Code) -> tuple[Any, list[Finding]] | None:
    """The bundle file ``name`` parsed as JSON (any JSON, ``null`` included), or the ``invalid`` finding saying why not.

    None when the file is missing: verify-bundle reports required files on their own.
    """
    if name not in files:
        return None
    try:
        return json.loads(files[name]), []
    except ValueError as exc:
        return None, [invalid.finding(f"{name} is not valid JSON ({exc}).", file=name)]


def onboarding_schema() -> dict[str, Any]:
    return package_schema("onboarding.schema.json")


def schema_errors(document: Any, *, limit: int = 20) -> list[str]:
    """Readable schema violations ('<json path>: <message>'), in a stable order."""
    validator = Draft202012Validator(onboarding_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [f"{e.json_path}: {e.message}" for e in errors[:limit]]
