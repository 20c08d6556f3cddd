"""``oidc-validator``: check an IdP before onboarding, inspect a token, print the check catalogue.

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 could not run. A run that cannot
start prints one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from . import __version__
from .errors import UsageError, ValidatorError
from .findings import Finding, Severity
from .inputs import Environment, add_input_arguments, given_tokens, resolve
from .model import Context

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2
PROG = "oidc-validator"


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so every usage error is one line."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Pre-onboarding self-check of an OpenID Connect IdP for Qualys API authentication.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser("check", help="check the onboarding request against the IdP and sample tokens")
    add_input_arguments(check)  # a bundle command takes exactly these inputs too, then calls checked()
    check.add_argument("--format", choices=("text", "json"), default="text", help="report format (default: text)")

    inspect = commands.add_parser("inspect", help="decode and explain a token without verifying it")
    source = inspect.add_mutually_exclusive_group()
    source.add_argument("token", nargs="?", metavar="TOKEN", help="the token, or - to read it from stdin")
    source.add_argument("--token-file", metavar="FILE", help="a file holding the token")
    inspect.add_argument("--external-id-claim", default="sub", metavar="CLAIM", help="the claim mapped to the External ID (default: sub)")
    inspect.add_argument("--now", metavar="ISO-TIME", help="explain times relative to this instant (default: the system clock)")
    inspect.add_argument("--format", choices=("text", "json"), default="text")

    commands.add_parser("catalogue", help="print every check (code, severity, meaning, fix) as Markdown (docs/checks.md)")
    return parser


def checked(args: argparse.Namespace, env: Environment) -> tuple[Context, list[Finding]]:
    """The check pipeline: flags -> inputs -> observations -> findings. A ``bundle`` command reuses it unchanged."""
    from . import observe
    from .checks import run_checks

    ctx = observe.context(resolve(args, env))
    return ctx, list(run_checks(ctx))


def _run_check(args: argparse.Namespace, env: Environment, out: TextIO) -> int:
    from .report import onboarding_values, render_json, render_text, use_colour

    ctx, findings = checked(args, env)
    values = onboarding_values(ctx)
    if args.format == "json":
        out.write(render_json(findings, values) + "\n")
    else:
        out.write(render_text(findings, values, colour=use_colour(out)))
    return EXIT_OK if all(f.severity is not Severity.ERROR for f in findings) else EXIT_FINDINGS


def _run_inspect(args: argparse.Namespace, env: Environment, out: TextIO) -> int:
    from .inputs import parse_now
    from .inspect import JoseError, decode, explain, render_json, render_text

    if args.token is None and args.token_file is None:
        raise UsageError("inspect needs a TOKEN, - for stdin, or --token-file FILE")
    values = {"token": args.token} if args.token is not None else {"token_file": args.token_file}
    (token,) = given_tokens(values, env)
    try:
        jws = decode(token.raw)
    except JoseError as exc:
        print(f"{PROG} inspect: not a compact JWS: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    explained = explain(jws, external_id_claim=args.external_id_claim, now=parse_now(args.now, env))
    out.write(render_json(explained) + "\n" if args.format == "json" else render_text(explained))
    return EXIT_OK


def _run_catalogue(out: TextIO) -> int:
    from .checks import CATALOGUE
    from .report import catalogue_markdown

    out.write(catalogue_markdown(CATALOGUE))
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
        return _run_catalogue(out)
    except ValidatorError as exc:
        print(f"{PROG}: {exc.message}" if not exc.message.startswith(PROG) else exc.message, file=sys.stderr)
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
