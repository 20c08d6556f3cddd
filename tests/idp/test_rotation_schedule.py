"""The IdP rotates its signing key on a schedule by its own clock, keeps the replaced key through the overlap, then retires it."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from joserfc.errors import InvalidKeyIdError

from crosscheck import certificate_of, verify
from oidc_idp import Clock, build_config, running
from oidc_idp.config import read_toml
from oidc_idp.core.service import IdpService
from oidc_idp.errors import ConfigError
from oidc_idp.keys.keystore import KeyRecord, KeyStore
from oidc_idp.keys.schedule import MAX_PREVIOUS_KEYS, RETIRED_KEPT, Plan, Schedule
from processes import cli, serving

DATA = Path(__file__).resolve().parents[1] / "data" / "rotation"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
START = int(T0.timestamp())
HOUR = 3600
CLIENT = ("demo-client", "demo-secret")


def at(instant: int) -> datetime:
    return datetime.fromtimestamp(instant, UTC)


def record(kid: str, instant: int, status: str = "active") -> KeyRecord:
    return KeyRecord(kid, "RS256", at(instant), status)  # type: ignore[arg-type]


def applied(records: Sequence[KeyRecord], plan: Plan) -> list[KeyRecord]:
    """The manifest after a plan, with each new key named after its instant (so two histories compare by kid)."""
    made = [record(f"k{t}", t, "published") for t in plan.created]
    made[-1:] = [replace(m, status="active") for m in made[-1:]]
    return [replace(r, status=plan.statuses.get(r.kid, r.status)) for r in records if r.kid not in plan.forgotten] + made


def published(records: Sequence[KeyRecord]) -> set[str]:
    return {r.kid for r in records if r.status != "retired"}


# -- the schedule, a pure function of the manifest and the clock -----------------------------------------------


def test_nothing_is_due_until_one_period_after_the_active_key_was_created() -> None:
    schedule = Schedule(HOUR, 600)
    records = [record("k0", START)]
    assert schedule.next_event(records, "RS256") == START + HOUR
    assert schedule.plan(records, "RS256", START + HOUR - 1) is None


def test_a_due_rotation_makes_the_new_key_at_the_due_instant_and_keeps_the_old_one_published() -> None:
    plan = Schedule(HOUR, 600).plan([record("k0", START)], "RS256", START + HOUR + 17)
    assert plan == Plan({"k0": "published"}, (START + HOUR,))


def test_the_replaced_key_is_retired_once_the_overlap_has_passed_and_not_a_second_before() -> None:
    schedule = Schedule(HOUR, 600)
    records = applied([record("k0", START)], Plan({"k0": "published"}, (START + HOUR,)))
    assert schedule.next_event(records, "RS256") == START + HOUR + 600
    assert schedule.plan(records, "RS256", START + HOUR + 599) is None
    assert schedule.plan(records, "RS256", START + HOUR + 600) == Plan({"k0": "retired"}, ())


def test_without_overlap_the_previous_key_leaves_the_jwks_at_the_rotation_itself() -> None:
    plan = Schedule(HOUR, 0).plan([record("k0", START)], "RS256", START + HOUR)
    assert plan == Plan({"k0": "retired"}, (START + HOUR,))


def test_a_clock_jump_of_a_hundred_periods_makes_only_the_keys_that_are_still_published() -> None:
    plan = Schedule(HOUR, 2 * HOUR + 1).plan([record("k0", START)], "RS256", START + 100 * HOUR)
    assert plan == Plan({"k0": "retired"}, (START + 97 * HOUR, START + 98 * HOUR, START + 99 * HOUR, START + 100 * HOUR))


def test_only_the_newest_retired_keys_stay_in_the_manifest_so_it_does_not_grow_with_every_rotation() -> None:
    history = [record(f"r{i}", START + i * HOUR, "retired") for i in range(RETIRED_KEPT)] + [record("k0", START + 9 * HOUR)]
    plan = Schedule(HOUR, 0).plan(history, "RS256", START + 10 * HOUR)
    assert plan is not None and plan.forgotten == {"r0"} and plan.statuses == {"k0": "retired"}


def test_other_algorithms_keys_are_left_alone() -> None:
    other = KeyRecord("es0", "ES256", at(START), "active")
    plan = Schedule(HOUR, 0).plan([other, record("k0", START)], "RS256", START + HOUR)
    assert plan is not None and "es0" not in plan.statuses


@given(
    every=st.integers(1, 1000),
    overlap_periods=st.floats(0, MAX_PREVIOUS_KEYS),
    steps=st.lists(st.integers(0, 5000), min_size=1, max_size=20),
)
def test_walking_the_clock_forward_publishes_the_same_keys_as_jumping_there(every: int, overlap_periods: float, steps: list[int]) -> None:
    schedule = Schedule(every, int(overlap_periods * every))
    walked, now = [record("k0", START)], START
    for step in steps:
        now += step
        due = schedule.next_event(walked, "RS256")
        plan = schedule.plan(walked, "RS256", now)
        assert (plan is not None) == (due is not None and due <= now)
        if plan is not None:
            walked = applied(walked, plan)
            assert schedule.plan(walked, "RS256", now) is None
        assert len(published(walked)) <= MAX_PREVIOUS_KEYS + 1
        assert len(walked) <= MAX_PREVIOUS_KEYS + 1 + RETIRED_KEPT
    jumped = [record("k0", START)]
    plan = schedule.plan(jumped, "RS256", now)
    if plan is not None:
        jumped = applied(jumped, plan)
    assert published(walked) == published(jumped)


# -- the keystore and the service: real key files, a fixed clock ------------------------------------------------


def service_on(keys_dir: Path, **values: Any) -> IdpService:
    config = build_config({"issuer": "http://127.0.0.1:9", "keys_dir": keys_dir, **values})
    return IdpService(config, KeyStore(keys_dir), Clock(T0))


def manifest(keys_dir: Path) -> list[dict[str, str]]:
    return list(json.loads((keys_dir / "keys.json").read_text())["keys"])


def test_the_new_key_and_its_certificate_date_from_the_due_instant_not_from_when_it_was_noticed(tmp_path: Path) -> None:
    service = service_on(tmp_path, rotate_every_seconds=HOUR)
    service.clock.fixed = T0 + timedelta(hours=1, minutes=42)
    key = service.signing_key()
    assert key.record.created == T0 + timedelta(hours=1)
    assert key.certificate.not_valid_before_utc == T0 + timedelta(minutes=55)
    assert [(k["created"], k["status"]) for k in manifest(tmp_path)] == [
        (T0.isoformat(), "published"),
        ((T0 + timedelta(hours=1)).isoformat(), "active"),
    ]


def test_reading_the_keys_when_nothing_is_due_takes_no_lock_and_writes_nothing(tmp_path: Path) -> None:
    service = service_on(tmp_path, rotate_every_seconds=HOUR)
    first = service.keys()
    before = os.stat(tmp_path / "keys.json")
    # Hold the keystore's lock: a read that wanted it would wait here for good (and the suite's timeout would say so).
    with (tmp_path / ".lock").open("r+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        service.clock.fixed = T0 + timedelta(seconds=HOUR - 1)
        assert all(service.keys() is first for _ in range(1000))
        assert service.signing_key().kid == first.active("RS256").kid  # type: ignore[union-attr]
    after = os.stat(tmp_path / "keys.json")
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_two_services_sharing_one_keys_directory_rotate_once_not_once_each(tmp_path: Path) -> None:
    services = [service_on(tmp_path, rotate_every_seconds=HOUR), service_on(tmp_path, rotate_every_seconds=HOUR)]
    for service in services:
        service.clock.fixed = T0 + timedelta(hours=1)
    together = threading.Barrier(len(services))

    def sign_after_the_rotation(service: IdpService) -> str:
        together.wait()
        return service.signing_key().kid

    with ThreadPoolExecutor(len(services)) as pool:
        kids = set(pool.map(sign_after_the_rotation, services))
    assert len(kids) == 1
    assert [k["status"] for k in manifest(tmp_path)] == ["published", "active"]


def test_a_rotation_without_overlap_scenario_never_publishes_the_previous_key(tmp_path: Path) -> None:
    with running(keys_dir=tmp_path, clock_fixed=T0, rotate_every_seconds=HOUR, scenarios=["rotation_without_overlap"]) as server:
        server.set_clock(fixed=T0 + timedelta(hours=1))
        jwks = httpx.get(server.jwks_uri, timeout=5).json()
        active = server.service.signing_key().kid
        token = httpx.post(server.token_endpoint, data={"grant_type": "client_credentials"}, auth=CLIENT, timeout=5).json()
    assert [k["kid"] for k in jwks["keys"]] == [active]
    assert [k["status"] for k in manifest(tmp_path)] == ["published", "active"]  # the schedule itself kept it
    assert jwt.get_unverified_header(token["access_token"])["kid"] not in {k["kid"] for k in jwks["keys"]}


# -- configuration --------------------------------------------------------------------------------------------------


def test_the_schedule_is_read_from_the_toml_config_with_its_units_in_the_names() -> None:
    config = build_config({"issuer": "http://127.0.0.1:9", "keys_dir": "/tmp/unused", **read_toml(DATA / "hourly.toml")})
    assert (config.rotate_every_seconds, config.rotation_overlap_seconds) == (HOUR, 600)
    assert config.rotation == Schedule(HOUR, 600)


def test_without_a_schedule_keys_rotate_only_when_asked_and_the_overlap_defaults_to_one_period() -> None:
    base = {"issuer": "http://127.0.0.1:9", "keys_dir": "/tmp/unused"}
    assert build_config(base).rotation is None
    assert build_config({**base, "rotate_every_seconds": 90}).rotation == Schedule(90, 90)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"rotate_every_seconds": 0}, "rotate_every_seconds: Input should be greater than 0"),
        ({"rotate_every_seconds": -60}, "rotate_every_seconds: Input should be greater than 0"),
        (
            {"rotate_every_seconds": 60, "rotation_overlap_seconds": -1},
            "rotation_overlap_seconds: Input should be greater than or equal",
        ),
        ({"rotation_overlap_seconds": 600}, "rotation_overlap_seconds (--rotation-overlap) needs rotate_every_seconds (--rotate-every)"),
        ({"rotate_every_seconds": 60, "rotation_overlap_seconds": 241}, "would keep more than 4 previous keys published"),
        ({"rotate_every_seconds": "hourly"}, "rotate_every_seconds: Input should be a valid integer"),
    ],
    ids=["zero_period", "negative_period", "negative_overlap", "overlap_without_period", "overlap_of_five_periods", "not_a_number"],
)
def test_a_bad_schedule_is_a_one_line_config_error(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_config({"issuer": "http://127.0.0.1:9", "keys_dir": "/tmp/unused", **values})
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_the_cli_refuses_an_overlap_without_a_schedule_in_one_line_with_exit_2(tmp_path: Path) -> None:
    config = DATA / "overlap_without_schedule.toml"
    done = subprocess.run(
        [cli("oidc-idp"), "serve", "--port", "0", "--keys-dir", str(tmp_path), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "needs rotate_every_seconds (--rotate-every)" in done.stderr


# -- a real server, its clock moved through the control API -----------------------------------------------------


def kids(ready: dict[str, Any]) -> list[str]:
    return [k["kid"] for k in httpx.get(ready["jwks_uri"], timeout=5).json()["keys"]]


def token(ready: dict[str, Any]) -> str:
    response = httpx.post(ready["token_endpoint"], data={"grant_type": "client_credentials"}, auth=CLIENT, timeout=5)
    return str(response.json()["access_token"])


def move_clock(ready: dict[str, Any], when: datetime) -> None:
    response = httpx.put(ready["admin_url"] + "/clock", json={"fixed": when.isoformat()}, timeout=5)
    assert response.status_code == 200


def test_moving_the_served_clock_rotates_keeps_the_old_kid_through_the_overlap_then_retires_it(tmp_path: Path) -> None:
    flags = ("--keys-dir", str(tmp_path), "--admin", "--clock", T0.isoformat(), "--rotate-every", "3600", "--rotation-overlap", "600")
    with serving(*flags) as (_, ready):
        (first,) = kids(ready)
        old_token = token(ready)
        assert jwt.get_unverified_header(old_token)["kid"] == first

        move_clock(ready, T0 + timedelta(hours=1))
        new_token = token(ready)
        jwks = httpx.get(ready["jwks_uri"], timeout=5).json()
        second = jwt.get_unverified_header(new_token)["kid"]
        assert [k["kid"] for k in jwks["keys"]] == [first, second] and second != first
        assert verify(new_token, jwks, "RS256").claims["sub"] == "demo-client"
        assert verify(old_token, jwks, "RS256").header["kid"] == first
        assert certificate_of(jwks["keys"][1]).not_valid_before_utc == T0 + timedelta(minutes=55)

        move_clock(ready, T0 + timedelta(hours=1, seconds=599))
        assert kids(ready) == [first, second]

        move_clock(ready, T0 + timedelta(hours=1, seconds=600))
        jwks = httpx.get(ready["jwks_uri"], timeout=5).json()
        assert [k["kid"] for k in jwks["keys"]] == [second]
        with pytest.raises(InvalidKeyIdError):
            verify(old_token, jwks, "RS256")

        move_clock(ready, T0 + timedelta(hours=100))
        latest = jwt.get_unverified_header(token(ready))["kid"]
        assert kids(ready)[-1] == latest and len(kids(ready)) == 2
    # A hundred periods later: the two keys still published were made, not a hundred.
    assert [(k["created"], k["status"]) for k in manifest(tmp_path)][-2:] == [
        ((T0 + timedelta(hours=99)).isoformat(), "published"),
        ((T0 + timedelta(hours=100)).isoformat(), "active"),
    ]
    assert len(manifest(tmp_path)) == 4


def test_two_worker_processes_sharing_the_keys_rotate_once_between_them(tmp_path: Path) -> None:
    KeyStore(tmp_path).ensure(("RS256",), now=T0, validity_days=30)
    flags = ("--keys-dir", str(tmp_path), "--workers", "2", "--clock", (T0 + timedelta(hours=1)).isoformat(), "--rotate-every", "3600")
    with serving(*flags) as (_, ready):
        # Each worker rotates on its first request after start; whichever answers first, the other finds it done.
        seen = {kid for _ in range(40) for kid in kids(ready)}
    assert [(k["created"], k["status"]) for k in manifest(tmp_path)] == [
        (T0.isoformat(), "published"),
        ((T0 + timedelta(hours=1)).isoformat(), "active"),
    ]
    assert seen == {k["kid"] for k in manifest(tmp_path)}
