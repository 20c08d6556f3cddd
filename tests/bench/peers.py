"""The bench's peers (issue 18): pytest's own start-up, oidc-provider-mock (PyPI) and oauth2-mock-server (npm).

Every peer is installed into the bench's temporary directory (a venv of its own, ``npm install --prefix``), never into
the project's venv; a peer that cannot be installed or started gives a reason, never a failed bench.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import httpx

PROVIDER_MOCK = "oidc-provider-mock==0.3.4"
MOCK_SERVER = "oauth2-mock-server"
N_TESTS = 50  # tests in the larger suite
PYTEST_VERSION = metadata.version("pytest")  # the peer's venv gets the same pytest as ours
FEW = 10  # tests in the smaller: the slope between the two is the cost per test, the rest is paid once


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip() and not line.startswith("WARNING: Location")]
    return lines[-1][:150] if lines else "no output"


# -- installs -----------------------------------------------------------------------------------------
def install_provider_mock(work: Path) -> tuple[Path | None, str]:
    """A venv of its own with oidc-provider-mock and the project's pytest version: (its python, "") or (None, why)."""
    venv = work / "peer-venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=120, check=True)
        python = venv / "bin" / "python"
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PROVIDER_MOCK, f"pytest=={PYTEST_VERSION}"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"venv/pip: {error}"
    if done.returncode != 0:
        return None, f"pip install {PROVIDER_MOCK}: {_tail(done.stderr or done.stdout)}"
    return python, ""


def install_mock_server(work: Path) -> tuple[list[str] | None, str]:
    """oauth2-mock-server under WORK/peer-node: (the node command of its CLI, "") or (None, why)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return None, "node or npm is not on PATH"
    prefix = work / "peer-node"
    try:
        done = subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--silent", MOCK_SERVER],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"npm: {error}"
    cli = prefix / "node_modules" / MOCK_SERVER / "dist" / "oauth2-mock-server.mjs"
    if done.returncode != 0 or not cli.is_file():
        return None, f"npm install {MOCK_SERVER}: {_tail(done.stderr or done.stdout)}"
    return [node, str(cli)], ""


# -- pytest runs in a temporary directory ---------------------------------------------------------------
def pytest_seconds(python: Path | str, directory: Path, *args: str, env: dict[str, str] | None = None) -> float:
    """Wall time of one whole pytest run in DIRECTORY (which must pass)."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=directory, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"pytest in {directory.name} exited {done.returncode}: {_tail(done.stdout + done.stderr)}")
    return elapsed


def medians(runs: dict[str, Callable[[], float]], repeats: int) -> dict[str, float]:
    """Each run REPEATS times, interleaved (a, b, a, b, ...) so that drift touches them all alike; the medians."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            times[name].append(run())
    return {name: statistics.median(values) for name, values in times.items()}


def write_tests(directory: Path, count: int, header: str, signature: str, body: str) -> Path:
    """DIRECTORY with one file of COUNT tests, each ``def test_i(SIGNATURE): BODY``."""
    directory.mkdir(parents=True)
    tests = "".join(f"\n\ndef test_{i}({signature}):\n    {body}\n" for i in range(count))
    (directory / "test_bench.py").write_text(header + tests)
    return directory


def startup(python: Path | str, work: Path, repeats: int = 7) -> dict[str, float]:
    """pytest's start-up on a one-test file in an empty directory, medians of REPEATS interleaved runs each.

    "off"/"on": the project's venv as it is (every installed plugin), ours disabled with -p no:oidc_onboarding or not.
    "bare"/"bare_on": no plugin autoloaded (PYTEST_DISABLE_PLUGIN_AUTOLOAD), then ours alone loaded with -p.
    """
    directory = work / "pytest-startup"
    directory.mkdir()
    (directory / "test_one.py").write_text("def test_one():\n    pass\n")
    bare = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return medians(
        {
            "off": lambda: pytest_seconds(python, directory, "-p", "no:oidc_onboarding"),
            "on": lambda: pytest_seconds(python, directory),
            "bare": lambda: pytest_seconds(python, directory, env=bare),
            "bare_on": lambda: pytest_seconds(python, directory, "-p", "oidc_idp.run.pytest_plugin", env=bare),
        },
        repeats,
    )


@dataclass
class Cost:
    """A fixture's cost beyond no-op tests without it: per test (the slope between two suite sizes) and once per run."""

    per_test: float
    once: float
    over_n: float  # (run of N_TESTS tests - the no-op run of N_TESTS) / N_TESTS: per test with the one-time cost spread


