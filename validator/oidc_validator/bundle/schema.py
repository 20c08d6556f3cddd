"""The onboarding.json JSON Schema shipped with the package, and validation against it."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

SCHEMA_RESOURCE = ("schemas", "onboarding.schema.json")


@cache
def onboarding_schema() -> dict[str, Any]:
    text = resources.files("oidc_validator").joinpath(*SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_errors(document: Any, *, limit: int = 20) -> list[str]:
    """Readable schema violations ('<json path>: <message>'), in a stable order."""
    validator = Draft202012Validator(onboarding_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [f"{e.json_path}: {e.message}" for e in errors[:limit]]
