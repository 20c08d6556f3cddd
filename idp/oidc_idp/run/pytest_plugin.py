"""pytest plugin (entry point ``pytest11``): a running test IdP for any test suite.

Options, lowest to highest priority: ini options (``oidc_idp_alg``, ``oidc_idp_tls``,
``oidc_idp_profile``, ``oidc_idp_scenarios``), then ``@pytest.mark.oidc_idp(**kwargs)``
on a test, module or class, where kwargs are any ``oidc_idp.running()`` arguments.

pytest loads this module in every run of an environment that has the project installed, so
it imports only pytest and the standard library; the server comes with the first fixture use.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from oidc_idp.run.server import RunningIdp

# Public, test-only keys shipped in the package (the checkout's fixtures/keys points here), so the
# fixture starts from the same keys, without generating any, whether installed from a wheel or not.
TEST_KEYS = Path(str(resources.files("oidc_idp.run").joinpath("test_keys")))


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
