"""Start ``oidc-idp serve`` as a real process and wait for its ready line, with a deadline.

The wait (``ready_line``) and the shutdown (``stop``) also supervise the bench's servers (tests/bench/run_bench.py),
which runs as a plain script: stdlib only here.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def cli(name: str) -> str:
    return str(BIN / name)


def ready_line(proc: subprocess.Popen[str], timeout_seconds: float) -> str:
    """The first line ``proc`` prints on stdout, or "" when it exits or the deadline passes first."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout_seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or proc.poll() is not None:
                return ""
            # A readable pipe that gives "" is at EOF: the process is exiting, which the next poll() sees.
            if selector.select(timeout=remaining) and (line := proc.stdout.readline()):
                return line


def stop(proc: subprocess.Popen[str]) -> None:
    """SIGINT, as Ctrl-C would, so the server shuts down cleanly; killed if it has not within 15 seconds."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextmanager
def serving(*args: str, timeout_seconds: float = 30.0) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """Run ``oidc-idp serve --port 0 ARGS``; yield the process and its parsed ready event."""
    proc = subprocess.Popen(
        [cli("oidc-idp"), "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = ready_line(proc, timeout_seconds)
        if not line:
            raise AssertionError(
                f"oidc-idp did not become ready: {proc.stderr.read() if proc.stderr and proc.poll() is not None else 'timeout'}"
            )
        yield proc, json.loads(line)
    finally:
        stop(proc)
