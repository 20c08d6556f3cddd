"""Every hostile case of fixtures/attacks is rejected by both ``check`` and the stand-in, for the named reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from asgikit import request
from oidc_validator.checks.run import CATALOGUE, run_checks
from oidc_validator.model.context import Context, Fetched, Inputs, Observations, SampleToken
from oidc_validator.model.findings import Severity
from oidc_validator.simulate.app import create_stand_in_app
from oidc_validator.simulate.config import StandInConfig
from oidc_validator.simulate.decide import decide

CASES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "attacks" / "cases"
CASES = sorted(CASES_DIR.glob("*.json"))
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def test_the_corpus_has_at_least_40_cases_and_every_expected_code_exists() -> None:
    assert len(CASES) >= 40
    for path in CASES:
        assert _load(path)["expect"]["check"] in CATALOGUE, path.name


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_check_rejects_the_attack_with_the_expected_finding(path: Path) -> None:
    case = _load(path)
    inputs = Inputs(
        issuer=case["issuer"],
        entity_id=case["issuer"],
        audiences=(case["audience"],),
        external_id=case["external_id"],
        tokens=(SampleToken(case["token"], "given", "attack corpus"),),
    )
    jwks = Fetched(url="https://idp.attack.example/jwks", status=200, content_type="application/json", json=case["jwks"])
    findings = run_checks(Context(inputs, Observations(jwks=jwks, jwks_url_used=jwks.url), NOW))
    codes = {f.code for f in findings}
    assert case["expect"]["check"] in codes, sorted(codes)
    assert any(f.severity == Severity.ERROR for f in findings)
    assert "internal_error" not in codes
    signature = case["token"].rsplit(".", 1)[-1]
    if len(signature) > 20:  # a token's signature never appears in a finding
        assert all(signature not in json.dumps(f.to_json()) for f in findings)


def _stand_in_config(case: dict[str, Any]) -> StandInConfig:
    return StandInConfig(
        issuer=case["issuer"],
        audiences=(case["audience"],),
        custom_claim=None,
        users={case["external_id"]: "victim_login"},
        key_source="certificates",
        certificate_jwks=tuple(case["jwks"]["keys"]),
    )


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_the_stand_in_rejects_the_attack_for_the_expected_reason(path: Path) -> None:
    case = _load(path)
    decision = decide(case["token"], case["jwks"]["keys"], _stand_in_config(case), now=int(NOW.timestamp()))
    assert not decision.accepted
    assert decision.reason == case["expect"]["simulate"], decision.description


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_the_stand_in_app_answers_the_attack_with_a_401_naming_the_reason(path: Path) -> None:
    case = _load(path)
    app = create_stand_in_app(_stand_in_config(case))
    response = request(app, "GET", "/api/2.0/fo/asset/ip/?action=list", headers={"Authorization": f"Bearer {case['token']}"})
    assert response.status_code == 401, response.text
    reason = case["expect"]["simulate"]
    assert response.json()["error_description"].startswith(f"{reason}: ")
    assert f'error_description="{reason}: ' in response.headers["www-authenticate"]