def suite_costs(python: Path | str, work: Path, variants: dict[str, tuple[str, str, str]], repeats: int) -> dict[str, Cost]:
    """Each variant (header, signature, body) and a no-op without fixture, as suites of FEW and N_TESTS tests."""
    kinds = {"noop": ("", "", "pass"), **variants}
    runs: dict[str, Callable[[], float]] = {}
    for kind, (header, signature, body) in kinds.items():
        for count in (FEW, N_TESTS):
            directory = write_tests(work / f"{kind}-{count}", count, header, signature, body)
            runs[f"{kind}-{count}"] = lambda directory=directory: pytest_seconds(python, directory)  # type: ignore[misc]
    t = medians(runs, repeats)

    def slope(kind: str) -> float:
        return (t[f"{kind}-{N_TESTS}"] - t[f"{kind}-{FEW}"]) / (N_TESTS - FEW)

    costs = {}
    for kind in variants:
        per_test = slope(kind) - slope("noop")
        once = (t[f"{kind}-{FEW}"] - t[f"noop-{FEW}"]) - FEW * per_test
        costs[kind] = Cost(per_test, once, (t[f"{kind}-{N_TESTS}"] - t[f"noop-{N_TESTS}"]) / N_TESTS)
    return costs


FETCH = "from urllib.request import urlopen\n"
PEER_FIXTURE = """import pytest
from oidc_provider_mock import run_server_in_thread


@pytest.fixture
def provider():
    with run_server_in_thread() as server:
        yield server
"""


def fixture_costs(python: Path | str, work: Path, repeats: int = 5) -> dict[str, Cost]:
    """Ours, in the project's venv: ``oidc_idp`` and ``oidc_idp_reused`` plus one JWKS fetch, ``oidc_idp_session`` alone."""
    return suite_costs(
        python,
        work / "ours",
        {
            "oidc_idp": (FETCH, "oidc_idp", "urlopen(oidc_idp.jwks_uri, timeout=10).read()"),
            "oidc_idp_reused": (FETCH, "oidc_idp_reused", "urlopen(oidc_idp_reused.jwks_uri, timeout=10).read()"),
            "oidc_idp_session": ("", "oidc_idp_session", "assert oidc_idp_session.issuer"),
        },
        repeats,
    )


def provider_mock_cost(python: Path, work: Path, repeats: int = 3) -> Cost:
    """oidc-provider-mock's ``run_server_in_thread()`` in a function fixture plus one discovery fetch, in its own venv."""
    body = "urlopen(f'http://{provider.host}:{provider.server_port}/.well-known/openid-configuration', timeout=10).read()"
    return suite_costs(python, work / "peer", {"provider": (FETCH + PEER_FIXTURE, "provider", body)}, repeats)["provider"]


# -- oauth2-mock-server spawned as `oidc-idp serve` is ------------------------------------------------------
def mock_server_key(command: list[str], work: Path) -> Path:
    """One RSA key saved by the CLI itself (--save-jwk), so that every timed start finds its key present, as ours does."""
    keys = work / "peer-jwk"
    keys.mkdir()
    proc = subprocess.Popen([*command, "-a", "127.0.0.1", "-p", "0", "--save-jwk"], cwd=keys, stdout=subprocess.PIPE, text=True)
    try:
        _listening(proc, 60)
    finally:
        _stop(proc)
    return next(keys.glob("*.json"))


def mock_server_start(command: list[str], key: Path) -> float:
    """Seconds from spawn to the first 200 of its /jwks."""
    started = time.perf_counter()
    proc = subprocess.Popen([*command, "-a", "127.0.0.1", "-p", "0", "--jwk", str(key)], stdout=subprocess.PIPE, text=True)
    try:
        base = _listening(proc, 60)
        httpx.get(base + "/jwks", timeout=10).raise_for_status()
        return time.perf_counter() - started
    finally:
        _stop(proc)


def _listening(proc: subprocess.Popen[str], timeout_seconds: float) -> str:
    """The URL of the CLI's "listening on URL" line, read with a deadline."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_seconds
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while (remaining := deadline - time.monotonic()) > 0 and proc.poll() is None:
            line = proc.stdout.readline() if selector.select(timeout=remaining) else ""
            if found := re.search(r"listening on (http://\S+)", line):
                return found.group(1)
    raise RuntimeError(f"{MOCK_SERVER} did not say it was listening within {timeout_seconds:.0f} s (exit {proc.poll()})")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
