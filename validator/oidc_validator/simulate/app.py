"""The stand-in as an ASGI app: every API path requires ``Authorization: Bearer <jwt>``.

Plain Starlette: one catch-all route needs none of FastAPI's validation or dependency
machinery, which cost 20 to 35 µs a request here (FastAPI 0.165, measured in-process),
more than verifying an RS256 signature (about 20 µs).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oidc_validator.crypto.jose import JoseError, split_compact
from oidc_validator.model.text import escape_text, terminal_json
from oidc_validator.simulate.config import StandInConfig
from oidc_validator.simulate.decide import Decision, decide_parsed
from oidc_validator.simulate.keyring import CertificateKeys, JwksKeys, Keyring
from oidc_validator.simulate.responses import FAMILIES, family_of

log = logging.getLogger("oidc_validator.simulate")


def keyring_for(config: StandInConfig) -> Keyring:
    if config.key_source == "certificates":
        return CertificateKeys(config.certificate_jwks)
    assert config.jwks_url is not None
    return JwksKeys(config.jwks_url, config.fetch, min_refresh_seconds=config.jwks_min_refresh_seconds)


MAX_CHALLENGE_DESCRIPTION = 200


def _challenge(decision: Decision) -> str:
    # RFC 6750 section 3: error_description allows %x20-21 / %x23-5B / %x5D-7E only. The description
    # quotes the token's own header values (any JSON): a double quote becomes a single one, anything
    # else outside the set '?', and it is capped. The JSON body keeps the full text.
    text = f"{decision.reason}: {decision.description}"[:MAX_CHALLENGE_DESCRIPTION].replace('"', "'")
    safe = "".join(c if " " <= c <= "~" and c != "\\" else "?" for c in text)
    return f'Bearer error="invalid_token", error_description="{safe}"'


def _unauthorized(description: str, *, challenge: str) -> Response:
    return JSONResponse(
        {"error": "invalid_token", "error_description": description}, status_code=401, headers={"WWW-Authenticate": challenge}
    )


def create_stand_in_app(config: StandInConfig, *, keyring: Keyring | None = None, clock: Callable[[], float] = time.time) -> Starlette:
    keys = keyring or keyring_for(config)
    decisions: deque[Decision] = deque(maxlen=100)  # the last decisions, for tests and the --simulate report

    async def index(_: Request) -> Response:
        return JSONResponse({"stand_in": "Qualys API", "issuer": config.issuer, "families": [f.prefix for f in FAMILIES]})

    async def api(request: Request) -> Response:
        path: str = request.scope["path"]
        # The path is percent-decoded client input: logged quoted and escaped (terminal_json), as a CR or an
        # ANSI escape in it would rewrite log lines and a bare " -> accepted as" in it would forge one.
        shown = terminal_json(path)
        family = family_of(path)
        if family is None:
            return JSONResponse({"error": "not_found", "error_description": "not a Qualys API path"}, status_code=404)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            log.warning("%s %s -> no bearer token", escape_text(request.method), shown)
            return _unauthorized("a Bearer JWT is required", challenge='Bearer realm="qualys"')
        try:
            jws = split_compact(token.strip(), max_bytes=config.max_token_bytes)
        except JoseError as exc:
            decision = Decision(False, "malformed", f"not a compact JWS: {exc}")
        else:
            header_kid = jws.header.get("kid")
            kid = header_kid if isinstance(header_kid, str) else ""
            # A JWKS fetch blocks: when one may happen, keep it off the event loop.
            fetch = isinstance(keys, JwksKeys) and keys.may_fetch(kid)
            keyset = await run_in_threadpool(keys.keys_for, kid) if fetch else keys.keys_for(kid)
            decision = decide_parsed(jws, keyset, config, now=int(clock()))
        decisions.append(decision)
        if not decision.accepted:
            # A refusal is what a user of the stand-in is looking for: it stays visible at --log-level warning.
            log.warning("%s %s -> %s", escape_text(request.method), shown, decision.reason)
            return _unauthorized(f"{decision.reason}: {decision.description}", challenge=_challenge(decision))
        # The login comes from --user or the users file: escaped like any other outside text.
        log.info("%s %s -> accepted as %s", escape_text(request.method), shown, escape_text(decision.user or ""))
        assert decision.user is not None
        # parse_qsl as Starlette's QueryParams does (last value wins), without building its multidict.
        params = dict(parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True))
        return family.handler(path, decision.user, params, datetime.fromtimestamp(clock(), UTC))

    app = Starlette(routes=[Route("/", index), Route("/{path:path}", api, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])])
    app.state.keyring = keys
    app.state.decisions = decisions
    return app
