"""``oidc_idp_reused``: one server for the tests with the same options, and nothing one test changes reaches the next.

Test A changes the keys (a rotation and a retirement), the scenarios, the users, the clock and the
revocations; test B, on the very same server, finds each as the server started, over real HTTP.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest

from oidc_idp.core import control

CLIENT = ("demo-client", "demo-secret")
FUTURE = datetime(2031, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def shared() -> dict[str, Any]:
    """What test A leaves for test B to look at (the tests of one file run in order, on one worker)."""
    return {}


def _password_token(base: Any, username: str, password: str) -> httpx.Response:
    data = {"grant_type": "password", "username": username, "password": password, "scope": "openid"}
    return httpx.post(base.token_endpoint, data=data, auth=CLIENT, timeout=5)


def _kids(server: Any) -> list[str]:
    return sorted(k["kid"] for k in httpx.get(server.jwks_uri, timeout=5).json()["keys"])


def _userinfo(server: Any, token: str) -> httpx.Response:
    url = httpx.get(server.discovery_url, timeout=5).json()["userinfo_endpoint"]
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_a_changes_everything_a_test_can_change(oidc_idp_reused, shared: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    server = oidc_idp_reused
    shared.update(base_url=server.base_url, kids=_kids(server), issuer=httpx.get(server.discovery_url, timeout=5).json()["issuer"])

    # Revocation: a token revoked over HTTP is refused by userinfo.
    token = _password_token(server, "demo", "demo-password").json()["access_token"]
    revoke_url = server.base_url + "/revoke"
    assert httpx.post(revoke_url, data={"token": token}, auth=CLIENT, timeout=5).status_code == 200
    assert _userinfo(server, token).status_code == 401
    shared["revoked"] = token

    # Users, clock and scenarios, as the handle and the control operations change them (no with-block to undo them).
    server.add_user("leaky", password="leaky-pw")
    assert _password_token(server, "leaky", "leaky-pw").status_code == 200
    server.set_clock(fixed=FUTURE, offset_seconds=60)
    issued = _password_token(server, "demo", "demo-password").json()["access_token"]
    assert jwt.decode(issued, options={"verify_signature": False})["iat"] == int(FUTURE.timestamp()) + 60
    control.set_scenarios(server.service, ["discovery_issuer_mismatch"])
    assert httpx.get(server.discovery_url, timeout=5).json()["issuer"] != shared["issuer"]

    # Keys: a rotation, and the key it replaced retired.
    new_kid = server.rotate()
    retired = next(k for k in shared["kids"] if k.startswith("rs256"))
    server.retire(retired)
    kids = _kids(server)
    assert new_kid in kids and retired not in kids


def test_b_finds_the_server_as_it_started(oidc_idp_reused, shared: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    if "revoked" not in shared:
        pytest.skip("test A did not run first (run the file whole)")
    server = oidc_idp_reused
    assert server.base_url == shared["base_url"]  # the very same server, so the checks below mean something

    assert _kids(server) == shared["kids"]  # the rotated key gone, the retired one published again
    assert len(list(server.keys_dir.glob("*.key.pem"))) == len(shared["kids"])  # the rotated key's files deleted
    assert httpx.get(server.discovery_url, timeout=5).json()["issuer"] == shared["issuer"]  # no scenario
    assert _password_token(server, "leaky", "leaky-pw").status_code == 400  # the added user is gone
    issued = _password_token(server, "demo", "demo-password").json()["access_token"]
    assert abs(jwt.decode(issued, options={"verify_signature": False})["iat"] - time.time()) < 60  # the real clock again
    assert _userinfo(server, shared["revoked"]).status_code == 200  # the revocation forgotten


@pytest.mark.oidc_idp(profile="entra-v2")
def test_c_other_options_get_another_server(oidc_idp_reused, shared: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    assert oidc_idp_reused.issuer.endswith("/v2.0")
    if "base_url" in shared:
        assert oidc_idp_reused.base_url != shared["base_url"]


def test_a_keys_directory_or_a_clock_of_the_tests_own_is_never_shared() -> None:
    from oidc_idp.run.pytest_plugin import reuse_key

    assert reuse_key({"alg": "RS256"}) is not None
    assert reuse_key({"alg": "RS256", "clock": object()}) is None
    assert reuse_key({"alg": "RS256", "keys_dir": "/somewhere"}) is None


ROTATING = pytest.mark.oidc_idp(rotate_every_seconds=3600, rotation_overlap_seconds=600)
START = datetime(2030, 6, 1, tzinfo=UTC)


def _rs256(server: Any) -> set[str]:
    return {k for k in _kids(server) if k.startswith("rs256")}


@ROTATING
def test_d_a_scheduled_rotation_moves_the_keys(oidc_idp_reused, shared: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    server = oidc_idp_reused
    server.set_clock(fixed=START)
    rotated = server.rotate()  # the schedule counts from START
    before = _rs256(server)
    server.set_clock(fixed=START, offset_seconds=3600)
    after = _rs256(server)
    assert rotated in before and rotated in after and len(after - before) == 1  # the schedule made a key; the last overlaps
    server.set_clock(fixed=START, offset_seconds=3600 * 5)
    shared.update(rotating_url=server.base_url, made_in_d={rotated} | after | _rs256(server))


@ROTATING
def test_e_the_next_test_finds_neither_the_keys_nor_the_due_time_of_the_last(oidc_idp_reused, shared: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    if "made_in_d" not in shared:
        pytest.skip("test D did not run first (run the file whole)")
    server = oidc_idp_reused
    assert server.base_url == shared["rotating_url"]
    assert not _rs256(server) & shared["made_in_d"]  # every key test D's rotations made is gone
    later = datetime(2030, 9, 1, tzinfo=UTC)  # a start of its own, so only this test's keys decide the next due time
    server.set_clock(fixed=later)
    rotated = server.rotate()
    server.set_clock(fixed=later, offset_seconds=3599)
    assert jwt.get_unverified_header(server.issue(sub="e"))["kid"] == rotated  # not yet due
    server.set_clock(fixed=later, offset_seconds=3600)
    assert jwt.get_unverified_header(server.issue(sub="e"))["kid"] not in {
        rotated,
        *shared["made_in_d"],
    }  # due, by this test's rotation alone
