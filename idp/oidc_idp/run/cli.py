"""``oidc-idp``: serve the test IdP, manage its keys, mint tokens offline."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from oidc_idp import __version__
from oidc_idp.config import DEFAULT_AUDIENCE, DEFAULT_SPA_CLIENT_ID, IdpConfig, build_config, default_clients, default_issuer, read_toml
from oidc_idp.core.clock import Clock, clock_from_values
from oidc_idp.core.discovery import enabled_endpoints
from oidc_idp.core.tokens import ACCESS_TOKEN_TYP, compose_claims, registered_claims, sign
from oidc_idp.errors import ConfigError, IdpError
from oidc_idp.keys.keygen import ALGORITHMS, Algorithm
from oidc_idp.keys.keystore import KeyStore
from oidc_idp.run.server import bind, print_ready, ready_event, serve_forever
from oidc_idp.variants.profiles import BY_NAME as PROFILES
from oidc_validator.cli.arguments import port_number  # the project's one --port rule, for both commands

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
STATEFUL_GRANTS = ("authorization_code", "refresh_token")


class _Terminated(Exception):
    """SIGTERM arrived: leave through the same clean-up as Ctrl-C."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="oidc-idp", description="A test OpenID Connect identity provider for Qualys OIDC onboarding tests.")
    parser.add_argument("--version", action="version", version=f"oidc-idp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = commands.add_parser("serve", help="serve discovery, JWKS, token, userinfo and (when configured) the code flow endpoints")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=port_number, default=8000, help="port; 0 picks a free one (default: 8000)")
    serve.add_argument("--issuer", help="issuer URL; every endpoint URL derives from it (default: from host and port)")
    serve.add_argument("--keys-dir", type=Path, help="where signing keys persist (default: a fresh temporary directory)")
    serve.add_argument("--alg", choices=ALGORITHMS, help="signing algorithm (default: RS256)")
    serve.add_argument("--config", type=Path, help="TOML config: issuer, lifetimes, clients, users")
    serve.add_argument("--workers", type=int, default=1, help="worker processes sharing the keys (default: 1)")
    serve.add_argument("--tls", action="store_true", help="serve HTTPS with a local CA kept in the keys directory")
    serve.add_argument(
        "--scenario", action="append", default=[], metavar="NAME", help="play a misconfiguration (repeatable; see 'oidc-idp scenarios')"
    )
    serve.add_argument("--profile", choices=list(PROFILES), help="shape issuer, paths, JWKS and claims like a vendor (default: generic)")
    serve.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--clock", metavar="ISO8601", help="freeze the IdP's clock, e.g. 2026-01-01T00:00:00Z (every timestamp it writes)")
    serve.add_argument("--clock-offset", type=int, metavar="SECONDS", help="shift the IdP's clock by SECONDS (negative: the past)")
    serve.add_argument(
        "--rotate-every", type=int, metavar="SECONDS", help="rotate the signing key every SECONDS by the IdP's clock (default: never)"
    )
    serve.add_argument(
        "--rotation-overlap",
        type=int,
        metavar="SECONDS",
        help="keep a replaced key in the JWKS for SECONDS after the rotation, then retire it (default: one --rotate-every period)",
    )
    serve.add_argument("--admin", action="store_true", help="enable the run-time control API under /_admin (loopback only, one worker)")
    serve.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        metavar="URI",
        help="one more exact redirect URI for the default clients, e.g. http://app:3000/callback (repeatable; loopback URIs need none)",
    )
    serve.add_argument(
        "--login-user", metavar="NAME", help="log NAME in without the login page, for CI without a browser (default: the page asks)"
    )

    keys = commands.add_parser("keys", help="list, rotate and retire signing keys").add_subparsers(
        dest="keys_command", required=True, parser_class=_Parser
    )
    listing = keys.add_parser("list", help="kid, alg, created, certificate expiry and status of every key")
    listing.add_argument("--keys-dir", type=Path, required=True)
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    rotate = keys.add_parser("rotate", help="make a new signing key active; earlier keys stay published")
    rotate.add_argument("--keys-dir", type=Path, required=True)
    rotate.add_argument("--alg", choices=ALGORITHMS, action="append", help="algorithm to rotate (repeatable; default: every active one)")
    rotate.add_argument("--cert-validity-days", type=int, default=365)
    retire = keys.add_parser("retire", help="stop publishing a key (it stays on disk)")
    retire.add_argument("kid")
    retire.add_argument("--keys-dir", type=Path, required=True)

    scenarios = commands.add_parser("scenarios", help="list the misconfiguration scenarios and what each breaks")
    scenarios.add_argument("--markdown", action="store_true", help="print docs/scenarios.md (scenarios and vendor profiles)")

    token = commands.add_parser("token", help="print a JWT signed by a key of the keys directory, offline")
    token.add_argument("--keys-dir", type=Path, required=True)
    token.add_argument("--issuer", required=True)
    token.add_argument("--sub", required=True)
    token.add_argument("--aud", action="append", help=f"audience, repeatable (default: {DEFAULT_AUDIENCE})")
    token.add_argument(
        "--claim", action="append", default=[], metavar="NAME=VALUE", help="extra claim; VALUE is JSON if it parses, else a string"
    )
    token.add_argument("--ttl", type=int, default=3600, metavar="SECONDS")
    token.add_argument("--kid", help="sign with this key (default: the active key of --alg)")
    token.add_argument("--alg", choices=ALGORITHMS, default="RS256")
    token.add_argument("--typ", default=ACCESS_TOKEN_TYP, help="JOSE header typ (default: at+jwt)")
    return parser


