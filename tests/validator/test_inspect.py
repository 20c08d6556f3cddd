"""`oidc-validator inspect` explains a token without verifying it and never prints its signature."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from build import compact
from oidc_idp import RunningIdp
from oidc_validator.cli.main import main
from oidc_validator.observe.environment import Environment
from oidc_validator.report.inspect import readable_time

CLIENT = ("demo-client", "demo-secret")


@pytest.fixture(scope="module")
def tokens(idp_server: RunningIdp) -> dict[str, str]:
    data = {"grant_type": "password", "username": "demo", "password": "demo-password", "scope": "openid profile"}
    body: dict[str, str] = httpx.post(idp_server.token_endpoint, data=data, auth=CLIENT, timeout=5).json()
    return body


def inspect(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    code = main(["inspect", *argv], Environment(stdin=io.StringIO(stdin), environ={}))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_inspect_shows_header_claims_and_readable_utc_times_but_not_the_signature(
    capsys: pytest.CaptureFixture[str], tokens: dict[str, str]
) -> None:
    token = tokens["access_token"]
    code, out, _ = inspect(capsys, token)
    assert code == 0
    assert '  alg: "RS256"' in out and '  typ: "at+jwt"' in out
    assert '  aud: "https://qualys.example/api"' in out
    exp = json.loads(inspect(capsys, token, "--format", "json")[1])["claims"]["exp"]
    stamp = datetime.fromtimestamp(exp, UTC).isoformat().replace("+00:00", "Z")
    assert f"exp: {exp}  ({stamp}, expires in" in out
    assert "NOT verified" in out
    assert token.rsplit(".", 1)[1] not in out
    assert "Signature: 256 bytes (not shown)" in out


def test_inspect_names_the_custom_claim_that_maps_the_external_id(capsys: pytest.CaptureFixture[str], tokens: dict[str, str]) -> None:
    code, out, _ = inspect(capsys, tokens["id_token"], "--external-id-claim", "preferred_username")
    assert code == 0
    assert "Qualys maps the 'preferred_username' claim" in out
    assert 'value: "demo@example.com"' in out


def test_inspect_explains_the_fallback_to_sub_when_the_custom_claim_is_absent(
    capsys: pytest.CaptureFixture[str], tokens: dict[str, str]
) -> None:
    _, out, _ = inspect(capsys, tokens["access_token"], "--external-id-claim", "oid", "--format", "json")
    mapping = json.loads(out)["external_id"]
    assert (mapping["configured_claim"], mapping["claim"], mapping["value"]) == ("oid", "sub", "demo@example.com")
    assert "falls back to 'sub'" in mapping["explanation"]


def test_inspect_reads_the_token_from_stdin_or_a_file(capsys: pytest.CaptureFixture[str], tokens: dict[str, str], tmp_path: Path) -> None:
    assert inspect(capsys, "-", stdin=tokens["access_token"] + "\n")[0] == 0
    (tmp_path / "t.jwt").write_text(tokens["id_token"])
    code, out, _ = inspect(capsys, "--token-file", str(tmp_path / "t.jwt"))
    assert code == 0 and '  typ: "JWT"' in out


def test_inspect_times_are_relative_to_now_when_given(capsys: pytest.CaptureFixture[str], tokens: dict[str, str]) -> None:
    _, out, _ = inspect(capsys, tokens["access_token"], "--now", "2999-01-01T00:00:00Z", "--format", "json")
    assert "expired" in json.loads(out)["times"]["exp"]


def test_a_garbage_token_is_one_line_on_stderr_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = inspect(capsys, "garbage")
    assert (code, out) == (1, "")
    assert err.strip() == "oidc-validator inspect: not a compact JWS: the token has 1 segment(s); a compact JWS has exactly 3"


def test_inspect_without_a_token_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert inspect(capsys)[0] == 2
    code, _, err = inspect(capsys, "--token-file", str(tmp_path / "absent.jwt"))
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_a_date_in_milliseconds_is_called_implausible_rather_than_crashing() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert readable_time("exp", 1_767_225_600_000, now) == "not a plausible date (milliseconds instead of seconds?)"
    assert readable_time("exp", "soon", now) is None
    assert readable_time("exp", 1_767_225_600 - 3600, now) == "2025-12-31T23:00:00Z, expired 1 h ago"


def test_characters_that_reorder_or_hide_text_are_shown_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    # A right-to-left override and a zero-width space in the kid, an escape sequence in sub.
    token = compact({"alg": "RS256", "kid": "abc\u202edef\u200b"}, {"sub": "\x1b[31mred"}, b"sig")
    code, out, _ = inspect(capsys, token)
    assert code == 0
    assert 'kid: "abc\\u202edef\\u200b"' in out and 'sub: "\\u001b[31mred"' in out
    assert not any(c in out for c in "\u202e\u200b\x1b")
