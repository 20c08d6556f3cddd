"""Issue 17's story end to end, on real servers: onboard with pinned certificates, the IdP rotates on its
schedule, ``drift`` names the new kid (exit 1), ``--update-bundle`` writes the follow-up, ``verify-bundle``
passes it, and the Qualys-side stand-in started from it accepts the new token (and from the old one, refuses it).
"""

from __future__ import annotations

import io
import json
import ssl
import subprocess
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bundling import password_grant
from oidc_idp import Clock, RunningIdp, running
from oidc_idp.config import DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_USERNAME
from oidc_validator.cli.main import main
from oidc_validator.simulate.serve import PROBE_PATH
from processes import cli, ready_line, stop

PERIOD_SECONDS = 3600
OVERLAP_SECONDS = 600
# The IdP starts this far in the past, so moving its clock to the present crosses one rotation: the new key, and the
# tokens it signs, then live on the real clock, which the stand-in judges expiry by.
BEHIND_SECONDS = PERIOD_SECONDS + 120
GRANT = ["--client-id", DEFAULT_CLIENT_ID, "--client-secret-env", "E2E_SECRET",
         "--username", DEFAULT_USERNAME, "--password-env", "E2E_PASSWORD"]  # fmt: skip
EXTERNAL_ID = "demo@example.com"


def validator(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue() + err.getvalue()


@contextmanager
def stand_in(bundle: Path) -> Iterator[str]:
    """``oidc-validator simulate`` as a real process on a free loopback port; its base URL."""
    proc = subprocess.Popen(
        [
            cli("oidc-validator"),
            "simulate",
            "--bundle",
            str(bundle),
            "--user",
            f"{EXTERNAL_ID}=demo_q",
            "--port",
            "0",
            "--log-level",
            "error",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = ready_line(proc, 30.0)
        assert line, proc.stderr.read() if proc.stderr and proc.poll() is not None else "the stand-in did not start in 30 s"
        yield str(json.loads(line)["base_url"])
    finally:
        stop(proc)


def presented(base_url: str, token: str) -> int:
    return httpx.get(base_url + PROBE_PATH, headers={"Authorization": f"Bearer {token}"}, timeout=10.0).status_code


@pytest.fixture
def idp(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningIdp]:
    monkeypatch.setenv("E2E_SECRET", DEFAULT_CLIENT_SECRET)
    monkeypatch.setenv("E2E_PASSWORD", DEFAULT_PASSWORD)
    clock = Clock(offset_seconds=-BEHIND_SECONDS)
    with running(tls=True, clock=clock, rotate_every_seconds=PERIOD_SECONDS, rotation_overlap_seconds=OVERLAP_SECONDS) as server:
        yield server


def test_a_scheduled_rotation_is_caught_by_drift_and_mended_by_the_follow_up_package(idp: RunningIdp, tmp_path: Path) -> None:
    onboarded, update = tmp_path / "onboarded.zip", tmp_path / "update.zip"
    ca = ["--ca-file", str(idp.ca_file)]
    then = (datetime.now(UTC) - timedelta(seconds=BEHIND_SECONDS)).isoformat()
    request = ["--idp-name", "Rotating IdP", "--entity-id", idp.issuer, "--issuer", idp.issuer, "--audience", DEFAULT_AUDIENCE,
               "--external-id", EXTERNAL_ID]  # fmt: skip

    # Onboarding, an hour ago by the IdP's clock: one key, pinned as a certificate.
    status, said = validator("bundle", *request, *GRANT, *ca, "--key-source", "certificates", "--now", then, "-o", str(onboarded))
    assert status == 0, said
    (old_kid,) = [c["kid"] for c in json.loads(_entry(onboarded, "onboarding.json"))["certificates"]]

    # The IdP's clock reaches the present: one period has passed, so it rotates, keeping the old key for the overlap.
    idp.set_clock(offset_seconds=0)
    trust = ssl.create_default_context(cafile=str(idp.ca_file))
    published = [k["kid"] for k in httpx.get(idp.jwks_uri, verify=trust, timeout=10.0).json()["keys"]]
    new_kid = next(kid for kid in published if kid != old_kid)
    assert old_kid in published
    token = password_grant(idp)["access_token"]

    status, said = validator("drift", "--bundle", str(onboarded), *GRANT, *ca)
    assert status == 1, said
    assert "drift_token_kid_not_pinned" in said and new_kid in said

    status, said = validator("drift", "--bundle", str(onboarded), *GRANT, *ca, "--update-bundle", str(update))
    assert status == 1 and update.is_file(), said
    status, said = validator("verify-bundle", str(update))
    assert status == 0, said
    assert "update our existing OpenID Connect" in _entry(update, "REQUEST.md")

    with stand_in(update) as qualys:
        assert presented(qualys, token) == 200
    with stand_in(onboarded) as qualys_before:
        assert presented(qualys_before, token) == 401  # what Qualys did until the follow-up package arrived

    status, said = validator("drift", "--bundle", str(update), *GRANT, *ca)
    assert (status, said.startswith("no drift: ")) == (0, True), said


def _entry(bundle: Path, name: str) -> str:
    with zipfile.ZipFile(bundle) as archive:
        return archive.read(name).decode()