def _serve(args: argparse.Namespace) -> int:
    values: dict[str, Any] = read_toml(args.config) if args.config else {}
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if args.admin or values.get("admin_enabled") is True:
        from oidc_idp.web.admin import check_admin_allowed  # FastAPI's module: only when the control API is asked for

        # The same guard whether the config file or the flag asks for the control API.
        check_admin_allowed(args.host, args.workers)
        values["admin_enabled"] = True
    temporary = None
    keys_dir = args.keys_dir or (Path(values["keys_dir"]) if "keys_dir" in values else None)
    if keys_dir is None:
        temporary = Path(tempfile.mkdtemp(prefix="oidc-idp-keys-"))
        keys_dir = temporary
    if args.clock is not None:
        values["clock_fixed"] = args.clock
    if args.clock_offset is not None:
        values["clock_offset_seconds"] = args.clock_offset
    if args.rotate_every is not None:
        values["rotate_every_seconds"] = args.rotate_every
    if args.rotation_overlap is not None:
        values["rotation_overlap_seconds"] = args.rotation_overlap
    try:
        early = clock_from_values(values)
        listener = bind(args.host, args.port, tls_dir=keys_dir / "tls" if args.tls else None, clock=early)
        if args.profile:
            values["profile"] = args.profile
        values.update({"issuer": args.issuer or values.get("issuer") or default_issuer(values, listener.base_url), "keys_dir": keys_dir})
        if args.alg:
            values["alg"] = args.alg
        if args.scenario:
            values["scenarios"] = [*values.get("scenarios", []), *args.scenario]
        _apply_code_flow_flags(args, values)
        config = build_config(values)
        clock = Clock(config.clock_fixed, config.clock_offset_seconds)
        # Generate before any worker starts, so every worker loads the same keys.
        KeyStore(config.keys_dir).ensure((config.alg,), now=clock.now(), validity_days=config.cert_validity_days)
        if config.is_default_demo():
            _demo_banner(config)
        if args.workers > 1 and any(c.grant_enabled(g) for c in config.issuer_configs() for g in STATEFUL_GRANTS):
            print(
                "note: login sessions, codes, refresh tokens and revocations live in each worker's memory;"
                " use --workers 1 for the code flow, refresh tokens and revocation",
                file=sys.stderr,
                flush=True,
            )
        event = ready_event(config, listener)
        # uvicorn hands SIGTERM back to the handler it found once it has shut down: this one ends the
        # process through the finally below, where the default handler would end it before (keys left in /tmp).
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
        try:
            serve_forever(config, listener, workers=args.workers, on_ready=lambda: print_ready(event), log_level=args.log_level)
        except _Terminated:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    return EXIT_OK


