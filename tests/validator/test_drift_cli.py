"""``oidc-validator drift`` end to end against the real test IdP over TLS: onboard, change the IdP, compare, follow up."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

import pytest

from build import T0
from bundling import LIVE, password_grant, rezip, unzip
from oidc_idp import Clock, RunningIdp, running
from oidc_idp.config import DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_USERNAME
from oidc_validator.cli.main import main

SHIPPED_KEYS = Path(__file__).resolve().parents[2] / "fixtures" / "keys"

NOW = LIVE.isoformat()
GRANT = ["--client-id", DEFAULT_CLIENT_ID, "--client-secret-env", "DRIFT_SECRET",
         "--username", DEFAULT_USERNAME, "--password-env", "DRIFT_PW"]  # fmt: skip


@pytest.fixture
def idp(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningIdp]:
    """A fresh IdP per test (the tests rotate its keys), its clock fixed at T0."""
    monkeypatch.setenv("DRIFT_SECRET", DEFAULT_CLIENT_SECRET)
    monkeypatch.setenv("DRIFT_PW", DEFAULT_PASSWORD)
    with running(tls=True, clock=Clock(fixed=T0)) as server:
        yield server


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def onboard(idp: RunningIdp, path: Path, key_source: str = "certificates") -> Path:
    request = ["--idp-name", "Drift test", "--entity-id", idp.issuer, "--issuer", idp.issuer, "--audience", DEFAULT_AUDIENCE]
    status, _, err = run("bundle", *request, "--external-id", "demo@example.com", *GRANT, "--ca-file", str(idp.ca_file),
                         "--key-source", key_source, "--now", NOW, "-o", str(path))  # fmt: skip
    assert status == 0, err
    return path


def drift(idp: RunningIdp, bundle: Path, *extra: str) -> tuple[int, str, str]:
    return run("drift", "--bundle", str(bundle), *GRANT, "--ca-file", str(idp.ca_file), "--now", NOW, *extra)


def test_an_unchanged_idp_gives_one_line_and_exit_0(idp: RunningIdp, tmp_path: Path) -> None:
    status, out, err = drift(idp, onboard(idp, tmp_path / "a.zip"))
    assert (status, err) == (0, "")
    assert out.startswith("no drift: ") and out.count("\n") == 1


def test_a_rotation_under_pinned_certificates_names_the_new_kid_with_exit_1(idp: RunningIdp, tmp_path: Path) -> None:
    bundle = onboard(idp, tmp_path / "a.zip")
    new_kid = idp.rotate()
    status, out, _ = drift(idp, bundle)
    assert status == 1
    assert "drift_token_kid_not_pinned" in out and new_kid in out


def test_a_published_key_not_yet_signing_is_a_warning_with_exit_1(idp: RunningIdp, tmp_path: Path) -> None:
    bundle = onboard(idp, tmp_path / "a.zip")
    new_kid = idp.rotate()
    # No grant flags: no sample token signs under the new key yet.
    status, out, _ = run("drift", "--bundle", str(bundle), "--ca-file", str(idp.ca_file), "--now", NOW, "--format", "json")
    document = json.loads(out)
    assert status == 1 and document["ok"] is False
    assert [(f["code"], f["evidence"]["kid"]) for f in document["findings"]] == [("drift_new_key_not_pinned", new_kid)]


def test_a_jwks_url_package_follows_a_rotation_by_itself_with_exit_0(idp: RunningIdp, tmp_path: Path) -> None:
    bundle = onboard(idp, tmp_path / "a.zip", key_source="jwks_url")
    idp.rotate()
    status, out, _ = drift(idp, bundle, "--format", "json")
    document = json.loads(out)
    assert status == 0 and document["ok"] is True
    assert {f["code"] for f in document["findings"]} == {"drift_rotation_followed"}


def test_a_certificate_inside_the_warning_window_warns_with_its_date(idp: RunningIdp, tmp_path: Path) -> None:
    status, out, _ = drift(idp, onboard(idp, tmp_path / "a.zip"), "--warn-days", "400")
    assert status == 1 and "drift_certificate_expiring" in out and "expires on 20" in out


def test_the_follow_up_package_verifies_and_asks_for_an_update(idp: RunningIdp, tmp_path: Path) -> None:
    bundle = onboard(idp, tmp_path / "a.zip")
    new_kid = idp.rotate()
    status, _, err = drift(idp, bundle, "--update-bundle", str(tmp_path / "b.zip"))
    assert status == 1, err
    files = unzip(tmp_path / "b.zip")
    doc = json.loads(files["onboarding.json"])
    assert doc["update"]["previous_sha256"] == hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert [c["code"] for c in doc["update"]["changes"]] == ["drift_token_kid_not_pinned"]
    assert new_kid in [c["kid"] for c in doc["certificates"]]
    request = files["REQUEST.md"].decode()
    assert request.startswith("# Request: update our existing OpenID Connect API authentication")
    assert f"- add: `{new_kid}`" in request
    assert run("verify-bundle", str(tmp_path / "b.zip"), "--now", NOW)[0] == 0
    assert drift(idp, tmp_path / "b.zip")[0] == 0  # the follow-up matches the IdP


def test_a_jwks_url_package_can_switch_to_pinned_certificates_in_its_follow_up(idp: RunningIdp, tmp_path: Path) -> None:
    bundle = onboard(idp, tmp_path / "a.zip", key_source="jwks_url")
    new_kid = idp.rotate()
    status, _, err = drift(idp, bundle, "--update-bundle", str(tmp_path / "b.zip"), "--use-kid", new_kid)
    assert status == 0, err  # the rotation was followed: nothing breaks, and the switch is the customer's choice
    files = unzip(tmp_path / "b.zip")
    doc = json.loads(files["onboarding.json"])
    assert doc["key_source"] == "certificates" and [c["kid"] for c in doc["certificates"] if c["use_for_oidc"]] == [new_kid]
    assert doc["key_source_reason"] == "switched from the JWKS URL to pinned certificates with --use-kid"
    request = files["REQUEST.md"].decode()
    assert "| Key source | `jwks_url` | `certificates` |" in request and "Qualys stops polling the JWKS URL" in request
    assert f"`{new_kid}` (`certs/{new_kid}.pem`)" in request.partition("- add: ")[2].partition("\n")[0]
    assert run("verify-bundle", str(tmp_path / "b.zip"), "--now", NOW)[0] == 0


@pytest.mark.parametrize("flags", [["--key-source", "jwks_url"], ["--use-kid", "some-kid"]], ids=["key_source", "use_kid"])
def test_choosing_what_the_follow_up_sends_without_writing_one_is_refused_in_one_line(
    idp: RunningIdp, tmp_path: Path, flags: list[str]
) -> None:
    status, out, err = drift(idp, onboard(idp, tmp_path / "a.zip"), *flags)
    assert (status, out) == (2, "") and err.count("\n") == 1 and "--update-bundle" in err


def test_the_follow_up_package_is_byte_identical_for_the_same_inputs_and_now(idp: RunningIdp, tmp_path: Path) -> None:
    bundle = onboard(idp, tmp_path / "a.zip")
    idp.rotate()
    # The same inputs: one token (a grant would mint a new jti each time).
    token = tmp_path / "token.jwt"
    token.write_text(password_grant(idp)["access_token"])
    for name in ("b1.zip", "b2.zip"):
        status, _, err = run("drift", "--bundle", str(bundle), "--token-file", str(token), "--ca-file", str(idp.ca_file),
                             "--now", NOW, "--update-bundle", str(tmp_path / name))  # fmt: skip
        assert status == 1, err
    assert (tmp_path / "b1.zip").read_bytes() == (tmp_path / "b2.zip").read_bytes()


def test_the_follow_up_package_holds_neither_secret_nor_token_signature(idp: RunningIdp, tmp_path: Path) -> None:
    bundle = onboard(idp, tmp_path / "a.zip")
    idp.rotate()
    drift(idp, bundle, "--update-bundle", str(tmp_path / "b.zip"))
    everything = b"".join(unzip(tmp_path / "b.zip").values())
    assert DEFAULT_CLIENT_SECRET.encode() not in everything and DEFAULT_PASSWORD.encode() not in everything
    assert b"PRIVATE KEY" not in everything and b'"d":' not in everything


def test_an_edited_package_is_refused_in_one_line_with_exit_2(idp: RunningIdp, tmp_path: Path) -> None:
    files = unzip(onboard(idp, tmp_path / "a.zip"))
    files["onboarding.json"] = files["onboarding.json"].replace(b"Drift test", b"Drift TEST")
    status, out, err = drift(idp, rezip(files, tmp_path / "edited.zip"))
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and "does not verify" in err and "bundle_file_tampered" in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--bundle", "missing.zip"], "missing.zip"),
        (["--bundle", "x.zip", "--warn-days", "soon"], "invalid int value"),
        (["--warn-days", "3"], "--bundle"),
    ],
    ids=["a_missing_package", "a_warn_days_that_is_no_number", "no_package_at_all"],
)
def test_bad_usage_is_one_line_with_exit_2(argv: list[str], expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = run("drift", *argv)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and expected in err


def test_a_negative_warning_window_is_refused(idp: RunningIdp, tmp_path: Path) -> None:
    status, _, err = drift(idp, onboard(idp, tmp_path / "a.zip"), "--warn-days", "-1")
    assert status == 2 and "--warn-days" in err


def test_no_follow_up_package_is_written_while_the_live_checks_fail_and_the_drift_is_still_reported(
    idp: RunningIdp, tmp_path: Path
) -> None:
    bundle = onboard(idp, tmp_path / "a.zip")
    new_kid = idp.rotate()
    status, out, err = drift(idp, bundle, "--audience", "api://someone-else", "--update-bundle", str(tmp_path / "b.zip"))
    assert status == 2 and "no follow-up package was written" in err
    assert not (tmp_path / "b.zip").exists()
    assert "drift_token_kid_not_pinned" in out and new_kid in out  # what drifted is still reported


def test_the_follow_up_package_never_overwrites_the_onboarded_one(idp: RunningIdp, tmp_path: Path) -> None:
    bundle = onboard(idp, tmp_path / "a.zip")
    before = bundle.read_bytes()
    idp.rotate()
    status, _, err = drift(idp, bundle, "--update-bundle", str(tmp_path / "." / "a.zip"))
    assert status == 2 and "onboarded package itself" in err
    assert bundle.read_bytes() == before


def test_the_html_page_shows_the_verdict_the_new_kid_on_the_timeline_and_loads_nothing(idp: RunningIdp, tmp_path: Path) -> None:
    bundle = onboard(idp, tmp_path / "a.zip")
    new_kid = idp.rotate()
    status, page, _ = drift(idp, bundle, "--format", "html")
    assert status == 1
    assert page.startswith("<!DOCTYPE html>") and 'class="verdict not-ready"' in page
    assert "Qualys rejects tokens now" in page and "drift_token_kid_not_pinned" in page
    timeline = page[page.index("<svg") : page.index("</svg>")]
    assert new_kid in timeline and "pinned certificate" in timeline
    assert "http://" not in page.replace(idp.issuer, "") and "https://" not in page.replace(idp.issuer, "").replace("https://127.0.0.1", "")


V0_1_0_PACKAGE = Path(__file__).resolve().parents[1] / "data" / "packages" / "v0.1.0-certificates.zip"


def test_a_package_made_by_version_0_1_0_still_verifies_and_is_read_back_by_drift(tmp_path: Path) -> None:
    status, out, _ = run("verify-bundle", str(V0_1_0_PACKAGE), "--now", "2026-12-01T12:05:00Z")
    assert status == 0 and "bundle_text_not_rederived" in out  # no report.html then: not required of it
    # Its IdP (the same shipped keys) now answers at another address: drift reads the old package and names the move.
    with running(tls=True, seed_keys=SHIPPED_KEYS, clock=Clock(fixed=datetime(2026, 12, 1, 12, tzinfo=UTC))) as moved:
        status, out, err = run("drift", "--bundle", str(V0_1_0_PACKAGE), "--issuer", moved.issuer, "--ca-file", str(moved.ca_file),
                               "--now", "2026-12-01T12:05:00Z", "--format", "json")  # fmt: skip
    assert status == 1, err
    assert {f["code"] for f in json.loads(out)["findings"]} == {"drift_issuer_changed"}
