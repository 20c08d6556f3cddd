"""drift across a production IdP's own key history, replayed at its real host name.

Microsoft Entra's common v2.0 endpoint, as published in November 2022, June 2024 and October 2024
(tests/data/realworld/entra_v2_common_*; each case.json names its source). Entra replaced every
signing key between one snapshot and the next, so these are three real rotations no one here wrote.
Its discovery publishes a templated issuer ('.../{tenantid}/v2.0'), an error the packages carry
(written with --allow-errors); drift must not call that a change. This module's replays listen on
127.0.0.76:443.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from oidc_validator.cli.main import main
from realworld import Case, load_case, replay

ADDRESS = "127.0.0.76"
CORPUS = Path(__file__).resolve().parents[1] / "data" / "realworld"
AUDIENCE = "qualys-oidc-onboarding-test"


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue() + err.getvalue()


def snapshot(name: str) -> Case:
    return load_case(CORPUS / f"entra_v2_common_{name}" / "case.json")


def signing_kids(case: Case) -> list[str]:
    body = next(body for url, (_, body) in case.documents.items() if url.endswith("/keys"))
    return [k["kid"] for k in json.loads(body)["keys"] if k.get("use", "sig") == "sig"]


def request(case: Case) -> list[str]:
    return ["--issuer", case.issuer, "--entity-id", case.issuer, "--audience", AUDIENCE, "--now", case.now]


def use_kids(kids: list[str]) -> list[str]:
    return [part for kid in kids for part in ("--use-kid", kid)]


def onboard(case: Case, workdir: Path, *flags: str) -> Path:
    """The package a customer would have sent at the case's date (--allow-errors: the templated issuer is an error)."""
    package = workdir / f"onboarded-{case.name}.zip"
    (workdir / case.name).mkdir()
    with replay(case.documents, address=ADDRESS, workdir=workdir / case.name) as served:
        status, said = run("bundle", *request(case), *served.arguments(), *flags, "--allow-errors", "-o", str(package))
    assert status == 0, said
    return package


def drift(package: Path, case: Case, workdir: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    workdir.mkdir()
    with replay(case.documents, address=ADDRESS, workdir=workdir) as served:
        status, said = run("drift", "--bundle", str(package), "--now", case.now, "--format", "json", *served.arguments(), *extra)
    assert status in (0, 1), said
    return status, json.loads(said)


def counted(report: dict[str, Any]) -> Counter[str]:
    return Counter(f["code"] for f in report["findings"])


@pytest.fixture(scope="module")
def history() -> tuple[Case, Case, Case]:
    cases = snapshot("2022_11"), snapshot("2024_06"), snapshot("2024_10")
    for earlier, later in pairwise(cases):
        assert not set(signing_kids(earlier)) & set(signing_kids(later))  # what makes each step a full rotation
    return cases


def test_pinned_certificates_from_2022_are_all_gone_by_2024_and_the_follow_up_package_carries_the_new_ones(
    history: tuple[Case, Case, Case], tmp_path: Path
) -> None:
    november_2022, june_2024, october_2024 = history
    pinned = signing_kids(november_2022)[:2]
    onboarded = onboard(november_2022, tmp_path, *use_kids(pinned))

    # June 2024: no pinned kid is published; Entra signs with keys Qualys does not have. No token is needed to say so.
    update = tmp_path / "update-2024.zip"
    chosen = signing_kids(june_2024)[:2]
    status, report = drift(onboarded, june_2024, tmp_path / "2024-06", "--update-bundle", str(update), *use_kids(chosen), "--allow-errors")
    assert status == 1
    assert counted(report) == {
        "drift_no_pinned_key_published": 1,
        "drift_new_key_not_pinned": len(signing_kids(june_2024)),
        "drift_key_removed": len(pinned),
    }
    assert "drift_issuer_changed" not in counted(report)  # the template was there at onboarding already
    gone = next(f for f in report["findings"] if f["code"] == "drift_no_pinned_key_published")
    assert gone["evidence"]["pinned_kids"] == pinned

    status, said = run("verify-bundle", str(update), "--now", june_2024.now)
    assert status == 0, said
    with zipfile.ZipFile(update) as archive:
        names = set(archive.namelist())
    assert {f"certs/{kid}.pem" for kid in chosen} <= names
    assert not {f"certs/{kid}.pem" for kid in pinned} & names

    # October 2024: Entra rotated again; the follow-up package is out of date in the same way.
    status, report = drift(update, october_2024, tmp_path / "2024-10")
    assert status == 1
    assert counted(report)["drift_no_pinned_key_published"] == 1
    assert counted(report)["drift_key_removed"] == len(chosen)


def test_a_jwks_url_package_from_2022_follows_both_rotations_by_itself(history: tuple[Case, Case, Case], tmp_path: Path) -> None:
    november_2022, _, october_2024 = history
    onboarded = onboard(november_2022, tmp_path, "--key-source", "jwks_url")
    status, report = drift(onboarded, october_2024, tmp_path / "2024-10")
    assert (status, report["ok"]) == (0, True)
    assert counted(report) == {"drift_rotation_followed": 1, "drift_key_removed": len(signing_kids(november_2022))}
    followed = next(f for f in report["findings"] if f["code"] == "drift_rotation_followed")
    assert followed["evidence"]["kids"] == signing_kids(october_2024)


def test_a_certificate_package_switched_to_the_jwks_url_in_2024_follows_the_next_rotation(
    history: tuple[Case, Case, Case], tmp_path: Path
) -> None:
    november_2022, june_2024, october_2024 = history
    pinned = signing_kids(november_2022)[:1]
    onboarded = onboard(november_2022, tmp_path, *use_kids(pinned))

    update = tmp_path / "update-2024.zip"
    status, report = drift(
        onboarded, june_2024, tmp_path / "2024-06", "--update-bundle", str(update), "--key-source", "jwks_url", "--allow-errors"
    )
    assert status == 1 and "drift_no_pinned_key_published" in counted(report)
    assert run("verify-bundle", str(update), "--now", june_2024.now)[0] == 0
    with zipfile.ZipFile(update) as archive:
        request_md = archive.read("REQUEST.md").decode()
        document = json.loads(archive.read("onboarding.json"))
        assert not [name for name in archive.namelist() if name.startswith("certs/")]
    assert document["key_source"] == "jwks_url" and document["update"]["previous_key_source"] == "certificates"
    assert "switched from pinned certificates to the JWKS URL with --key-source" in document["key_source_reason"]
    assert "| Key source | `certificates` | `jwks_url` |" in request_md
    assert f"Remove the pinned certificates (`{pinned[0]}`)" in request_md

    status, report = drift(update, october_2024, tmp_path / "2024-10")
    assert (status, set(counted(report))) == (0, {"drift_rotation_followed", "drift_key_removed"})
