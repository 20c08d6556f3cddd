"""Text from outside (JWKS kids, token headers and claims, zip entry names, SHA256SUMS lines, flags) reaches a
terminal, a log or REQUEST.md only through oidc_validator.model.text.escape_text: nothing in it can move the
cursor, clear the screen, start or rewrite a line, or reorder and hide what follows."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from pathlib import Path

import pytest

from build import KID, T0, certificate, claims, compact, context, crafted_claims, crafted_context, given, jwks, public_jwk, rsa_key, sign
from oidc_validator.bundle.contents import build_contents
from oidc_validator.bundle.render import cell, prose
from oidc_validator.checks.run import run_checks
from oidc_validator.cli.bundle_commands import run_verify_bundle
from oidc_validator.cli.main import main
from oidc_validator.model.text import escape_html, escape_text, terminal_json
from oidc_validator.observe.environment import Environment
from oidc_validator.report.render import onboarding_values, render_text

HOSTILE = {
    "c0_escape_clear_screen": "\x1b[2J",
    "c0_carriage_return": "\r",
    "c0_newline": "\n",
    "c0_nul": "\x00",
    "del": "\x7f",
    "c1_csi": "\x9b2J",
    "c1_next_line": "\x85",
    "bidi_right_to_left_override": "\u202e",
    "bidi_left_to_right_isolate": "\u2066",
    "zero_width_space": "\u200b",
    "zero_width_joiner": "\u200d",
    "byte_order_mark": "\ufeff",
    "line_separator": "\u2028",
    "paragraph_separator": "\u2029",
    "tag_character": "\U000e0041",
    "private_use": "\ue000",
}
UNSAFE = "".join(HOSTILE.values()).replace("2J", "").replace("[", "")
hostile = pytest.mark.parametrize("bad", HOSTILE.values(), ids=HOSTILE.keys())


def assert_inert(text: str) -> None:
    shown = text.replace("\n", "")  # the renderer's own line breaks; an outside one is escaped, so the checks below see it
    assert not any(c in shown for c in UNSAFE if c != "\n"), repr(text)


@hostile
def test_escape_text_leaves_no_unsafe_character_and_is_idempotent(bad: str) -> None:
    escaped = escape_text(f"a{bad}b")
    assert not any(c in escaped for c in UNSAFE)
    assert escaped.startswith("a") and escaped.endswith("b") and "\\" in escaped
    assert escape_text(escaped) == escaped


def test_escape_text_keeps_ordinary_text_and_non_latin_letters() -> None:
    assert escape_text("kid-1 Ünïcødé 鍵 \\ \" ' |") == "kid-1 Ünïcødé 鍵 \\ \" ' |"


def test_terminal_json_quotes_and_escapes_c1_controls_which_json_dumps_leaves_raw() -> None:
    assert terminal_json("x\x9by\u202e") == '"x\\u009by\\u202e"'


@hostile
def test_a_jwks_kid_is_escaped_on_the_reports_key_line(bad: str) -> None:
    kid = f"k{bad}1"
    ctx = context(jwks=jwks(public_jwk(rsa_key(), kid=kid, cert=certificate(rsa_key()))))
    text = render_text(run_checks(ctx), onboarding_values(ctx))
    key_line = next(line for line in text.splitlines() if line.startswith("  Key IDs:"))
    assert key_line.split(":", 1)[1].strip() == escape_text(kid)
    assert_inert(text)


@hostile
def test_a_token_alg_is_escaped_wherever_the_report_shows_it(bad: str) -> None:
    ctx = context(tokens=given(compact({"alg": f"HS{bad}256", "kid": KID, "typ": f"JWT{bad}"}, claims())))
    findings = run_checks(ctx)
    assert_inert(render_text(findings, onboarding_values(ctx)))
    assert_inert(render_text(findings, onboarding_values(ctx), colour=True).replace("\x1b[", "["))


@hostile
def test_a_kid_and_claims_are_escaped_in_request_md(bad: str) -> None:
    key = rsa_key()
    kid = f"k{bad}`|1"
    token = sign({**crafted_claims(exp=T0.replace(year=T0.year + 1)), "note": f"x{bad}y"}, key, kid=kid, typ="JWT")
    ctx = crafted_context({"keys": [public_jwk(key, kid, cert=certificate(key), thumbprints=False)]}, tokens=(token,), idp_name=f"I{bad}dP")
    request = build_contents(ctx, [])["REQUEST.md"].decode()
    assert_inert(request)
    assert f"| IdP name | {cell(f'I{bad}dP')} |" in request


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("a`b|c", "`a'b\\|c`"),
        ("line\nbreak", "`line break`"),
        ("rlo\u202eend", "`rlo\\u202eend`"),
    ],
    ids=["backtick_and_pipe", "newline", "bidi_override"],
)
def test_a_markdown_cell_stays_one_inert_code_span(value: str, shown: str) -> None:
    assert cell(value) == shown


def test_markdown_prose_escapes_links_html_entities_and_code_spans() -> None:
    assert prose("[x](http://e) <b> &#x202e; `c` \u202e") == "\\[x\\](http://e) \\<b\\> \\&#x202e; \\`c\\` \\\\u202e"


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


@hostile
def test_verify_bundle_prints_hostile_entry_names_and_sums_lines_escaped(bad: str, tmp_path: Path) -> None:
    # The name tries to redraw the line so that the screen reads "verified" while the exit code is 1.
    forged = f"x{bad}\r\x1b[2Kbundle.zip: verified"
    sums = f"{hashlib.sha256(b'gone').hexdigest()}  {forged}\n".encode()
    bundle = _zip(tmp_path / "b.zip", {"SHA256SUMS": sums, f"extra{bad}.txt": b"added"})
    out = io.StringIO()
    assert run_verify_bundle(bundle, now=T0, out=out, err=io.StringIO()) == 1
    text = out.getvalue()
    assert_inert(text)
    assert "\r" not in text and text.rstrip("\n").splitlines()[-1] == f"{bundle}: NOT verified"


@hostile
def test_inspect_escapes_claim_names_as_well_as_values(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    token = compact({"alg": "RS256", f"k{bad}": "v"}, {f"name{bad}": f"value{bad}"}, b"sig")
    assert main(["inspect", token], Environment(stdin=io.StringIO(""), environ={})) == 0
    assert_inert(capsys.readouterr().out)


@hostile
def test_a_flag_echoed_in_a_one_line_error_is_escaped(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify-bundle", f"/nonexistent{bad}.zip"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and not any(c in err.rstrip("\n") for c in UNSAFE)


def test_the_stand_ins_log_line_quotes_and_escapes_the_path(caplog: pytest.LogCaptureFixture) -> None:
    import anyio
    import httpx

    from oidc_validator.simulate.app import create_stand_in_app
    from oidc_validator.simulate.config import StandInConfig

    config = StandInConfig(issuer="https://i", audiences=("a",), custom_claim=None, users={}, key_source="certificates")

    async def get() -> None:
        transport = httpx.ASGITransport(app=create_stand_in_app(config))
        async with httpx.AsyncClient(transport=transport, base_url="http://stand-in") as client:
            await client.get("/api/2.0/fo/x%E2%80%AE%C2%9B -> accepted as admin")

    with caplog.at_level(logging.INFO, logger="oidc_validator.simulate"):
        anyio.run(get)
    (record,) = [r for r in caplog.records if r.name == "oidc_validator.simulate"]
    message = record.getMessage()
    assert message == 'GET "/api/2.0/fo/x\\u202e\\u009b -> accepted as admin" -> no bearer token'
    assert json.loads(message.split(" ", 1)[1].rsplit(" -> ", 1)[0]) == "/api/2.0/fo/x\u202e\x9b -> accepted as admin"


@hostile
def test_json_output_escapes_every_unsafe_character_and_still_parses(bad: str) -> None:
    from oidc_validator.report.render import render_json

    ctx = context(jwks=jwks(public_jwk(rsa_key(), kid=f"k{bad}1", cert=certificate(rsa_key()))))
    text = render_json(run_checks(ctx), onboarding_values(ctx))
    assert_inert(text)
    assert json.loads(text)["values"]["kids"] == [f"k{bad}1"]


@hostile
def test_inspect_json_output_escapes_every_unsafe_character_and_still_parses(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    token = compact({"alg": "RS256", "kid": f"k{bad}"}, {"sub": f"s{bad}"}, b"sig")
    assert main(["inspect", token, "--format", "json"], Environment(stdin=io.StringIO(""), environ={})) == 0
    out = capsys.readouterr().out
    assert_inert(out)
    assert json.loads(out)["claims"]["sub"] == f"s{bad}"


def test_escape_html_shows_controls_and_bidi_then_escapes_markup_and_quotes() -> None:
    assert escape_html("<a href=\"x\" title='y'>\u202e&\x1b") == "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;\\u202e&amp;\\u001b"
    assert escape_html("plain kid-1") == "plain kid-1"


@hostile
def test_an_update_requests_changes_and_values_are_escaped_in_request_md(bad: str) -> None:
    key = rsa_key()
    ctx = crafted_context({"keys": [public_jwk(key, KID, cert=certificate(key), thumbprints=False)]})
    update = {
        "previous_generated_at": "2026-10-01T12:00:00Z",
        "previous_sha256": "0" * 64,
        "previous_key_source": "jwks_url",
        "previous_issuer": f"https://old{bad}.example`|",
        "previous_audiences": [f"aud{bad}"],
        "previous_jwks_url": f"https://old{bad}.example/keys",
        "previous_kids": [f"k{bad}"],
        "changes": [{"code": "drift_issuer_changed", "severity": "error", "message": f"Issuer moved{bad} <b>*x*</b> [l](http://e)"}],
    }
    request = build_contents(ctx, [], update=update)["REQUEST.md"].decode()
    assert_inert(request)
    assert request.startswith("# Request: update our existing OpenID Connect API authentication")
    assert "\\<b\\>\\*x\\*\\</b\\>" in request and "\\[l\\](http://e)" in request  # Markdown made inert, not dropped
    assert "| Issuer | `https://old" in request  # the row holds: the pipe and backtick cannot end the cell
