"""The installed `oidc-validator` console script, run as a real process."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time

from oidc_idp import RunningIdp
from processes import cli

AUDIENCE = "https://qualys.example/api"


def run(*argv: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    command = [cli("oidc-validator"), *argv]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60, env=environment, check=False)


def test_the_console_script_checks_the_https_test_idp_with_client_credentials_and_exits_0(idp_tls_server: RunningIdp) -> None:
    result = run(
        "check", "--issuer", idp_tls_server.issuer, "--entity-id", idp_tls_server.issuer, "--audience", AUDIENCE,
        "--ca-file", str(idp_tls_server.ca_file), "--client-id", "demo-client", "--client-secret-env", "OIDC_TEST_SECRET",
        "--external-id", "demo-client", "--format", "json",
        env={"OIDC_TEST_SECRET": "demo-secret"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert "demo-secret" not in result.stdout


def test_the_console_script_reports_a_usage_error_in_one_line_with_exit_2() -> None:
    result = run("check", "--token-file", "/nonexistent/token.jwt")
    assert result.returncode == 2
    assert result.stdout == ""
    expected = "oidc-validator: cannot read --token-file /nonexistent/token.jwt: No such file or directory"
    assert result.stderr.strip().splitlines() == [expected]


def test_the_console_script_never_prompts_when_stdin_is_not_a_terminal() -> None:
    result = run("check", "--issuer", "https://idp.example", "--client-id", "c")
    assert result.returncode == 2
    assert "--client-secret-env" in result.stderr and "Traceback" not in result.stderr


def _on_a_terminal(env: dict[str, str]) -> str:
    """Run `check` (no inputs: errors guaranteed) with stdout on a pseudo-terminal; return what it printed."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [cli("oidc-validator"), "check"], stdout=terminal, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env={**os.environ, **env}
        )
        os.close(terminal)
        chunks: list[bytes] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the terminal closes when the process exits
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            elif process.poll() is not None:
                break
        process.wait(timeout=30)
        assert process.returncode == 1
        return b"".join(chunks).decode()
    finally:
        os.close(controller)


def test_the_text_report_is_coloured_on_a_terminal_unless_no_color_is_set() -> None:
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    assert "\x1b[31m" in _on_a_terminal({**environment, "NO_COLOR": ""})
    assert "\x1b[" not in _on_a_terminal({"NO_COLOR": "1"})


def test_help_starts_without_loading_the_http_jose_or_validation_libraries() -> None:
    # What keeps --help well under make bench's 200 ms: the heavy imports wait for a command that needs them.
    code = (
        "import sys\nfrom oidc_validator.cli.main import main\nmain(['--help'])\n"
        "print(sorted(m for m in ('httpx', 'jwt', 'cryptography', 'pydantic', 'authlib') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
