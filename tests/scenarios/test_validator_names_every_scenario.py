"""The validator, run as a user runs it, names exactly what each IdP scenario breaks and recognises each vendor profile.

Expected codes live in the tables (idp/scenarios.py, idp/profiles.py); docs/scenarios.md is generated from them.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from oidc_idp import running
from oidc_idp.variants.docs import scenarios_markdown
from oidc_idp.variants.profiles import PROFILES, Profile
from oidc_idp.variants.scenarios import SCENARIOS, Scenario
from oidc_validator.cli.main import main

DOCS = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"


def check(scenarios: tuple[str, ...] = (), profile: str = "generic", *, audience: bool = True) -> tuple[int, list[dict[str, Any]]]:
    with running(tls=True, scenarios=list(scenarios), profile=profile) as idp:
        args = ["check", "--issuer", idp.issuer, "--entity-id", idp.issuer, "--ca-file", str(idp.ca_file), "--format", "json"]
        args += ["--client-id", "demo-client", "--client-secret-env", "IDP_SECRET", "--username", "demo", "--password-env", "IDP_PASSWORD"]
        if audience:
            args += ["--audience", "https://qualys.example/api", "--external-id", "demo@example.com"]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(args)
    return code, json.loads(out.getvalue())["findings"]


def problems(findings: list[dict[str, Any]]) -> set[str]:
    return {f["code"] for f in findings if f["severity"] != "info"}


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDP_SECRET", "demo-secret")
    monkeypatch.setenv("IDP_PASSWORD", "demo-password")


def test_the_clean_idp_gives_no_error_and_no_warning() -> None:
    code, findings = check()
    assert (code, problems(findings)) == (0, set())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_each_scenario_gives_exactly_its_expected_codes(scenario: Scenario) -> None:
    code, findings = check((scenario.name,))
    assert problems(findings) == scenario.expected_codes
    errors = any(f["severity"] == "error" for f in findings)
    assert code == (1 if errors else 0)


VENDORS = [p for p in PROFILES if p.recognised_as]


@pytest.mark.parametrize("profile", VENDORS, ids=[p.name for p in VENDORS])
def test_each_vendor_profile_is_recognised_with_its_hints(profile: Profile) -> None:
    _, findings = check(profile=profile.name, audience=False)
    recognised = [f["evidence"]["vendor"] for f in findings if f["code"] == "vendor_recognised"]
    assert recognised == [profile.recognised_as]
    assert profile.hints <= {f["code"] for f in findings}


COMBINED = [
    ("keycloak", "alg_none_tokens"),
    ("entra-v2", "expired_certificate"),
    ("auth0", "duplicate_kids"),
    ("okta-custom", "iat_in_future"),
]


@pytest.mark.parametrize(("profile", "scenario"), COMBINED, ids=[f"{p}+{s}" for p, s in COMBINED])
def test_a_profile_combined_with_a_scenario_still_yields_the_scenarios_codes(profile: str, scenario: str) -> None:
    _, findings = check((scenario,), profile, audience=False)
    fired = {f["code"] for f in findings}
    assert {s.name: s for s in SCENARIOS}[scenario].expected_codes <= fired
    assert "vendor_recognised" in fired


def test_the_committed_scenario_docs_are_generated_from_the_tables() -> None:
    assert DOCS.read_text() == scenarios_markdown(), "regenerate with: oidc-idp scenarios --markdown > docs/scenarios.md"
