"""Several workers share keys but not in-memory state: the CLI says so when stateful features are configured.

The note is printed before any worker starts, so these run ``main()`` in-process with the serving itself
stubbed out (``test_serve_cli.py`` serves two real workers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from in_process import run_main
from oidc_idp.run import cli


@pytest.fixture
def no_serving(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(cli, "serve_forever", lambda config, listener, **kwargs: calls.append(kwargs))
    return calls


def test_serving_the_code_flow_with_several_workers_prints_a_note_about_state(
    tmp_path: Path, no_serving: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "idp.toml"
    config.write_text(
        '[[clients]]\nclient_id = "spa"\ntoken_endpoint_auth_methods = ["none"]\n'
        'grant_types = ["authorization_code"]\nredirect_uris = ["http://app.test/cb"]\n'
    )
    ran = run_main(
        cli.main, ["serve", "--port", "0", "--keys-dir", str(tmp_path / "keys"), "--config", str(config), "--workers", "2"], capsys
    )
    assert ran.returncode == 0 and [call["workers"] for call in no_serving] == [2]
    assert "--workers 1" in ran.stderr


def test_a_config_without_stateful_grants_with_several_workers_prints_no_such_note(
    tmp_path: Path, no_serving: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "idp.toml"
    config.write_text('[[clients]]\nclient_id = "m2m"\nclient_secret = "m2m-secret"\n')
    ran = run_main(
        cli.main, ["serve", "--port", "0", "--keys-dir", str(tmp_path / "keys"), "--config", str(config), "--workers", "2"], capsys
    )
    assert ran.returncode == 0 and [call["workers"] for call in no_serving] == [2]
    assert "--workers 1" not in ran.stderr
