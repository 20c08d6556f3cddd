"""Several workers share keys but not in-memory state: the CLI says so when stateful features are configured."""

from __future__ import annotations

from pathlib import Path

from processes import serving


def test_serving_the_code_flow_with_several_workers_prints_a_note_about_state(tmp_path: Path) -> None:
    config = tmp_path / "idp.toml"
    config.write_text(
        '[[clients]]\nclient_id = "spa"\ntoken_endpoint_auth_methods = ["none"]\n'
        'grant_types = ["authorization_code"]\nredirect_uris = ["http://app.test/cb"]\n'
    )
    with serving("--keys-dir", str(tmp_path / "keys"), "--config", str(config), "--workers", "2") as (proc, _):
        pass
    assert proc.stderr is not None
    assert "--workers 1" in proc.stderr.read()


def test_a_config_without_stateful_grants_with_several_workers_prints_no_such_note(tmp_path: Path) -> None:
    config = tmp_path / "idp.toml"
    config.write_text('[[clients]]\nclient_id = "m2m"\nclient_secret = "m2m-secret"\n')
    with serving("--keys-dir", str(tmp_path / "keys"), "--config", str(config), "--workers", "2") as (proc, _):
        pass
    assert proc.stderr is not None
    assert "--workers 1" not in proc.stderr.read()
