"""The ``drift`` subcommand: the onboarded package against the live IdP, then the follow-up package on request.

Exit codes: 0 nothing breaks and nothing will within --warn-days; 1 something breaks or will (an
error or a warning); 2 could not run (the package does not verify, bad flags, the update refused).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from oidc_validator.bundle.errors import BundleError
from oidc_validator.cli.bundle_commands import refuse_for_errors
from oidc_validator.drift.compare import compare, live_from_context
from oidc_validator.drift.package import Onboarded
from oidc_validator.drift.report import breaks, drift_values, render_html, render_json, render_text
from oidc_validator.drift.update import write_update
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity
from oidc_validator.model.text import escape_text

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2


def package_defaults(before: Onboarded) -> dict[str, Any]:
    """The onboarding request's values as the package recorded them; flags and --config win over them."""
    doc = before.doc
    defaults: dict[str, Any] = {
        "idp_name": doc.get("idp_name"),
        "entity_id": doc.get("entity_id"),
        "issuer": before.issuer,
        "audience": list(before.audiences) or None,
        "external_id": doc.get("external_id"),
        "external_id_claim": doc.get("mapping_claim"),
    }
    if before.issuer is None:
        # Without an issuer there is no discovery to announce the key set: read the one Qualys was given.
        defaults["jwks_url"] = before.jwks_url
    return {key: value for key, value in defaults.items() if value is not None}


def run_drift(
    args: argparse.Namespace,
    before: Onboarded,
    ctx: Context,
    check_findings: Sequence[Finding],
    *,
    forbidden: Sequence[str] = (),
    clock: datetime | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    if args.warn_days < 0:
        print("oidc-validator drift: --warn-days must be 0 or more", file=err)
        return EXIT_CANNOT_RUN
    if args.update_bundle is None and (args.key_source or args.use_kid):
        print(
            "oidc-validator drift: --key-source and --use-kid choose what the follow-up package sends; add --update-bundle OUT.zip",
            file=err,
        )
        return EXIT_CANNOT_RUN
    if args.update_bundle is not None and _same_file(args.update_bundle, before.path):
        # The onboarded package is the record of what Qualys holds; the follow-up must not replace it.
        print("oidc-validator drift: --update-bundle names the onboarded package itself; write the follow-up to another file", file=err)
        return EXIT_CANNOT_RUN
    live = live_from_context(ctx)
    findings = compare(before, live, warn_days=args.warn_days)
    values = drift_values(before, live)
    refused = False
    if args.update_bundle is not None:
        refused = _update(args, before, ctx, check_findings, findings, forbidden=forbidden, clock=clock, err=err) != EXIT_OK
        if not refused:
            values["update_bundle"] = str(args.update_bundle)
    # The comparison ran either way: a refused follow-up package (said on stderr) does not hide what drifted.
    out.write(_render(args.format, findings, values, before, live))
    if refused:
        return EXIT_CANNOT_RUN
    return EXIT_FINDINGS if breaks(findings) else EXIT_OK


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve() or (one.exists() and one.samefile(other))
    except OSError:
        return False


def _render(fmt: str, findings: Sequence[Finding], values: Mapping[str, Any], before: Onboarded, live: Any) -> str:
    if fmt == "json":
        return render_json(findings, values) + "\n"
    if fmt == "html":
        return render_html(findings, values, before, live)
    return render_text(findings, values)


def _update(
    args: argparse.Namespace,
    before: Onboarded,
    ctx: Context,
    check_findings: Sequence[Finding],
    changes: Sequence[Finding],
    *,
    forbidden: Sequence[str],
    clock: datetime | None,
    err: TextIO,
) -> int:
    errors = [f for f in check_findings if f.severity is Severity.ERROR]
    if errors and not args.allow_errors:
        refuse_for_errors(
            f"oidc-validator drift: the live IdP has {len(errors)} check error(s), so no follow-up package was written:",
            errors,
            "Fix them (oidc-validator check shows each with its fix), or pass --allow-errors to write the package anyway.",
            err,
        )
        return EXIT_CANNOT_RUN
    try:
        write_update(
            args.update_bundle,
            before,
            ctx,
            check_findings,
            changes,
            use_kids=args.use_kid,
            key_source=args.key_source,
            allow_errors=args.allow_errors,
            forbidden=forbidden,
            clock=clock,
        )
    except BundleError as exc:
        print(f"oidc-validator drift: no follow-up package written: {escape_text(exc.message)}", file=err)
        return EXIT_CANNOT_RUN
    return EXIT_OK
