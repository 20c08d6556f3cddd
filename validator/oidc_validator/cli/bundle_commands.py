"""The ``bundle`` and ``verify-bundle`` subcommands, as functions ``validator.cli`` wires in.

``run_bundle`` gets the Context and the findings from the check pipeline (the same inputs and
checks as ``check``); it only decides whether a package may be written, and writes it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from oidc_validator.bundle.archive import write_zip
from oidc_validator.bundle.contents import BundleOptions, build_contents
from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.material import slug
from oidc_validator.bundle.verify.verifier import verify_bundle
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity
from oidc_validator.model.text import escape_text

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2


def default_output(ctx: Context) -> Path:
    name = ctx.inputs.idp_name or (urlsplit(ctx.inputs.issuer).hostname if ctx.inputs.issuer else None) or "idp"
    return Path(f"qualys-oidc-onboarding-{slug(name) or 'idp'}.zip")


def refuse_for_errors(headline: str, errors: Sequence[Finding], advice: str, err: TextIO) -> None:
    """Why no package was written: the headline, each error by code (its message escaped), then what to do."""
    print(headline, file=err)
    for finding in errors:
        print(f"  {finding.code}: {escape_text(finding.message)}", file=err)
    print(advice, file=err)


def options_from_args(args: argparse.Namespace, *, forbidden: Sequence[str] = ()) -> BundleOptions:
    return BundleOptions(
        key_source=args.key_source,
        use_kids=tuple(args.use_kid or ()),
        include_token=bool(args.include_token),
        allow_errors=bool(args.allow_errors),
        forbidden=tuple(forbidden),
    )


def run_bundle(
    ctx: Context,
    findings: Sequence[Finding],
    args: argparse.Namespace,
    *,
    forbidden: Sequence[str] = (),
    clock: datetime | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Write the package; 0 written, 1 errors found (nothing written), 2 cannot build (the message says why).

    ``forbidden``: the client secret and password this run used, if any, so the final guard can prove
    they are in no file. ``clock``: the real time, read once by the caller; ``ctx.now`` may be --now.
    """
    out, err = out or sys.stdout, err or sys.stderr
    errors = [f for f in findings if f.severity == Severity.ERROR]
    options = options_from_args(args, forbidden=forbidden)
    if errors and not options.allow_errors:
        refuse_for_errors(
            f"oidc-validator bundle: {len(errors)} error(s) found, no package written:",
            errors,
            "Fix them and run again, or pass --allow-errors to write the package anyway (REQUEST.md will list them).",
            err,
        )
        return EXIT_FINDINGS
    path: Path = args.output or default_output(ctx)
    try:
        contents = build_contents(ctx, findings, options, clock=clock)
        write_zip(path, contents, ctx.now)
    except BundleError as exc:
        print(f"oidc-validator bundle: {escape_text(exc.message)}", file=err)
        return EXIT_CANNOT_RUN
    if errors:
        print(f"warning: written with {len(errors)} error(s) remaining (--allow-errors); REQUEST.md lists them", file=err)
    print(escape_text(str(path)), file=out)
    return EXIT_OK


def render_verification(path: Path, findings: Sequence[Finding], fmt: str = "text") -> str:
    ok = not any(f.severity == Severity.ERROR for f in findings)
    if fmt == "json":
        return json.dumps({"ok": ok, "bundle": str(path), "findings": [f.to_json() for f in findings]}, indent=2)
    # Messages quote SHA256SUMS lines and zip entry names, which the bundle's author chose: a CR or an escape
    # sequence in one could redraw the screen to read "verified" while the exit code says otherwise.
    lines = [
        f"{escape_text(f.severity.value.upper()):7} {escape_text(f.code)}: {escape_text(f.message)}"
        + (f"\n        fix: {escape_text(f.fix)}" if f.severity != Severity.INFO else "")
        for f in findings
    ]
    lines.append(f"{escape_text(str(path))}: {'verified' if ok else 'NOT verified'}")
    return "\n".join(lines)


def run_verify_bundle(
    path: Path,
    *,
    now: datetime,
    clock: datetime | None = None,
    fmt: str = "text",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """0 the bundle can be trusted, 1 it cannot (findings say why), 2 no such file. ``clock``: the real time, beside --now."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        findings = verify_bundle(path, now=now, clock=clock)
    except BundleError as exc:
        print(f"oidc-validator verify-bundle: {escape_text(exc.message)}", file=err)
        return EXIT_CANNOT_RUN
    print(render_verification(path, findings, fmt), file=out)
    return EXIT_FINDINGS if any(f.severity == Severity.ERROR for f in findings) else EXIT_OK
