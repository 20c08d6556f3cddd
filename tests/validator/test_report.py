"""Report rendering from hand-made findings: grouping, colour rules, the JSON schema, the catalogue docs."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from oidc_validator.checks.run import CATALOGUE
from oidc_validator.cli.main import main
from oidc_validator.model.context import Context, Inputs, Observations, SampleToken
from oidc_validator.model.findings import Finding, Severity
from oidc_validator.report.render import catalogue_markdown, onboarding_values, render_json, render_text, report_schema, use_colour

DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks.md"
FINDINGS = [
    Finding("token_expired", Severity.WARNING, "token", "The token expired.", "Get a fresh token.", {"exp": 1, "claim": None}),
    Finding("issuer_missing", Severity.ERROR, "issuer", "No issuer.", "Give --issuer.", {"flag": "--issuer"}),
    Finding("token_typ", Severity.INFO, "token", "typ is JWT.", "Nothing to fix."),
]
# header {"alg":"none"}, payload {"sub":"alice","preferred_username":""}, empty signature
UNSIGNED = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsInByZWZlcnJlZF91c2VybmFtZSI6IiJ9."


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def values() -> dict[str, object]:
    token = SampleToken(UNSIGNED, "given", "--token")
    inputs = Inputs(issuer="https://idp.example", external_id_claim="preferred_username", tokens=(token,))
    return onboarding_values(Context(inputs, Observations(), datetime(2026, 1, 1, tzinfo=UTC)))


def test_the_text_report_groups_by_area_with_errors_first_and_counts_in_the_summary() -> None:
    text = render_text(FINDINGS, values())
    assert text.index("\nISSUER\n") < text.index("\nTOKEN\n")
    assert text.index("[token_expired]") < text.index("[token_typ]")
    assert "      fix: Give --issuer." in text
    assert "      evidence: exp=1\n" in text  # empty evidence values are left out
    assert text.rstrip().endswith("Summary: 1 error, 1 warning, 1 info. NOT ready: fix the errors above.")


def test_the_text_report_shows_the_mapping_claim_with_its_fallback_to_sub() -> None:
    assert "Token (given from --token): sub = 'alice'" in render_text([], values())


def test_a_report_without_errors_says_it_is_ready() -> None:
    assert render_text(FINDINGS[:1], values()).rstrip().endswith("Summary: 0 errors, 1 warning, 0 info. ready to send to Qualys Support.")


def test_colour_is_used_on_a_terminal_only_and_never_with_no_color() -> None:
    assert use_colour(Terminal(), {}) is True
    assert use_colour(io.StringIO(), {}) is False
    assert use_colour(Terminal(), {"NO_COLOR": "1"}) is False
    assert use_colour(Terminal(), {"NO_COLOR": ""}) is True  # no-color.org: only a non-empty value counts
    assert "\x1b[31m" in render_text(FINDINGS, values(), colour=True)
    assert "\x1b[" not in render_text(FINDINGS, values(), colour=False)


def test_the_json_report_matches_its_schema_and_ok_follows_the_errors() -> None:
    document = json.loads(render_json(FINDINGS, values()))
    jsonschema.validate(document, report_schema())
    assert document["ok"] is False
    assert json.loads(render_json(FINDINGS[:1], values()))["ok"] is True
    token = document["values"]["tokens"][0]
    assert (token["alg"], token["mapping_claim"], token["mapping_value"]) == ("none", "sub", "alice")


def test_an_undecodable_token_is_named_in_the_values_without_its_content() -> None:
    inputs = Inputs(tokens=(SampleToken("not-a-token-secret-ish", "given", "--token"),))
    document = json.loads(render_json([], onboarding_values(Context(inputs, Observations(), datetime(2026, 1, 1, tzinfo=UTC)))))
    jsonschema.validate(document, report_schema())
    assert "not-a-token-secret-ish" not in json.dumps(document)
    assert document["values"]["tokens"][0]["decode_error"]


def test_the_schema_rejects_a_report_missing_its_values() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"ok": True, "findings": []}, report_schema())


def test_the_catalogue_lists_every_code_with_severity_meaning_and_fix() -> None:
    markdown = catalogue_markdown(CATALOGUE)
    for code in CATALOGUE:
        assert f"| `{code.code}` | {code.severity.value} |" in markdown


def test_the_committed_docs_checks_md_is_the_generated_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalogue"]) == 0
    generated = capsys.readouterr().out
    assert DOCS.read_text(encoding="utf-8") == generated, "regenerate with: oidc-validator catalogue > docs/checks.md"
