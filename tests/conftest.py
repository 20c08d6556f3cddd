"""Shared fixtures: a real test IdP on a free loopback port, per module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from oidc_idp import RunningIdp, running


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


# Property tests: a bounded run in `make test`; `make fuzz` selects the long profile.
settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile("fuzz", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
