"""``oidc-validator inspect``: decode and explain a token without verifying it.

The signature is a credential's part: only its length is shown. Decoding uses the checks' strict
compact-JWS splitter (oidc_validator.crypto.jose), so what inspect accepts is what check accepts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from oidc_validator.crypto.jose import CompactJws, JoseError, split_compact
from oidc_validator.model.text import escape_lines, escape_text, terminal_json
from oidc_validator.report.render import mapping_claim

TIME_CLAIMS = ("exp", "nbf", "iat", "auth_time", "updated_at")


def decode(raw: str) -> CompactJws:
    """Raises JoseError with a one-line reason when the token is not a compact JWS."""
    return split_compact(raw)


def _duration(seconds: float) -> str:
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}".replace(".0 ", " ")
    return f"{seconds:.0f} s"


def readable_time(name: str, value: Any, now: datetime) -> str | None:
    """A numeric date as UTC, and where it lies relative to ``now``; None when it is not a usable number."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        moment = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return "not a plausible date (milliseconds instead of seconds?)"
    delta = (moment - now).total_seconds()
    relation = f"in {_duration(delta)}" if delta > 0 else f"{_duration(delta)} ago"
    if name == "exp":
        relation = f"expires {relation}" if delta > 0 else f"expired {relation}"
    return f"{moment.isoformat().replace('+00:00', 'Z')}, {relation}"


def mapping(claims: Mapping[str, Any], configured: str) -> dict[str, Any]:
    chosen = mapping_claim(claims, configured)
    explanation = f"Qualys maps the {chosen!r} claim to a user's External ID"
    if chosen != configured:
        explanation += f" (the custom claim {configured!r} is absent or empty, so Qualys falls back to 'sub')"
    if chosen not in claims:
        explanation = f"neither {configured!r} nor 'sub' is present: Qualys cannot map this token to a user"
    return {"configured_claim": configured, "claim": chosen, "value": claims.get(chosen), "explanation": explanation}


def explain(jws: CompactJws, *, external_id_claim: str, now: datetime) -> dict[str, Any]:
    times = {name: readable_time(name, jws.payload[name], now) for name in TIME_CLAIMS if name in jws.payload}
    return {
        "verified": False,
        "header": jws.header,
        "claims": jws.payload,
        "times": {name: text for name, text in times.items() if text is not None},
        "signature_bytes": len(jws.signature),
        "external_id": mapping(jws.payload, external_id_claim),
    }


def _value(value: Any) -> str:
    return terminal_json(value)


def render_text(explained: Mapping[str, Any]) -> str:
    lines = ["Token (decoded, NOT verified: inspect never checks the signature)", "", "Header"]
    lines += [f"  {key}: {_value(value)}" for key, value in explained["header"].items()]
    ignored = [name for name in ("jku", "x5u") if name in explained["header"]]
    if ignored:
        lines.append(f"  ({' and '.join(ignored)}: never fetched; Qualys uses only the onboarded keys)")
    lines += ["", "Claims"]
    times = explained["times"]
    for key, value in explained["claims"].items():
        suffix = f"  ({times[key]})" if key in times else ""
        lines.append(f"  {key}: {_value(value)}{suffix}")
    mapped = explained["external_id"]
    lines += [
        "",
        f"Signature: {explained['signature_bytes']} bytes (not shown)",
        "",
        "External ID",
        f"  {mapped['explanation']}",
    ]
    if mapped["value"] is not None:
        lines.append(f"  value: {_value(mapped['value'])}")
    # Header and claim names are the token's too (and the explanation quotes the --external-id-claim flag).
    return "\n".join(escape_text(line) for line in lines) + "\n"


def render_json(explained: Mapping[str, Any]) -> str:
    # Printed: C1 controls and bidi characters escaped as well as json.dumps's C0 (still valid JSON).
    return escape_lines(json.dumps(explained, indent=2, ensure_ascii=False, default=str))


__all__ = ["JoseError", "decode", "explain", "render_json", "render_text"]
