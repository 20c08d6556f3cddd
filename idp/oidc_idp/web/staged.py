"""The app in two stages: discovery and JWKS answer at once, the rest once FastAPI has loaded.

Importing FastAPI, pydantic's schema machinery for its routes, and authlib costs about a quarter
of a second: most of ``oidc-idp serve``'s cold start (issue 18). Relying parties ask for
discovery and the JWKS first, and those two need only the issuer's ``IdpService``. So
``StagedApp`` answers them itself, with the bytes and headers the full app's plain routes
(``web/plain_routes.py``) send, until the full app (``web/app.py``, built on the same
services) is ready; from then on every request goes to the full app. Anything else, and
anything unusual on those two paths (CORS, another method, a scenario that serves HTML, an
error), waits for the full app, so it is answered exactly as before.

This module imports neither FastAPI nor Starlette nor authlib: ``web/app.py`` is imported
by ``build`` only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from oidc_idp.config import IdpConfig
from oidc_idp.core.service import IdpService
from oidc_idp.web.multi import cors_origin_regex, cors_origins

if TYPE_CHECKING:
    from oidc_idp.web.app import IdpApp

# Starlette's ASGI types, spelled out so that this module does not import Starlette.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Quick = Callable[[], "tuple[bytes, list[tuple[bytes, bytes]]] | None"]

JWKS_CACHE_CONTROL = (b"cache-control", b"public, max-age=60")


def _json_response(content: Any, headers: list[tuple[bytes, bytes]]) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    # Byte for byte what Starlette's JSONResponse renders, headers in its order.
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")
    return body, [*headers, (b"content-length", str(len(body)).encode("latin-1")), (b"content-type", b"application/json")]


def _quick_routes(services: Mapping[str | None, IdpService]) -> tuple[dict[str, Quick], set[str]]:
    routes: dict[str, Quick] = {}
    jwks_paths: set[str] = set()
    # Deeper paths first, as create_app orders them, so an extra issuer's paths win over the main one's.
    for service in sorted(services.values(), key=lambda s: -len(s.config.issuer)):

        def discovery(service: IdpService = service) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
            return _json_response(service.discovery(), [])

        def jwks(service: IdpService = service) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
            if service.jwks_as_html():
                return None  # the full app's HTML answer
            return _json_response(service.jwks(), [JWKS_CACHE_CONTROL])

        routes.setdefault(service.config.endpoint_path("discovery"), discovery)
        routes.setdefault(service.config.endpoint_path("jwks"), jwks)
        jwks_paths.add(service.config.endpoint_path("jwks"))
    return routes, jwks_paths


def _has_origin(scope: Scope) -> bool:
    return any(name == b"origin" for name, _ in scope["headers"])


class StagedApp:
    """ASGI: the two quick answers until ``build()`` has made the full app, then the full app alone."""

    def __init__(self, config: IdpConfig, services: dict[str | None, IdpService]) -> None:
        self.config = config
        self.services = services
        self._quick, self._jwks_paths = _quick_routes(services)
        # Called once, after the first JWKS answer has been sent (``oidc-idp serve`` loads the full app then).
        self.after_first_jwks: Callable[[], None] | None = None
        # CORS wraps every route of the full app: without an Origin it adds only "Vary: Origin"; with one it answers.
        self._cors = bool(cors_origins(config) or cors_origin_regex(config))
        self._full: IdpApp | None = None
        self._future: Future[IdpApp] = Future()
        self._lock = threading.Lock()
        self._started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        full = self._full
        if full is None:
            if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
                quick = self._quick.get(scope["path"])
                answer = self._answer(quick) if quick is not None and not (self._cors and _has_origin(scope)) else None
                if answer is not None:
                    body, headers = answer
                    if self._cors:
                        headers.append((b"vary", b"Origin"))
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    if self.after_first_jwks is not None and scope["path"] in self._jwks_paths:
                        after, self.after_first_jwks = self.after_first_jwks, None
                        after()
                    return
            full = await self._wait_for_full()
        await full(scope, receive, send)

    @staticmethod
    def _answer(quick: Quick) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
        try:
            return quick()
        except Exception:  # the full app answers it, through the one OAuth error renderer
            return None

    async def _wait_for_full(self) -> IdpApp:
        if not self._started:
            self.build_in_background()  # in a thread, so the quick answers keep coming while FastAPI loads
        return await asyncio.wrap_future(self._future)

    def build(self) -> IdpApp:
        """Make the full app (once; later calls wait for the first): from a thread, or at once where no one waits."""
        with self._lock:
            if self._started:
                start = False
            else:
                self._started = start = True
        if start:
            try:
                from oidc_idp.web.app import create_app

                app = create_app(self.config, services=self.services)
            except BaseException as exc:
                self._future.set_exception(exc)
                raise
            self._full = app
            self._future.set_result(app)
        return self._future.result()

    def build_in_background(self) -> None:
        if self._started:
            return
        threading.Thread(target=self._build_quietly, daemon=True, name="oidc-idp-app").start()

    def _build_quietly(self) -> None:
        # A failure is kept in the future: the requests that wait for the full app get it.
        with contextlib.suppress(BaseException):
            self.build()
