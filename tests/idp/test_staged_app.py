"""The staged app (web/staged.py): its early discovery and JWKS answers are the full app's, byte for byte."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from oidc_idp import build_config
from oidc_idp.run.server import staged_app
from oidc_idp.web.app import create_app

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


def call(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> Answer:
    """One request through an ASGI app: the status, the raw header list in order, and the body."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:9"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 9),
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], list(start["headers"]), body


CONFIGS: dict[str, dict[str, Any]] = {
    "default clients (loopback CORS)": {},
    "no CORS": {"cors_allowed_origins": []},
    "two issuers": {"issuers": [{"id": "second"}]},
    "a scenario on the JWKS": {"scenarios": ["jwks_keys_without_kid", "issuer_trailing_slash"]},
    "a vendor profile": {"profile": "entra-v2"},
}


@pytest.mark.parametrize("extra", CONFIGS.values(), ids=CONFIGS.keys())
def test_the_early_answers_are_the_full_apps_byte_for_byte(tmp_path: Path, extra: dict[str, Any]) -> None:
    config = build_config({"issuer": "http://127.0.0.1:9", "keys_dir": tmp_path, **extra})
    staged, full = staged_app(config), create_app(config)
    paths = [c.endpoint_path(name) for c in config.issuer_configs() for name in ("discovery", "jwks")]
    for path in paths:
        for method in ("GET", "HEAD"):
            assert call(staged, method, path) == call(full, method, path), (method, path)
    assert staged._full is None  # all of them answered before FastAPI's part was built


def test_what_the_early_stage_does_not_answer_waits_for_the_full_app(tmp_path: Path) -> None:
    config = build_config({"issuer": "http://127.0.0.1:9", "keys_dir": tmp_path})
    staged, full = staged_app(config), create_app(config)
    origin = [(b"origin", b"http://localhost:3000")]
    assert call(staged, "GET", "/jwks", origin) == call(full, "GET", "/jwks", origin)  # CORS answers an Origin
    assert staged._full is not None
    assert call(staged, "POST", "/jwks") == call(full, "POST", "/jwks")
    assert call(staged, "GET", "/nowhere") == call(full, "GET", "/nowhere")


def test_a_scenario_that_serves_html_for_the_jwks_is_the_full_apps_answer(tmp_path: Path) -> None:
    config = build_config({"issuer": "http://127.0.0.1:9", "keys_dir": tmp_path, "scenarios": ["jwks_served_as_html"]})
    staged, full = staged_app(config), create_app(config)
    status, headers, body = call(staged, "GET", "/jwks")
    assert (status, headers, body) == call(full, "GET", "/jwks")
    assert body.startswith(b"<!doctype html>")


def test_the_first_jwks_answer_sets_off_the_full_apps_load(tmp_path: Path) -> None:
    config = build_config({"issuer": "http://127.0.0.1:9", "keys_dir": tmp_path})
    staged, calls = staged_app(config), []
    staged.after_first_jwks = lambda: calls.append("load")
    call(staged, "GET", "/.well-known/openid-configuration")
    assert calls == []
    call(staged, "GET", "/jwks")
    call(staged, "GET", "/jwks")
    assert calls == ["load"]
