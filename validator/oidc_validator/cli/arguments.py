"""Command-line arguments shared by the subcommands, defined without heavy imports so ``--help`` is fast.

``check`` and ``bundle`` take exactly the same onboarding inputs (``add_input_arguments``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from oidc_validator.bundle.limits import KEY_SOURCES, MAX_CERTIFICATES
from oidc_validator.net.options import FetchOptions, parse_resolve

DEFAULTS = FetchOptions()


def port_number(text: str) -> int:
    """argparse type for --port: 0-65535, so that 70000 is a usage error rather than an OverflowError from bind."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 0-65535")
    return port


RESOLVE_HELP = (
    "connect to ADDRESS for HOST:PORT instead of asking DNS, as curl --resolve does; TLS, the certificate check, Host and redirects "
    "keep HOST (repeatable; to check an IdP before its DNS is live, or one node behind a load balancer)"
)


def resolve_argument(text: str) -> str:
    """argparse type for --resolve: checked here so bad input is a one-line usage error; parsed again with the config file's."""
    try:
        parse_resolve(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_resolve_argument(group: argparse._ActionsContainer) -> None:
    group.add_argument("--resolve", action="append", type=resolve_argument, metavar="HOST:PORT:ADDRESS", help=RESOLVE_HELP)


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """Every input of the onboarding request. Defaults are None so that flags can win over the config file."""
    parser.add_argument("--config", metavar="FILE", help="onboarding.toml with the same fields (flags win)")
    request = parser.add_argument_group("onboarding request")
    request.add_argument("--idp-name", help="a label for the IdP")
    request.add_argument("--entity-id", help="the IdP's unique identifier (https URL or URN)")
    request.add_argument("--issuer", help="the issuer exactly as tokens carry it in iss")
    request.add_argument("--audience", action="append", help="the audience Qualys should accept (repeatable)")
    request.add_argument("--jwks-url", help="the JWKS URL (default: discovery's jwks_uri)")
    request.add_argument("--cert", action="append", metavar="FILE", help="a signing certificate, PEM or DER .cer (repeatable)")
    request.add_argument("--cert-kid", action="append", metavar="KID=FILE", help="pair a certificate file with the kid it signs under")
    request.add_argument("--external-id", help="the Qualys user's External ID")
    request.add_argument("--external-id-claim", metavar="CLAIM", help="the claim that carries the External ID (default: sub)")
    token = parser.add_argument_group("sample token (given)")
    source = token.add_mutually_exclusive_group()
    source.add_argument("--token", metavar="JWT", help="a sample token, or - to read it from stdin")
    source.add_argument("--token-file", metavar="FILE", help="a file holding a sample token")
    grant = parser.add_argument_group("sample tokens (obtained from the token endpoint found by discovery)")
    grant.add_argument("--client-id", help="client_credentials grant (or the client of the password grant)")
    grant.add_argument("--client-secret-env", metavar="VAR", help="environment variable holding the client secret")
    grant.add_argument("--username", help="password grant, as in the Okta example")
    grant.add_argument("--password-env", metavar="VAR", help="environment variable holding the password")
    grant.add_argument("--scope", help="scope of the password grant (default: 'openid profile')")
    net = parser.add_argument_group("network")
    net.add_argument("--ca-file", metavar="FILE", help="trust this CA (PEM) too, for private CAs")
    add_resolve_argument(net)
    net.add_argument("--connect-timeout-seconds", type=float, metavar="SECONDS", help=f"default {DEFAULTS.connect_timeout_seconds:g}")
    total_help = f"per fetch, redirects included; default {DEFAULTS.total_timeout_seconds:g}"
    net.add_argument("--total-timeout-seconds", type=float, metavar="SECONDS", help=total_help)
    net.add_argument("--max-body-bytes", type=int, metavar="BYTES", help=f"default {DEFAULTS.max_body_bytes}")
    net.add_argument("--max-redirects", type=int, metavar="N", help=f"default {DEFAULTS.max_redirects}")
    parser.add_argument("--now", metavar="ISO-TIME", help="check as of this time (default: the system clock)")


def add_bundle_arguments(parser: argparse.ArgumentParser) -> None:
    """The bundle-only options; the lead adds the ``check`` inputs (and ``--now``) to the same parser."""
    group = parser.add_argument_group("onboarding package")
    group.add_argument(
        "-o", "--output", metavar="FILE.zip", type=Path, help="where to write the zip (default: qualys-oidc-onboarding-<idp-name>.zip)"
    )
    group.add_argument(
        "--key-source",
        choices=KEY_SOURCES,
        help="send the JWKS URL or pinned certificates (default: the JWKS URL when keys rotate or there are several, else certificates)",
    )
    group.add_argument(
        "--use-kid",
        action="append",
        default=[],
        metavar="KID",
        help=f"a certificate to send and use for OIDC, by kid (repeatable, at most {MAX_CERTIFICATES}); implies --key-source certificates",
    )
    group.add_argument(
        "--include-token",
        action="store_true",
        help="also include the whole sample token; refused unless it has expired (a live token is a credential)",
    )
    group.add_argument(
        "--allow-errors", action="store_true", help="write the package even though checks found errors; REQUEST.md opens by listing them"
    )


def add_verify_bundle_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", metavar="FILE.zip", type=Path, help="the onboarding package to verify")
    parser.add_argument("--now", metavar="ISO-TIME", help="judge certificates and tokens as of this time (default: the system clock)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
