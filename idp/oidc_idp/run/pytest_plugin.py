"""pytest plugin (entry point ``pytest11``): a running test IdP for any test suite.

Options, lowest to highest priority: ini options (``oidc_idp_alg``, ``oidc_idp_tls``,
``oidc_idp_profile``, ``oidc_idp_scenarios``), then ``@pytest.mark.oidc_idp(**kwargs)``
on a test, module or class, where kwargs are any ``oidc_idp.running()`` arguments.

pytest loads this module in every run of an environment that has the project installed, so
it imports only pytest and the standard library; the server comes with the first fixture use.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from oidc_idp.core.reset import InitialState
    from oidc_idp.run.server import RunningIdp

# Public, test-only keys shipped in the package (the checkout's fixtures/keys points here), so the
# fixture starts from the same keys, without generating any, whether installed from a wheel or not.
TEST_KEYS = Path(str(resources.files("oidc_idp.run").joinpath("test_keys")))
# How many servers oidc_idp_reused keeps, one per distinct set of options (the least recently used goes first).
MAX_REUSED_SERVERS = 4


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("oidc_idp_alg", "default signing algorithm of the oidc_idp fixture", default="RS256")
    parser.addini("oidc_idp_tls", "serve the oidc_idp fixture over HTTPS", type="bool", default=False)
    parser.addini("oidc_idp_profile", "vendor profile of the oidc_idp fixture", default="generic")
    parser.addini("oidc_idp_scenarios", "scenarios the oidc_idp fixture plays", type="linelist", default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "oidc_idp(**options): options for the oidc_idp fixture (any oidc_idp.running() argument)")


def fixture_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    ini = request.config.getini
    options: dict[str, Any] = {
        "alg": ini("oidc_idp_alg"),
        "tls": ini("oidc_idp_tls"),
        "profile": ini("oidc_idp_profile"),
        "scenarios": list(ini("oidc_idp_scenarios")),
    }
    # Closest marker last, so a test's marker wins over its module's.
    for marker in reversed(list(request.node.iter_markers("oidc_idp"))):
        options.update(marker.kwargs)
    if TEST_KEYS.is_dir() and "keys_dir" not in options:
        options.setdefault("seed_keys", TEST_KEYS)
    return options


@pytest.fixture
def oidc_idp(request: pytest.FixtureRequest) -> Iterator[RunningIdp]:
    """A test IdP on a free loopback port for this test: ``.issuer``, ``.issue()``, ``.rotate()``, ``.scenario()``."""
    from oidc_idp.run.embedded import running

    with running(**fixture_options(request)) as server:
        yield server


@pytest.fixture(scope="session")
def oidc_idp_session(request: pytest.FixtureRequest) -> Iterator[RunningIdp]:
    """One test IdP shared by the whole session (ini options only: a session has no marker).

    Cheaper than ``oidc_idp`` per test, at the price of shared state: tests that rotate keys or
    switch scenarios should use ``oidc_idp`` instead.
    """
    from oidc_idp.run.embedded import running

    with running(**fixture_options(request)) as server:
        yield server


def _plain(value: object) -> str:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not a plain option: {type(value).__name__}")


def reuse_key(options: dict[str, Any]) -> str | None:
    """The options as a key, or None when a server with them must not be shared.

    A keys directory of the test's own, or a Clock object the test holds, is the test's to
    change at will: such a test gets a server of its own, as ``oidc_idp`` gives.
    """
    if "keys_dir" in options or "clock" in options:
        return None
    try:
        return json.dumps(options, sort_keys=True, default=_plain)
    except (TypeError, ValueError):
        return None


class ReusedServers:
    """The servers ``oidc_idp_reused`` hands out in one session, each with the state it started with."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._servers: OrderedDict[str, tuple[ExitStack, RunningIdp, InitialState]] = OrderedDict()

    def get(self, key: str, options: dict[str, Any]) -> RunningIdp:
        from oidc_idp.core.reset import remember, restore

        found = self._servers.get(key)
        if found is not None:
            self._servers.move_to_end(key)
            _, server, initial = found
            restore(server.app.services, initial)
            return server
        from oidc_idp.run.embedded import running

        own = self._stack.enter_context(ExitStack())
        server = own.enter_context(running(**options))
        self._servers[key] = (own, server, remember(server.app.services))
        if len(self._servers) > MAX_REUSED_SERVERS:
            own_oldest, _, _ = self._servers.popitem(last=False)[1]
            own_oldest.close()
        return server


@pytest.fixture(scope="session")
def _oidc_idp_reused_servers() -> Iterator[ReusedServers]:
    with ExitStack() as stack:
        yield ReusedServers(stack)


@pytest.fixture
def oidc_idp_reused(request: pytest.FixtureRequest, _oidc_idp_reused_servers: ReusedServers) -> Iterator[RunningIdp]:
    """``oidc_idp``'s handle and options, on a server shared by the tests with the same options.

    Each test starts from the state the server started with: scenarios, users, clock, the token
    store (codes, refresh tokens, sessions, revocations) and the keys (rotated keys deleted,
    retired ones published again). What stays: the port, the issuer and the keys directory,
    so a token from an earlier test still verifies (``docs/testing.md``).
    """
    options = fixture_options(request)
    key = reuse_key(options)
    if key is None:
        from oidc_idp.run.embedded import running

        with running(**options) as server:
            yield server
        return
    yield _oidc_idp_reused_servers.get(key, options)
