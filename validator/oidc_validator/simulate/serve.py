"""Serving the stand-in: a real uvicorn server (``oidc-validator simulate``), or in-process for ``--simulate``."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import time

import httpx
import uvicorn

from oidc_validator.errors import ValidatorError
from oidc_validator.net.head_cap import HeadCappedHttpTools
from oidc_validator.simulate.app import create_stand_in_app
from oidc_validator.simulate.config import StandInConfig
from oidc_validator.simulate.decide import Decision

PROBE_PATH = "/api/2.0/fo/session/?action=probe"


def serve(config: StandInConfig, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "info") -> None:
    """Serve until interrupted; print one JSON ready line on stdout once it answers."""
    try:
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        raise ValidatorError(f"cannot listen on {host}:{port}: {exc.strerror}", code="bind_failed") from None
    bound = sock.getsockname()[1]
    # No uvicorn access log: it writes to stdout (kept for the ready line), and each decision is logged already.
    app = create_stand_in_app(config)
    # HeadCappedHttpTools: 431 for a request head over 16 KiB, where plain uvicorn would keep buffering it.
    options = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off", server_header=False, http=HeadCappedHttpTools)
    server = uvicorn.Server(options)

    def announce() -> None:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline and not server.should_exit:
            time.sleep(0.005)
        if server.started:
            host_in_url = f"[{host}]" if ":" in host else host
            event = {"event": "ready", "base_url": f"http://{host_in_url}:{bound}", "port": bound, "issuer": config.issuer}
            sys.stdout.write(json.dumps(event) + "\n")
            sys.stdout.flush()

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])


async def _present(config: StandInConfig, token: str) -> tuple[int, Decision | None]:
    app = create_stand_in_app(config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://qualys.stand-in") as client:
        response = await client.get(PROBE_PATH, headers={"Authorization": f"Bearer {token}"})
    decisions = app.state.decisions
    return response.status_code, decisions[-1] if decisions else None


def present(config: StandInConfig, token: str) -> Decision:
    """Present a token to an in-process stand-in over ASGI, as an API client would; its decision."""
    status, decision = asyncio.run(_present(config, token))
    if decision is None:
        raise ValidatorError(f"the stand-in answered {status} without deciding", code="simulate_no_decision")
    return decision
