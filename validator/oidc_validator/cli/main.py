"""``oidc-validator``: check an IdP, write and verify the onboarding package, simulate the Qualys side, inspect a token.

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 could not run. A run that cannot
start prints one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from oidc_validator import __version__
from oidc_validator.cli.arguments import (
    add_bundle_arguments,
    add_input_arguments,
    add_resolve_argument,
    add_verify_bundle_arguments,
    port_number,
)
from oidc_validator.errors import UsageError, ValidatorError
from oidc_validator.model.findings import Finding, Severity
from oidc_validator.model.text import escape_text
from oidc_validator.observe.environment import Environment

if TYPE_CHECKING:
    from oidc_validator.model.context import Context
    from oidc_validator.observe.inputs import RunConfig

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2
PROG = "oidc-validator"
SIMULATE_HELP = "also present the sample tokens to an in-process Qualys-side stand-in configured from the package; report its verdict"


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so every usage error is one line."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Pre-onboarding self-check of an OpenID Connect IdP for Qualys API authentication.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser("check", help="check the onboarding request against the IdP and sample tokens")
    add_input_arguments(check)  # bundle takes exactly these inputs too, then calls checked()
    check.add_argument("--format", choices=("text", "json", "html"), default="text", help="report format (default: text)")
    check.add_argument("--simulate", action="store_true", help=SIMULATE_HELP)

    bundle = commands.add_parser("bundle", help="run every check and write the onboarding package (zip) for Qualys Support")
    add_input_arguments(bundle)
    add_bundle_arguments(bundle)
    bundle.add_argument("--simulate", action="store_true", help=SIMULATE_HELP)

    verify = commands.add_parser("verify-bundle", help="check an onboarding package: checksums, schema, and the key checks again")
    add_verify_bundle_arguments(verify)

    simulate = commands.add_parser("simulate", help="serve a Qualys API stand-in configured from an onboarding package")
    simulate.add_argument("--bundle", required=True, type=Path, metavar="FILE.zip", help="the onboarding package (verified first)")
    simulate.add_argument("--user", action="append", default=[], metavar="EXTERNAL_ID=LOGIN", help="a Qualys user (repeatable)")
    simulate.add_argument("--users-file", type=Path, metavar="FILE", help="EXTERNAL_ID=LOGIN lines (# comments)")
    simulate.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    simulate.add_argument("--port", type=port_number, default=8443, help="port; 0 picks a free one (default: 8443)")
    simulate.add_argument("--ca-file", type=Path, metavar="FILE", help="trust this CA (PEM) when fetching the JWKS URL")
    add_resolve_argument(simulate)
    simulate.add_argument("--leeway-seconds", type=int, default=60, help="clock skew allowed on exp and nbf (default: 60)")
    simulate.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="info logs every decision, warning only refusals (for load tests) (default: info)",
    )

    inspect = commands.add_parser("inspect", help="decode and explain a token without verifying it")
    source = inspect.add_mutually_exclusive_group()
    source.add_argument("token", nargs="?", metavar="TOKEN", help="the token, or - to read it from stdin")
    source.add_argument("--token-file", metavar="FILE", help="a file holding the token")
    inspect.add_argument("--external-id-claim", default="sub", metavar="CLAIM", help="the claim mapped to the External ID (default: sub)")
    inspect.add_argument("--now", metavar="ISO-TIME", help="explain times relative to this instant (default: the system clock)")
    inspect.add_argument("--format", choices=("text", "json"), default="text")

    drift = commands.add_parser("drift", help="compare the live IdP with the onboarded package; warn before Qualys rejects tokens")
    drift.add_argument("--bundle", required=True, type=Path, metavar="ONBOARDED.zip", help="the package Qualys Support was sent")
    add_input_arguments(drift)  # the package's values are the defaults; flags and --config win
    drift.add_argument(
        "--warn-days", type=int, default=30, metavar="DAYS", help="warn this long before a pinned certificate expires (default: 30)"
    )
    drift.add_argument(
        "--format", choices=("text", "json", "html"), default="text", help="text is one line when nothing changed (default: text)"
    )
    drift.add_argument("--update-bundle", type=Path, metavar="OUT.zip", help="also write the follow-up package for Qualys Support")
    drift.add_argument(
        "--use-kid", action="append", default=[], metavar="KID", help="with --update-bundle in certificate mode: the certificates to send"
    )
    drift.add_argument(
        "--key-source",
        choices=("jwks_url", "certificates"),
        help="with --update-bundle: send this key source instead of the onboarded one (jwks_url suits an IdP that rotates often)",
    )
    drift.add_argument("--allow-errors", action="store_true", help="write the follow-up package even though the live checks found errors")

    commands.add_parser("catalogue", help="print every check (code, severity, meaning, fix) as Markdown (docs/checks.md)")
    return parser


def checked(
    args: argparse.Namespace, env: Environment, defaults: Mapping[str, Any] | None = None
) -> tuple[RunConfig, Context, list[Finding]]:
    """The check pipeline: flags -> inputs -> observations -> findings (and the stand-in's verdict with --simulate).

    ``defaults``: values under the config file and the flags (drift's onboarded package).
    """
    from oidc_validator.checks.run import run_checks
    from oidc_validator.observe import collect as observe
    from oidc_validator.observe.inputs import resolve

    config = resolve(args, env, defaults)
    ctx = observe.context(config)
    findings = list(run_checks(ctx))
    if getattr(args, "simulate", False):
        from oidc_validator.simulate.preview import simulate_findings

        findings += simulate_findings(ctx, findings, fetch=config.fetch)
    return config, ctx, findings


def _run_check(args: argparse.Namespace, env: Environment, out: TextIO) -> int:
    from oidc_validator.report.render import onboarding_values, render_json, render_text, use_colour

    _, ctx, findings = checked(args, env)
    values = onboarding_values(ctx)
    if args.format == "json":
        out.write(render_json(findings, values) + "\n")
    elif args.format == "html":
        from oidc_validator.report.html import render_check_html

        out.write(render_check_html(ctx, findings))
    else:
        out.write(render_text(findings, values, colour=use_colour(out)))
    return EXIT_OK if all(f.severity is not Severity.ERROR for f in findings) else EXIT_FINDINGS


def _run_inspect(args: argparse.Namespace, env: Environment, out: TextIO) -> int:
    from oidc_validator.observe.inputs import given_tokens, parse_now
    from oidc_validator.report.inspect import JoseError, decode, explain, render_json, render_text

    if args.token is None and args.token_file is None:
        raise UsageError("inspect needs a TOKEN, - for stdin, or --token-file FILE")
    values = {"token": args.token} if args.token is not None else {"token_file": args.token_file}
    (token,) = given_tokens(values, env)
    try:
        jws = decode(token.raw)
    except JoseError as exc:
        print(f"{PROG} inspect: not a compact JWS: {escape_text(str(exc))}", file=sys.stderr)
        return EXIT_FINDINGS
    explained = explain(jws, external_id_claim=args.external_id_claim, now=parse_now(args.now, env))
    out.write(render_json(explained) + "\n" if args.format == "json" else render_text(explained))
    return EXIT_OK


def _run_bundle(args: argparse.Namespace, env: Environment, out: TextIO) -> int:
    from oidc_validator.cli.bundle_commands import run_bundle
    from oidc_validator.net.obtain import secret_forms

    config, ctx, findings = checked(args, env)
    # The real clock beside ctx.now (--now): a token is bundled only when dead by both.
    clock = env.clock()
    return run_bundle(ctx, findings, args, forbidden=secret_forms(config.grant) if config.grant else (), clock=clock, out=out)


def _run_verify_bundle(args: argparse.Namespace, env: Environment, out: TextIO) -> int:
    from oidc_validator.cli.bundle_commands import run_verify_bundle
    from oidc_validator.observe.inputs import parse_now

    return run_verify_bundle(args.bundle, now=parse_now(args.now, env), clock=env.clock(), fmt=args.format, out=out)


def _run_drift(args: argparse.Namespace, env: Environment, out: TextIO) -> int:
    from oidc_validator.cli.drift_command import package_defaults, run_drift
    from oidc_validator.drift.package import read_onboarded
    from oidc_validator.net.obtain import secret_forms

    before = read_onboarded(args.bundle)
    config, ctx, findings = checked(args, env, package_defaults(before))
    forbidden = secret_forms(config.grant) if config.grant else ()
    return run_drift(args, before, ctx, findings, forbidden=forbidden, clock=env.clock(), out=out)


def _run_simulate(args: argparse.Namespace, env: Environment) -> int:
    from dataclasses import replace

    from oidc_validator.net.options import FetchOptions
    from oidc_validator.observe.inputs import parse_now, resolve_entries
    from oidc_validator.simulate.config import load_bundle, parse_users
    from oidc_validator.simulate.serve import serve

    users = parse_users(args.user, args.users_file)
    if not users:
        raise UsageError("simulate needs at least one --user EXTERNAL_ID=LOGIN (or --users-file): Qualys maps every token to a user")
    config = load_bundle(
        args.bundle, users, now=parse_now(None, env), fetch=FetchOptions(ca_file=args.ca_file, resolve=resolve_entries(args.resolve))
    )
    # Each decision (never the token) is logged on stderr, as a Qualys-side audit trail would be.
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a server is meant to stop
        serve(replace(config, leeway_seconds=args.leeway_seconds), host=args.host, port=args.port, log_level=args.log_level)
    return EXIT_OK


def _run_catalogue(out: TextIO) -> int:
    from oidc_validator.bundle.codes import BUNDLE_CATALOGUE
    from oidc_validator.checks.run import CATALOGUE
    from oidc_validator.drift.codes import DRIFT_CATALOGUE
    from oidc_validator.report.render import catalogue_markdown
    from oidc_validator.simulate.preview import SIMULATE_CATALOGUE

    out.write(catalogue_markdown([*CATALOGUE, *SIMULATE_CATALOGUE, *BUNDLE_CATALOGUE, *DRIFT_CATALOGUE]))
    return EXIT_OK


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    env = env or Environment()
    out = sys.stdout
    try:
        args = build_parser().parse_args(argv)
        if args.command == "check":
            return _run_check(args, env, out)
        if args.command == "inspect":
            return _run_inspect(args, env, out)
        if args.command == "bundle":
            return _run_bundle(args, env, out)
        if args.command == "verify-bundle":
            return _run_verify_bundle(args, env, out)
        if args.command == "simulate":
            return _run_simulate(args, env)
        if args.command == "drift":
            return _run_drift(args, env, out)
        return _run_catalogue(out)
    except ValidatorError as exc:
        # Messages echo flags, file names and file contents: escaped so that the one line stays one harmless line.
        message = escape_text(exc.message)
        print(f"{PROG}: {message}" if not message.startswith(PROG) else message, file=sys.stderr)
        return EXIT_CANNOT_RUN
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except Exception as exc:
        if os.environ.get("OIDC_VALIDATOR_DEBUG"):
            raise
        # A bug must still not print a traceback that could carry a token or a secret from a local variable.
        print(f"{PROG}: internal error ({type(exc).__name__}); set OIDC_VALIDATOR_DEBUG=1 for details", file=sys.stderr)
        return EXIT_CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main())