def _redirect_uri(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise ConfigError(f"--redirect-uri {uri!r} must be an absolute http(s) URL without a fragment", code="bad_redirect_uri")
    return uri


def _apply_code_flow_flags(args: argparse.Namespace, values: dict[str, Any]) -> None:
    """--redirect-uri adds to the default clients; --login-user is the config's default_login_user."""
    if args.redirect_uri:
        if "clients" in values:
            raise ConfigError("--redirect-uri adds to the default clients; the config lists its own: put redirect_uris in their tables")
        values["clients"] = default_clients(tuple(_redirect_uri(u) for u in args.redirect_uri))
    if args.login_user is not None:
        if not args.login_user.strip():
            raise ConfigError("--login-user needs a username")
        values["default_login_user"] = args.login_user.strip()


def _code_flow_lines(config: IdpConfig) -> list[str]:
    if "authorize" not in enabled_endpoints(config):
        return []
    client = config.clients[0]
    extra = "".join(f", {u}" for u in client.redirect_uris)
    login = (
        f"everyone is logged in as {config.default_login_user!r}, no page (--login-user)"
        if config.default_login_user
        else "a page asks who (or send login_hint; --login-user NAME skips the page)"
    )
    return [
        f"  web apps (code flow): point any OIDC library at {config.issuer} (discovery: {config.endpoint_url('discovery')})",
        f"    {client.client_id} / {client.client_secret}: confidential, PKCE optional (checked when sent)",
        f"    {DEFAULT_SPA_CLIENT_ID}: public single-page app, no secret, PKCE S256 required",
        f"    redirect URIs: http(s)://localhost, 127.0.0.1 or [::1], any port and path{extra}",
        "      e.g. http://localhost:3000/callback; the same for post_logout_redirect_uri; CORS from those origins",
        f"    login: {login}",
    ]


def _demo_banner(config: IdpConfig) -> None:
    client, user = config.clients[0], config.users[0]
    token_url = config.endpoint_url("token")
    # What the access tokens really carry: a vendor profile may set its own aud.
    audience = config.vendor.access_audience(client.audience, client_id=client.client_id, issuer=config.issuer, tenant_id=config.tenant_id)
    print(
        "\n".join(
            [
                "=" * 72,
                "  TEST-ONLY CREDENTIALS: this IdP is for tests. Never use these anywhere real.",
                f"  client: {client.client_id} / {client.client_secret}   user: {user.username} / {user.password}",
                f"  audience: {audience}   issuer: {config.issuer}",
                *_code_flow_lines(config),
                "  get a token (client_credentials):",
                f"    curl -s -u {client.client_id}:{client.client_secret} -d grant_type=client_credentials {token_url}",
                "  get a token (password grant, as in the Okta example):",
                f"    curl -s -u {client.client_id}:{client.client_secret} -d grant_type=password -d username={user.username} \\",
                f"         -d password={user.password} --data-urlencode 'scope=openid profile' {token_url}",
                "=" * 72,
            ]
        ),
        file=sys.stderr,
        flush=True,
    )


def _keys_list(args: argparse.Namespace) -> int:
    store = KeyStore(args.keys_dir)
    keyset, records = store.load(), store.records()
    rows = []
    for record in records:
        key = keyset.by_kid(record.kid)
        expires = key.certificate.not_valid_after_utc.isoformat() if key else "?"
        rows.append({**record.to_json(), "cert_not_after": expires})
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print(f"no keys in {args.keys_dir}")
    else:
        header = ("KID", "ALG", "CREATED", "CERT EXPIRES", "STATUS")
        table = [header] + [(r["kid"], r["alg"], r["created"], r["cert_not_after"], r["status"]) for r in rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for row in table:
            print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return EXIT_OK


def _keys_rotate(args: argparse.Namespace) -> int:
    algs: tuple[Algorithm, ...] | None = tuple(args.alg) if args.alg else None
    for record in KeyStore(args.keys_dir).rotate(algs, now=datetime.now(UTC), validity_days=args.cert_validity_days):
        print(f"active: {record.kid} ({record.alg}); previous keys stay published until 'oidc-idp keys retire KID'")
    return EXIT_OK


def _keys_retire(args: argparse.Namespace) -> int:
    record = KeyStore(args.keys_dir).retire(args.kid)
    print(f"retired: {record.kid}; it is no longer in the JWKS")
    return EXIT_OK


def _claim_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _token(args: argparse.Namespace) -> int:
    keyset = KeyStore(args.keys_dir).load()
    key = keyset.by_kid(args.kid) if args.kid else keyset.active(args.alg)
    if key is None:
        known = ", ".join(k.kid for k in keyset.keys) or "none"
        wanted = f"key {args.kid!r}" if args.kid else f"active {args.alg} key"
        raise IdpError(
            f"no {wanted} in {args.keys_dir} (keys: {known}); create one with 'oidc-idp keys rotate --keys-dir DIR --alg ALG'",
            code="no_signing_key",
        )
    extra: dict[str, Any] = {}
    for item in args.claim:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ConfigError(f"--claim wants NAME=VALUE, got {item!r}", code="bad_claim")
        extra[name] = _claim_value(value)
    aud: str | list[str] = args.aud[0] if args.aud and len(args.aud) == 1 else (args.aud or DEFAULT_AUDIENCE)
    claims = compose_claims(
        registered_claims(issuer=args.issuer, sub=args.sub, aud=aud, now=Clock().timestamp(), ttl_seconds=args.ttl), extra
    )
    if key.record.status == "retired":
        print(f"note: {key.kid} is retired; verifiers using the JWKS will reject this token", file=sys.stderr)
    print(sign(claims, key, typ=args.typ))
    return EXIT_OK


def _scenarios(args: argparse.Namespace) -> int:
    from oidc_idp.variants.scenarios import SCENARIOS

    if args.markdown:
        from oidc_idp.variants.docs import scenarios_markdown

        sys.stdout.write(scenarios_markdown())
        return EXIT_OK

    width = max(len(s.name) for s in SCENARIOS)
    for scenario in SCENARIOS:
        print(f"{scenario.name.ljust(width)}  [{scenario.scope}] {scenario.breaks}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"serve": _serve, "token": _token, "scenarios": _scenarios}.get(args.command) or {
        "list": _keys_list,
        "rotate": _keys_rotate,
        "retire": _keys_retire,
    }[args.keys_command]
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"oidc-idp: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IdpError as exc:
        print(f"oidc-idp: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
