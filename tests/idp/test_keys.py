"""Keys persist, rotate and retire; running servers follow the keys directory without a restart."""

from __future__ import annotations

import json
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from joserfc.errors import InvalidKeyIdError

from crosscheck import verify
from in_process import Ran, run_main
from oidc_idp import running
from oidc_idp.errors import KeyStoreError
from oidc_idp.keys.keystore import KeyStore
from oidc_idp.run.cli import main
from oidc_idp.run.pytest_plugin import TEST_KEYS

NOW = datetime(2026, 11, 1, tzinfo=UTC)
CLIENT = ("demo-client", "demo-secret")


def _kids(jwks_uri: str) -> list[str]:
    return [k["kid"] for k in httpx.get(jwks_uri, timeout=5).json()["keys"]]


def _token(token_endpoint: str) -> str:
    return str(httpx.post(token_endpoint, data={"grant_type": "client_credentials"}, auth=CLIENT, timeout=5).json()["access_token"])


def test_private_key_files_are_mode_0600(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.ensure(("RS256", "ES256"), now=NOW, validity_days=30)
    key_files = sorted(tmp_path.glob("*.key.pem"))
    assert len(key_files) == 2
    for path in key_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_restarting_on_the_same_keys_directory_serves_the_same_keys(tmp_path: Path) -> None:
    with running(keys_dir=tmp_path) as first:
        before = httpx.get(first.jwks_uri, timeout=5).json()
    with running(keys_dir=tmp_path) as second:
        after = httpx.get(second.jwks_uri, timeout=5).json()
    assert before == after


def test_rotation_publishes_a_new_active_key_and_keeps_the_old_until_retired(tmp_path: Path) -> None:
    with running(keys_dir=tmp_path) as server:
        (old_kid,) = _kids(server.jwks_uri)
        old_token = _token(server.token_endpoint)

        (new,) = KeyStore(tmp_path).rotate(None, now=NOW, validity_days=30)
        new_token = _token(server.token_endpoint)
        jwks = httpx.get(server.jwks_uri, timeout=5).json()
        assert [k["kid"] for k in jwks["keys"]] == [old_kid, new.kid]
        assert verify(new_token, jwks, "RS256").header["kid"] == new.kid
        assert verify(old_token, jwks, "RS256").header["kid"] == old_kid

        KeyStore(tmp_path).retire(old_kid)
        jwks = httpx.get(server.jwks_uri, timeout=5).json()
        assert [k["kid"] for k in jwks["keys"]] == [new.kid]
        with pytest.raises(InvalidKeyIdError):
            verify(old_token, jwks, "RS256")


def test_the_active_key_cannot_be_retired(tmp_path: Path) -> None:
    keyset = KeyStore(tmp_path).ensure(("RS256",), now=NOW, validity_days=30)
    active = keyset.active("RS256")
    assert active is not None
    with pytest.raises(KeyStoreError) as raised:
        KeyStore(tmp_path).retire(active.kid)
    assert raised.value.code == "retire_active_key"


def test_a_corrupt_manifest_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "keys.json").write_text("{not json")
    with pytest.raises(KeyStoreError) as raised:
        KeyStore(tmp_path).load()
    assert raised.value.code == "keystore_corrupt"


def test_keys_cli_lists_rotates_and_retires(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    KeyStore(tmp_path).ensure(("RS256",), now=NOW, validity_days=30)

    def run(*args: str) -> Ran:
        return run_main(main, ["keys", *args, "--keys-dir", str(tmp_path)], capsys)

    rotated = run("rotate")
    assert rotated.returncode == 0, rotated.stderr
    listed = json.loads(run("list", "--json").stdout)
    assert [k["status"] for k in listed] == ["published", "active"]
    assert all(k["cert_not_after"] and k["alg"] == "RS256" for k in listed)
    table = run("list").stdout
    assert "CERT EXPIRES" in table and listed[0]["kid"] in table

    assert run("retire", listed[0]["kid"]).returncode == 0
    assert [k["status"] for k in json.loads(run("list", "--json").stdout)] == ["retired", "active"]
    refused = run("retire", listed[1]["kid"])
    assert refused.returncode == 1
    assert "rotate" in refused.stderr and "Traceback" not in refused.stderr
    unknown = run("retire", "no-such-kid")
    assert unknown.returncode == 1 and "no-such-kid" in unknown.stderr


def test_offline_minting_signs_with_the_active_key_or_the_named_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running(keys_dir=tmp_path) as server:
        (kid,) = _kids(server.jwks_uri)
        jwks = httpx.get(server.jwks_uri, timeout=5).json()
    args = ["token", "--keys-dir", str(tmp_path), "--issuer", "https://idp.example", "--sub", "u1", "--aud", "api"]
    result = run_main(main, [*args, "--claim", 'roles=["a"]', "--claim", "name=Ann", "--ttl", "60", "--kid", kid], capsys)
    assert result.returncode == 0, result.stderr
    token = verify(result.stdout.strip(), jwks, "RS256")
    assert token.header["kid"] == kid
    assert token.claims["iss"] == "https://idp.example" and token.claims["sub"] == "u1" and token.claims["aud"] == "api"
    assert token.claims["roles"] == ["a"] and token.claims["name"] == "Ann"
    assert token.claims["exp"] - token.claims["iat"] == 60

    bad = run_main(main, [*args, "--claim", "novalue"], capsys)
    assert bad.returncode == 2 and "NAME=VALUE" in bad.stderr
    empty = run_main(main, [*args[:2], str(tmp_path / "empty"), *args[3:]], capsys)
    assert empty.returncode == 1 and "keys rotate" in empty.stderr


def test_seeding_from_group_writable_test_keys_works_and_the_copies_are_private(tmp_path: Path) -> None:
    # A checkout or an install under umask 002 leaves the shipped test keys group-writable.
    source = tmp_path / "shipped"
    shutil.copytree(TEST_KEYS, source)
    for item in source.iterdir():
        item.chmod(0o664)
    target = KeyStore(tmp_path / "keys")
    target.seed(source)
    assert len(target.load().keys) == 4
    assert all((tmp_path / "keys" / p.name).stat().st_mode & 0o077 == 0 for p in source.glob("*.key.pem"))
