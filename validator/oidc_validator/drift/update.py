"""The follow-up package: the same rules as ``bundle`` (reproducible, secret-free, verify-bundle clean), plus
an ``update`` record in onboarding.json that says which package it updates and what changed.

REQUEST.md is derived from that record (bundle/render.py), so verify-bundle can derive it again and
Support reads exactly what the data says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from oidc_validator.bundle.archive import write_zip
from oidc_validator.bundle.contents import BundleOptions, build_contents
from oidc_validator.bundle.limits import KeySourceName
from oidc_validator.drift.package import Onboarded
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding


def _spoken(key_source: str) -> str:
    return "the JWKS URL" if key_source == "jwks_url" else "pinned certificates"


def update_record(before: Onboarded, changes: Sequence[Finding]) -> dict[str, Any]:
    """onboarding.json's ``update``: the package it replaces (by time and SHA-256) and what drift found."""
    return {
        "previous_generated_at": before.doc["generated_at"],
        "previous_sha256": before.sha256,
        "previous_key_source": before.key_source,
        "previous_issuer": before.issuer,
        "previous_audiences": list(before.audiences),
        "previous_jwks_url": before.jwks_url,
        "previous_kids": list(before.kids),
        "changes": [{"code": f.code, "severity": f.severity.value, "message": f.message} for f in changes],
    }


def write_update(
    path: Path,
    before: Onboarded,
    ctx: Context,
    check_findings: Sequence[Finding],
    changes: Sequence[Finding],
    *,
    use_kids: Sequence[str] = (),
    key_source: KeySourceName | None = None,
    allow_errors: bool = False,
    forbidden: Sequence[str] = (),
    clock: datetime | None = None,
) -> None:
    """Write the follow-up package from the live IdP; raises BundleError.

    The key source is the one Qualys was given, unless ``key_source`` (--key-source) or ``use_kids``
    (--use-kid, which means certificates, as in ``bundle``) asks for another.
    """
    onboarded: KeySourceName = "certificates" if before.key_source == "certificates" else "jwks_url"
    chosen: KeySourceName = key_source or ("certificates" if use_kids else onboarded)
    if chosen == onboarded:
        reason = f"the key source of the onboarded package ({_spoken(onboarded)}), kept for the update"
    else:
        flag = "--key-source" if key_source else "--use-kid"
        reason = f"switched from {_spoken(onboarded)} to {_spoken(chosen)} with {flag}"
    options = BundleOptions(
        key_source=chosen, use_kids=tuple(use_kids), allow_errors=allow_errors, forbidden=tuple(forbidden), key_source_reason=reason
    )
    contents = build_contents(ctx, check_findings, options, clock=clock, update=update_record(before, changes))
    write_zip(path, contents, ctx.now)
