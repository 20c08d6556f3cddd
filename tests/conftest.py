"""Shared fixtures: a real test IdP on a free loopback port, per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from idp import RunningIdp, running


@pytest.fixture(scope="module")
def idp_server() -> Iterator[RunningIdp]:
    """The default test IdP (demo-client / demo-secret, user demo / demo-password) over HTTP."""
    with running() as server:
        yield server


@pytest.fixture(scope="module")
def idp_tls_server() -> Iterator[RunningIdp]:
    """The same over HTTPS; trust ``server.ca_file``."""
    with running(tls=True) as server:
        yield server


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests run on asyncio, the loop uvicorn serves the project on."""
    return "asyncio"
