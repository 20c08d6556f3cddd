"""The Qualys-side stand-in accepts what Qualys would accept, and says why it rejects the rest."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from build import EXTERNAL_ID
from bundling import idp_context
from oidc_idp import RunningIdp, running
from oidc_validator.bundle.archive import write_zip
from oidc_validator.bundle.contents import BundleOptions, build_contents
from oidc_validator.net.options import FetchOptions
from oidc_validator.simulate.app import create_stand_in_app
from oidc_validator.simulate.config import StandInConfig, load_bundle, parse_users
from oidc_validator.simulate.keyring import JwksKeys

USERS = {EXTERNAL_ID: "john_doe"}


def _bundle(server: RunningIdp, tmp_path: Path, key_source: str) -> Path:
    now = datetime.now(UTC)
    ctx = idp_context(server, now=now)
    contents = build_contents(ctx, [], BundleOptions(key_source=key_source))  # type: ignore[arg-type]
    return write_zip(tmp_path / f"{key_source}.zip", contents, now)


async def _get(config: StandInConfig, token: str | None, path: str = "/api/2.0/fo/asset/ip/?action=list&echo_request=1") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_stand_in_app(config)), base_url="http://qualys.test") as client:
        return await client.get(path, headers=headers)


@pytest.mark.anyio
@pytest.mark.parametrize("key_source", ["jwks_url", "certificates"])
async def test_the_stand_in_accepts_the_idps_token_in_both_key_modes(idp_server: RunningIdp, tmp_path: Path, key_source: str) -> None:
    config = load_bundle(_bundle(idp_server, tmp_path, key_source), USERS, now=datetime.now(UTC))
    assert config.key_source == key_source
    response = await _get(config, idp_server.issue(sub=EXTERNAL_ID))
    assert response.status_code == 200, response.text
    assert "<USER_LOGIN>john_doe</USER_LOGIN>" in response.text
    assert "<KEY>action</KEY><VALUE>list</VALUE>" in response.text


REJECTIONS = [
    ("wrong_issuer", {"claims": {"iss": "https://evil.example"}}),
    ("wrong_audience", {"aud": "https://other.example/api"}),
    ("expired", {"ttl": -3600}),
    ("unknown_user", {"sub": "nobody@example.com"}),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("reason", "issue"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
async def test_the_stand_in_rejects_with_401_naming_the_reason(idp_server: RunningIdp, tmp_path: Path, reason: str, issue: dict) -> None:  # type: ignore[type-arg]
    config = load_bundle(_bundle(idp_server, tmp_path, "jwks_url"), USERS, now=datetime.now(UTC))
    response = await _get(config, idp_server.issue(**{"sub": EXTERNAL_ID, **issue}))
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="') and f"{reason}:" in challenge
    assert response.json()["error_description"].startswith(reason)


@pytest.mark.anyio
async def test_a_tampered_token_is_a_bad_signature(idp_server: RunningIdp, tmp_path: Path) -> None:
    config = load_bundle(_bundle(idp_server, tmp_path, "certificates"), USERS, now=datetime.now(UTC))
    header, _payload, signature = idp_server.issue(sub=EXTERNAL_ID).split(".")
    forged = idp_server.issue(sub="root@example.com").split(".")[1]
    response = await _get(config, f"{header}.{forged}.{signature}")
    assert response.status_code == 401 and "bad_signature" in response.headers["www-authenticate"]


@pytest.mark.anyio
async def test_a_token_from_a_key_that_is_not_onboarded_is_an_unknown_kid(tmp_path: Path) -> None:
    with running() as onboarded, running() as stranger:
        config = load_bundle(_bundle(onboarded, tmp_path, "certificates"), USERS, now=datetime.now(UTC))
        token = stranger.issue(sub=EXTERNAL_ID, claims={"iss": onboarded.issuer})
    response = await _get(config, token)
    assert response.status_code == 401 and "unknown_kid" in response.headers["www-authenticate"]


@pytest.mark.anyio
@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer ", "Bearer not.a.jwt"], ids=["none", "basic", "empty_bearer", "garbage"])
async def test_requests_without_a_usable_bearer_token_are_401(idp_server: RunningIdp, tmp_path: Path, header: str | None) -> None:
    config = load_bundle(_bundle(idp_server, tmp_path, "jwks_url"), USERS, now=datetime.now(UTC))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_stand_in_app(config)), base_url="http://q") as client:
        response = await client.get("/api/2.0/fo/scan/", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.anyio
async def test_jwks_url_mode_follows_a_rotation_by_refetching_on_an_unknown_kid(tmp_path: Path) -> None:
    with running(keys_dir=tmp_path / "keys") as server:
        config = replace(load_bundle(_bundle(server, tmp_path, "jwks_url"), USERS, now=datetime.now(UTC)), jwks_min_refresh_seconds=0.0)
        app = create_stand_in_app(config)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://q") as client:
            before = await client.get("/csapi/v1.3/containers", headers={"Authorization": f"Bearer {server.issue(sub=EXTERNAL_ID)}"})
            server.rotate()
            after = await client.get("/csapi/v1.3/containers", headers={"Authorization": f"Bearer {server.issue(sub=EXTERNAL_ID)}"})
        assert before.status_code == after.status_code == 200
        assert after.json()["requestedBy"] == "john_doe"
        assert app.state.keyring.fetch_count == 2


def test_unknown_kids_refetch_the_jwks_at_most_once_per_interval(idp_server: RunningIdp) -> None:
    clock = [1000.0]
    keys = JwksKeys(idp_server.jwks_uri, FetchOptions(), min_refresh_seconds=10.0, monotonic=lambda: clock[0])
    for n in range(50):
        keys.keys_for(f"random-kid-{n}")
    assert keys.fetch_count == 1
    clock[0] += 10.0
    keys.keys_for("another-unknown")
    assert keys.fetch_count == 2


def test_may_fetch_says_exactly_when_keys_for_would_fetch(idp_server: RunningIdp) -> None:
    # The app calls keys_for on the event loop unless may_fetch says a (blocking) fetch is due.
    clock = [1000.0]
    keys = JwksKeys(idp_server.jwks_uri, FetchOptions(), min_refresh_seconds=10.0, monotonic=lambda: clock[0])
    kid = idp_server.service.signing_key().kid
    assert keys.may_fetch(kid)  # nothing fetched yet
    keys.keys_for(kid)
    assert (keys.may_fetch(kid), keys.may_fetch("unknown")) == (False, False)  # known; unknown but refreshed just now
    clock[0] += 10.0
    assert (keys.may_fetch(kid), keys.may_fetch("unknown")) == (False, True)
    keys.keys_for(kid)
    assert keys.fetch_count == 1


def test_users_come_from_pairs_and_a_file_and_one_external_id_maps_to_one_user(tmp_path: Path) -> None:
    users_file = tmp_path / "users.txt"
    users_file.write_text("# external id = login\nbob@example.com=bob_q\n")
    assert parse_users(["a@example.com=alice_q"], users_file) == {"a@example.com": "alice_q", "bob@example.com": "bob_q"}
    from oidc_validator.errors import UsageError

    with pytest.raises(UsageError, match="one External ID maps to one user"):
        parse_users(["a=x", "a=y"])
    with pytest.raises(UsageError, match="EXTERNAL_ID=LOGIN"):
        parse_users(["no-equals-sign"])


def test_a_tampered_bundle_is_refused(idp_server: RunningIdp, tmp_path: Path) -> None:
    import zipfile

    from oidc_validator.errors import UsageError

    path = _bundle(idp_server, tmp_path, "jwks_url")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data.replace(b"qualys.example", b"evil.example") if item.filename == "onboarding.json" else data)
    with pytest.raises(UsageError, match="does not verify"):
        load_bundle(tampered, USERS, now=datetime.now(UTC))


@pytest.mark.anyio
async def test_refusals_are_logged_as_warnings_and_acceptances_as_info(
    idp_server: RunningIdp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # --log-level warning (for load tests) keeps every refusal and drops the accepted lines.
    config = load_bundle(_bundle(idp_server, tmp_path, "certificates"), USERS, now=datetime.now(UTC))
    token = idp_server.issue(sub=EXTERNAL_ID)
    with caplog.at_level("INFO", logger="oidc_validator.simulate"):
        assert (await _get(config, token)).status_code == 200
        assert (await _get(config, token[:-4] + "AAAA")).status_code == 401
        assert (await _get(config, None)).status_code == 401
    levels = [(r.levelname, r.getMessage().rsplit("-> ", 1)[1]) for r in caplog.records if r.name == "oidc_validator.simulate"]
    assert levels == [("INFO", "accepted as john_doe"), ("WARNING", "bad_signature"), ("WARNING", "no bearer token")]
    assert all(token.split(".")[2] not in r.getMessage() for r in caplog.records)


@pytest.mark.anyio
async def test_control_characters_in_a_path_cannot_forge_or_hide_a_log_line(
    idp_server: RunningIdp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A carriage return rewrites a terminal line and ESC starts an ANSI sequence; the path is decoded client input.
    config = load_bundle(_bundle(idp_server, tmp_path, "certificates"), USERS, now=datetime.now(UTC))
    with caplog.at_level("INFO", logger="oidc_validator.simulate"):
        await _get(config, None, path="/api/2.0/fo/x%0D%1B[2K2026-11-23 GET /api/ -> accepted as admin")
    (record,) = [r for r in caplog.records if r.name == "oidc_validator.simulate"]
    assert "\r" not in record.getMessage() and "\x1b" not in record.getMessage()
    assert "\\r\\u001b[2K" in record.getMessage()  # JSON-style escapes since the one escaping function (was %r)
