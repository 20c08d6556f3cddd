"""`oidc-idp serve` leaves nothing behind: a stop by signal or a refused start removes what it created."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from in_process import run_main
from oidc_idp.run.cli import main
from processes import cli, ready_line, stop

TIMEOUT_SECONDS = 30


def temporary_key_dirs(directory: Path) -> set[str]:
    return {name for name in os.listdir(directory) if name.startswith("oidc-idp-keys-")}


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_signal_stops_the_server_and_removes_its_temporary_keys(stop_signal: signal.Signals) -> None:
    proc = subprocess.Popen([cli("oidc-idp"), "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = json.loads(ready_line(proc, TIMEOUT_SECONDS))
        keys_dir = Path(ready["keys_dir"])
        assert (keys_dir / "keys.json").is_file()
        proc.send_signal(stop_signal)
        assert proc.wait(timeout=TIMEOUT_SECONDS) == 0
        assert not keys_dir.exists()
    finally:
        if proc.poll() is None:
            stop(proc)


@pytest.mark.parametrize(
    "args",
    [["--clock", "not-a-date"], ["--host", "0.0.0.0", "--admin"], ["--port", "{busy}"]],  # noqa: S104 - refused on purpose
    ids=["bad_clock", "admin_off_loopback", "port_in_use"],
)
def test_a_refused_start_leaves_no_temporary_directory(
    args: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A temporary directory of this test's own, so other tests' servers cannot blur what is left behind.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with socket.create_server(("127.0.0.1", 0)) as busy:
        argv = [a.format(busy=busy.getsockname()[1]) for a in args]
        assert main(["serve", "--port", "0", "--host", "127.0.0.1", *argv]) != 0
    assert temporary_key_dirs(tmp_path) == set()
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_port_outside_0_to_65535_is_a_one_line_usage_error_from_the_console_script() -> None:
    result = subprocess.run(
        [cli("oidc-idp"), "serve", "--port", "99999"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "--port" in result.stderr


@pytest.mark.parametrize("port", ["99999", "-1", "65536", "eighty"])
def test_a_port_outside_0_to_65535_is_a_one_line_usage_error(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(main, ["serve", "--port", port], capsys)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "--port" in result.stderr
