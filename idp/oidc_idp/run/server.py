"""Serving the IdP with uvicorn: in this process (one worker or a thread) or several workers."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import uvicorn

from oidc_idp.config import IdpConfig, UserConfig
from oidc_idp.core import control
from oidc_idp.core.clock import Clock
from oidc_idp.core.discovery import enabled_endpoints
from oidc_idp.core.service import IdpService
from oidc_idp.core.tokens import ACCESS_TOKEN_TYP
from oidc_idp.errors import IdpError
from oidc_idp.keys.keygen import Algorithm
from oidc_idp.keys.tls import TlsFiles, ensure_tls
from oidc_idp.run.prompt_server import PromptServer
from oidc_idp.web.multi import build_services
from oidc_idp.web.staged import StagedApp
from oidc_validator.net.head_cap import HeadCappedHttpTools

WORKER_CONFIG_ENV = "OIDC_IDP_WORKER_CONFIG"
READY_TIMEOUT_SECONDS = 30.0
LOAD_FULL_APP_AFTER_SECONDS = 1.0


@dataclass(frozen=True)
class Listener:
    """A bound socket and what clients need to reach it."""

    sock: socket.socket
    host: str
    port: int
    tls: TlsFiles | None

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{url_host(self.host)}:{self.port}"


def url_host(host: str) -> str:
    """The host as it goes into a URL: wildcard binds are reached on loopback, IPv6 in brackets."""
    if host in ("0.0.0.0", ""):  # noqa: S104 - a bind address, mapped to a reachable one
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return host


def bind(host: str, port: int, *, tls_dir: Path | None = None, clock: Clock | None = None) -> Listener:
    """Bind first, so port 0 resolves to a real port before the issuer is derived from it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, reuse_port=False, backlog=2048)
    except OSError as exc:
        raise IdpError(f"cannot listen on {host}:{port}: {exc.strerror}", code="bind_failed") from None
    sock.set_inheritable(True)
    tls = ensure_tls(tls_dir, url_host(host).strip("[]"), (clock or Clock()).now()) if tls_dir is not None else None
    return Listener(sock, host, sock.getsockname()[1], tls)


def ready_event(config: IdpConfig, listener: Listener) -> dict[str, object]:
    event: dict[str, object] = {
        "event": "ready",
        "issuer": config.issuer,
        "port": listener.port,
        "base_url": listener.base_url,
        "jwks_uri": config.endpoint_url("jwks"),
        "token_endpoint": config.endpoint_url("token"),
        "keys_dir": str(config.keys_dir),
        "pid": os.getpid(),
    }
    if listener.tls:
        event["ca_file"] = str(listener.tls.ca_file)
    if "authorize" in enabled_endpoints(config):
        event.update(code_flow_facts(config))
    if config.admin_enabled:
        event["admin_url"] = listener.base_url + "/_admin"
    if config.issuers:
        event["issuers"] = {extra.id: cfg.issuer for extra, cfg in zip(config.issuers, config.issuer_configs()[1:], strict=True)}
    return event


def code_flow_facts(config: IdpConfig) -> dict[str, object]:
    """What a web app needs to log in (the ready line carries it; the banner prints the same)."""
    clients = {
        c.client_id: {
            "public": c.is_public,
            "pkce": "required" if c.require_pkce else "optional",
            "pkce_methods": list(c.pkce_methods),
            "redirect_uris": list(c.redirect_uris),
            "loopback_redirect_uris": c.loopback_redirect_uris,
        }
        for c in config.clients
        if "authorization_code" in c.grant_types
    }
    return {
        "discovery_url": config.endpoint_url("discovery"),
        "authorization_endpoint": config.endpoint_url("authorize"),
        "end_session_endpoint": config.endpoint_url("end_session"),
        "code_flow_clients": clients,
        # None: the login page asks (or login_hint names the user).
        "login_user": config.default_login_user,
    }


def staged_app(config: IdpConfig, clock: Clock | None = None) -> StagedApp:
    """The issuers' services now; FastAPI's part of the app when first needed (web/staged.py)."""
    return StagedApp(config, build_services(config, clock or Clock(config.clock_fixed, config.clock_offset_seconds)))


def _uvicorn_config(app: StagedApp | str, listener: Listener, *, workers: int = 1, log_level: str = "warning") -> uvicorn.Config:
    tls = listener.tls
    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        workers=workers,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        server_header=False,
        http=HeadCappedHttpTools,
        # No route speaks WebSocket: "auto" would import a WebSocket library (about 20 ms) for nothing.
        ws="none",
        ssl_certfile=str(tls.cert_file) if tls else None,
        ssl_keyfile=str(tls.key_file) if tls else None,
    )


def app_from_environment() -> StagedApp:
    """uvicorn factory for worker processes: the parent passes the config as JSON."""
    return _loads_after_first_jwks(staged_app(IdpConfig.model_validate_json(os.environ[WORKER_CONFIG_ENV])))


def _loads_after_first_jwks(app: StagedApp) -> StagedApp:
    """FastAPI's part loads in a thread once the first JWKS answer is out, or on the first request that
    needs it, or a moment after start when no one asks. Its schema building holds the GIL for long
    stretches: loaded at once, it delayed that first answer by about 200 ms."""
    app.after_first_jwks = app.build_in_background
    timer = threading.Timer(LOAD_FULL_APP_AFTER_SECONDS, app.build_in_background)
    timer.daemon = True
    timer.start()
    return app


