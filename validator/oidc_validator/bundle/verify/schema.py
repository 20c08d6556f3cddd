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


def schema_errors(document: Any, schema: Mapping[str, Any] | None = None, *, limit: int = 20) -> list[str]:
    """Readable violations of ``schema`` (onboarding.json's by default) as '<json path>: <message>', in a stable order."""
    validator = Draft202012Validator(
        schema if schema is not None else onboarding_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [f"{e.json_path}: {e.message}" for e in errors[:limit]]


def validated_entry(files: Mapping[str, bytes], name: str, invalid: Code, schema: Mapping[str, Any]) -> tuple[Any, list[Finding]]:
    """The bundle file ``name`` parsed, and an ``invalid`` finding per schema violation (parsed None when it is not JSON)."""
    entry = json_entry(files, name, invalid)
    if entry is None:
        return None, []  # reported as a required file
    document, unreadable = entry
    if unreadable:
        return None, unreadable
    return document, [invalid.finding(f"{name}: {p}", file=name, violation=p) for p in schema_errors(document, schema)]