def _wait_until_serving(config: IdpConfig, listener: Listener, is_dead: Callable[[], bool]) -> bool:
    """Poll the local JWKS until it answers: the multi-worker supervisor has no ready hook."""
    import httpx  # only the multi-worker supervisor polls; one import fewer (about 70 ms) before the first answer

    url = listener.base_url + config.endpoint_path("jwks")
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(listener.tls.ca_file)) if listener.tls else True
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    with httpx.Client(verify=verify, timeout=2.0) as client:
        while time.monotonic() < deadline and not is_dead():
            try:
                if client.get(url).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
    return False


def serve_forever(config: IdpConfig, listener: Listener, *, workers: int, on_ready: Callable[[], None], log_level: str = "warning") -> None:
    """Run until interrupted. ``on_ready`` is called once the server answers requests."""
    if workers <= 1:
        server = uvicorn.Server(_uvicorn_config(staged_app(config), listener, log_level=log_level))
        app = server.config.app
        assert isinstance(app, StagedApp)

        def ready() -> None:
            on_ready()
            _loads_after_first_jwks(app)

        watcher = threading.Thread(target=_call_when(lambda: server.started, ready, lambda: server.should_exit), daemon=True)
        watcher.start()
        server.run(sockets=[listener.sock])
        return
    from uvicorn.supervisors import Multiprocess

    os.environ[WORKER_CONFIG_ENV] = config.model_dump_json()
    supervisor = Multiprocess(
        _uvicorn_config("oidc_idp.run.server:app_from_environment", listener, workers=workers, log_level=log_level), sockets=[listener.sock]
    )
    done = threading.Event()

    def announce() -> None:
        if _wait_until_serving(config, listener, done.is_set):
            on_ready()

    threading.Thread(target=announce, daemon=True).start()
    try:
        supervisor.run()
    finally:
        done.set()


def _call_when(condition: Callable[[], bool], action: Callable[[], None], give_up: Callable[[], bool]) -> Callable[[], None]:
    def loop() -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not give_up():
            if condition():
                action()
                return
            time.sleep(0.002)

    return loop


def print_ready(event: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


@dataclass
class RunningIdp:
    """A test IdP serving in a thread of this process (see ``running``)."""

    config: IdpConfig
    listener: Listener
    app: StagedApp

    @property
    def issuer(self) -> str:
        return self.config.issuer

    @property
    def base_url(self) -> str:
        return self.listener.base_url

    @property
    def port(self) -> int:
        return self.listener.port

    @property
    def jwks_uri(self) -> str:
        return self.config.endpoint_url("jwks")

    @property
    def token_endpoint(self) -> str:
        return self.config.endpoint_url("token")

    @property
    def discovery_url(self) -> str:
        return self.config.endpoint_url("discovery")

    @property
    def ca_file(self) -> Path | None:
        return self.listener.tls.ca_file if self.listener.tls else None

    @property
    def keys_dir(self) -> Path:
        return self.config.keys_dir

    @property
    def service(self) -> IdpService:
        return self.app.services[None]

    def issue(
        self,
        sub: str = "demo@example.com",
        *,
        aud: str | list[str] | None = None,
        claims: Mapping[str, Any] | None = None,
        ttl: int | None = None,
        alg: Algorithm | None = None,
        kid: str | None = None,
        typ: str = ACCESS_TOKEN_TYP,
    ) -> str:
        """A signed token with any claims, without a round trip to the token endpoint."""
        return control.mint(self.service, sub=sub, aud=aud, claims=claims, ttl_seconds=ttl, alg=alg, kid=kid, typ=typ)

    def rotate(self, alg: Algorithm | None = None) -> str:
        """Make a new signing key active (the old one stays published); returns the new kid."""
        return control.rotate(self.service, alg).kid

    def retire(self, kid: str) -> None:
        control.retire(self.service, kid)

    def scenario(self, *names: str) -> AbstractContextManager[None]:
        """``with server.scenario("expired_tokens"): ...`` plays scenarios inside the block."""
        return control.scenario(self.service, *names)

    def add_user(
        self, username: str, *, password: str | None = None, sub: str | None = None, claims: Mapping[str, Any] | None = None
    ) -> UserConfig:
        """A user for the password grant, the login page and userinfo, added while serving."""
        return control.add_user(self.service, username=username, password=password, sub=sub, claims=claims)

    def set_clock(self, *, fixed: datetime | None = None, offset_seconds: int | None = None) -> None:
        """Freeze or shift the clock every issuer of this server writes timestamps with."""
        control.set_clock(self.service, fixed=fixed, offset_seconds=offset_seconds)

    @property
    def issuers(self) -> dict[str, str]:
        """The extra issuers (``[[issuers]]``) by id: their issuer URLs."""
        return {key: service.config.issuer for key, service in self.app.services.items() if key is not None}

    def issuer_service(self, issuer_id: str) -> IdpService:
        """The service of an extra issuer, for the control operations (``idp.control``)."""
        return self.app.services[issuer_id]


@contextmanager
def running_in_thread(config: IdpConfig, listener: Listener, *, clock: Clock | None = None) -> Iterator[RunningIdp]:
    """Serve ``config`` on an already bound listener in a daemon thread; stop on exit."""
    app = staged_app(config, clock)
    server = PromptServer(_uvicorn_config(app, listener))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener.sock]}, daemon=True, name="oidc-idp")
    thread.start()
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            listener.sock.close()
            raise IdpError("the test IdP did not start", code="start_failed")
        time.sleep(0.001)
    try:
        yield RunningIdp(config, listener, app)
    finally:
        server.stop()
        thread.join(timeout=10)
        listener.sock.close()
