"""The HTML report: one self-contained page with the verdict, the values, a key timeline and the findings by severity."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from build import NOW, cert_file, certificate, claims, crafted_context, public_jwk, rsa_key, sign
from oidc_idp import RunningIdp
from oidc_validator.cli.main import main
from oidc_validator.model.findings import Finding, Severity
from oidc_validator.observe.environment import Environment
from oidc_validator.report.html import KeySpan, Timeline, render_html, timeline_from_context, timeline_from_onboarding

# Every element and attribute the page itself writes: anything else in the parsed output was injected.
ELEMENTS = {
    "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h4", "p", "ul", "li", "table", "tr", "th", "td",
    "div", "section", "article", "header", "footer", "span", "code", "dl", "dt", "dd",
    "svg", "rect", "path", "line", "text", "tspan",
}  # fmt: skip
ATTRIBUTES = {
    "lang", "charset", "http-equiv", "content", "name", "class", "id", "role", "aria-labelledby", "viewbox", "width", "height",
    "preserveaspectratio", "x", "y", "x1", "y1", "x2", "y2", "dy", "rx", "d", "text-anchor",
}  # fmt: skip

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</svg><script>alert(1)</script>",
    "]]><script>alert(1)</script>",
    "</title></style></textarea><script>alert(1)</script>",
    "<!-- a comment --><![CDATA[ x ]]>",
    "&lt;b&gt;already escaped&lt;/b&gt;",
    "javascript:alert(1)",
]
CONTROL = ["\u202egnp.exe", "\x1b[2J\x1b[31mred", "line\nbreak\rreturn", "c1\x85\x9bcsi", "zero\u200bwidth", "\u2028sep"]


class Page(HTMLParser):
    """The parsed page: every start tag with its attributes, and the text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.comments: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def unknown_decl(self, data: str) -> None:
        self.comments.append(data)

    def by_class(self, css: str) -> list[dict[str, str | None]]:
        return [attrs for _, attrs in self.tags if css in (attrs.get("class") or "").split()]

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def finding(code: str, severity: Severity, message: str = "a message", *, area: str = "jwks", **evidence: Any) -> Finding:
    return Finding(code, severity, area, message, f"the fix for {code}", evidence)


FINDINGS = [
    finding("token_expired", Severity.ERROR, "The token expired.", area="token", exp="2026-11-23T11:00:00Z"),
    finding("cert_expiring", Severity.WARNING, "The certificate of kid old expires in 5 days.", kid="old", days=5),
    finding("jwks_fetched", Severity.INFO, "The key set has 3 keys.", count=3),
    finding("issuer_matches", Severity.INFO, "The issuer matches.", area="issuer"),
]
TIMELINE = Timeline(
    now=NOW,
    keys=(
        KeySpan("current", "JWKS key, certificate in x5c", NOW - timedelta(days=30), NOW + timedelta(days=300)),
        KeySpan("old", "certificate (pinned)", NOW - timedelta(days=360), NOW + timedelta(days=5)),
        KeySpan("gone", "certificate (pinned)", NOW - timedelta(days=400), NOW - timedelta(days=10)),
        KeySpan("bare", "JWKS key, no certificate", None, None),
    ),
    token_kid="current",
    token_issued=NOW - timedelta(minutes=5),
    token_expires=NOW + timedelta(minutes=55),
)
ROWS = [("IdP name", "Acme Okta"), ("Issuer", "https://acme.okta.com/oauth2/default")]


def page(
    findings: list[Finding] | None = None, rows: list[tuple[str, str]] | None = None, timeline: Timeline = TIMELINE, title: str = "Report"
) -> str:
    return render_html(
        title=title, findings=FINDINGS if findings is None else findings, rows=ROWS if rows is None else rows, timeline=timeline
    )


def test_the_page_is_one_document_with_a_verdict_counts_values_a_timeline_and_the_findings() -> None:
    text = page()
    parsed = Page(text)
    assert text.startswith("<!DOCTYPE html>\n")
    assert [tag for tag, _ in parsed.tags].count("svg") == 1
    assert {tag for tag, _ in parsed.tags} <= ELEMENTS
    (verdict,) = [attrs for tag, attrs in parsed.tags if attrs.get("id") == "verdict"]
    assert verdict["class"] == "verdict not-ready"
    assert "Not ready" in parsed.all_text and "1 error" in parsed.all_text and "1 warning" in parsed.all_text
    assert "2 info" in parsed.all_text
    assert "Acme Okta" in parsed.all_text and "https://acme.okta.com/oauth2/default" in parsed.all_text
    assert "Key timeline" in parsed.all_text


def test_a_run_without_errors_is_ready_to_send() -> None:
    parsed = Page(page([f for f in FINDINGS if f.severity is not Severity.ERROR]))
    assert parsed.by_class("ready") and not parsed.by_class("not-ready")
    assert "Ready to send to Qualys Support" in parsed.all_text and "No errors." in parsed.all_text


def test_another_command_can_word_the_verdict_and_the_rows_heading_its_own_way() -> None:
    words = ("Nothing drifted", "Qualys will reject tokens")
    assert (
        "Qualys will reject tokens"
        in Page(render_html(title="t", findings=FINDINGS, rows=ROWS, timeline=TIMELINE, verdicts=words)).all_text
    )
    quiet = render_html(title="t", findings=[], rows=ROWS, timeline=TIMELINE, verdicts=words, rows_heading="Package and live IdP")
    assert "Nothing drifted" in quiet and '<h2 id="values">Package and live IdP</h2>' in quiet


def test_findings_are_grouped_errors_then_warnings_then_info_each_with_code_message_evidence_and_fix() -> None:
    text = page()
    headings = [text.index(h) for h in ('<h2 id="error">', '<h2 id="warning">', '<h2 id="info">')]
    assert headings == sorted(headings)
    for f in FINDINGS:
        at = text.index(f'<code class="code">{f.code}</code>')
        section = max(h for h in headings if h < at)
        assert section == headings[[Severity.ERROR, Severity.WARNING, Severity.INFO].index(f.severity)]
        article = text[text.rindex("<article", 0, at) : text.index("</article>", at)]
        assert f'class="finding {f.severity.value}"' in article
        assert f.message in article and f"the fix for {f.code}" in article
        assert 'class="evidence"' in article and 'class="fix"' in article
    assert '<dt>kid</dt><dd class="mono">old</dd>' in text and '<dt>days</dt><dd class="mono">5</dd>' in text


def test_the_timeline_has_one_row_per_key_plus_the_sample_token_and_a_now_line() -> None:
    parsed = Page(page())
    labels = [text for text in parsed.text if text in {"current", "old", "gone", "bare", "sample token"}]
    assert labels[:5] == ["current", "old", "gone", "bare", "sample token"]
    assert len(parsed.by_class("row-label")) == 5
    assert len(parsed.by_class("now")) == 1 and "now 2026-11-23 12:00Z" in parsed.all_text
    assert len(parsed.by_class("bar-token")) >= 1
    # Each state has its own colour: valid, expiring within 30 days, expired, and an open bar for no certificate.
    for css in ("bar-valid", "bar-expiring", "bar-expired", "bar-none"):
        assert parsed.by_class(css), css
    assert "no certificate: validity unknown" in parsed.all_text
    assert "signs the sample token" in parsed.all_text


def test_the_now_line_stands_where_now_is_between_the_spans() -> None:
    parsed = Page(page())
    (now,) = parsed.by_class("now")
    (expired,) = [a for a in parsed.by_class("bar-expired") if a.get("width")]
    (valid,) = [a for a in parsed.by_class("bar-valid") if a.get("width")]
    x = float(now["x1"] or 0)
    assert float(expired["x"] or 0) + float(expired["width"] or 0) < x < float(valid["x"] or 0) + float(valid["width"] or 0)


def test_a_token_signed_under_a_kid_that_no_row_has_is_flagged() -> None:
    timeline = Timeline(NOW, TIMELINE.keys, token_kid="rotated-in", token_issued=NOW, token_expires=NOW + timedelta(hours=1))
    parsed = Page(page(timeline=timeline))
    assert "kid rotated-in, not in the key list" in parsed.all_text
    assert parsed.by_class("missing")


def test_a_timeline_with_no_key_and_no_token_still_draws_now() -> None:
    parsed = Page(page(timeline=Timeline(NOW, ())))
    assert "no key known" in parsed.all_text and len(parsed.by_class("now")) == 1


def test_a_century_long_certificate_does_not_squash_the_rest_off_the_chart() -> None:
    keys = (*TIMELINE.keys, KeySpan("forever", "certificate (pinned)", datetime(2000, 1, 1, tzinfo=UTC), datetime(2126, 1, 1, tzinfo=UTC)))
    parsed = Page(page(timeline=Timeline(NOW, keys)))
    ticks = [t for t in parsed.text if t[:2] in {"20", "21"} and len(t) == 10]
    assert ticks[0] >= "2023-06" and ticks[-1] <= "2030-06"  # clamped to three years (and a margin) either side of now
    assert "2126-01-01 00:00Z" in parsed.all_text  # the table below still says the real date


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_strings_from_the_idp_stay_text_wherever_they_appear(hostile: str) -> None:
    bad = Finding(hostile, Severity.ERROR, hostile, hostile, hostile, {hostile: hostile, "nested": {"claim": hostile}})
    timeline = Timeline(
        NOW,
        (KeySpan(hostile, hostile, NOW - timedelta(days=1), NOW + timedelta(days=1)), KeySpan(hostile * 2, hostile, None, None)),
        hostile,
    )
    text = page([bad], [(hostile, hostile)], timeline, title=hostile)
    parsed = Page(text)
    assert {tag for tag, _ in parsed.tags} <= ELEMENTS
    assert {name for _, attrs in parsed.tags for name in attrs} <= ATTRIBUTES
    assert parsed.comments == []
    assert not any(tag in {"script", "img", "iframe", "object", "a", "link"} for tag, _ in parsed.tags)
    assert all("javascript:" not in (value or "") for _, attrs in parsed.tags for value in attrs.values())
    # Still all there as text for the reader (cut short in the drawing, whole in the table).
    assert parsed.all_text.count(hostile) >= 8


@pytest.mark.parametrize("control", CONTROL)
def test_bidi_and_control_characters_are_shown_escaped_and_never_reach_the_page(control: str) -> None:
    bad = Finding("code", Severity.WARNING, "jwks", f"kid {control}", control, {"kid": control})
    timeline = Timeline(NOW, (KeySpan(control, control, None, None),), token_kid=control)
    text = page([bad], [("claim", control)], timeline, title=control)
    # The page's own line breaks are structure: only the characters of the hostile string are looked for.
    unsafe = [c for c in control if not c.isprintable() and c not in "\n"]
    assert control not in text and not any(c in text for c in unsafe)
    shown = Page(text).all_text
    assert all(f"\\u{ord(c):04x}" in shown or c == "\r" for c in unsafe)
    if "\n" in control:
        assert "line\\nbreak\\rreturn" in shown


@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=40))
def test_any_text_anywhere_never_becomes_markup_and_never_reaches_the_page_unescaped(kid: str, message: str, value: str) -> None:
    bad = Finding(kid, Severity.ERROR, message, message, value, {kid: value, "list": [message]})
    timeline = Timeline(NOW, (KeySpan(kid, message, NOW, None), KeySpan(value, kid, None, NOW)), token_kid=message)
    text = page([bad], [(kid, value)], timeline, title=message)
    parsed = Page(text)
    assert {tag for tag, _ in parsed.tags} <= ELEMENTS
    assert {name for _, attrs in parsed.tags for name in attrs} <= ATTRIBUTES
    assert parsed.comments == []
    assert not any(c in text for c in "\x00\x1b\x85\u202e\u2066\u200b")


def test_the_same_inputs_give_the_same_bytes_and_now_comes_from_the_timeline() -> None:
    assert page().encode() == page().encode()
    later = Timeline(NOW + timedelta(days=1), TIMELINE.keys, TIMELINE.token_kid, TIMELINE.token_issued, TIMELINE.token_expires)
    assert page(timeline=later) != page()
    assert "2026-11-24 12:00Z" in page(timeline=later)


def test_the_page_refers_to_nothing_outside_itself() -> None:
    rows = [("JWKS URL", "https://idp.example.com/jwks"), ("Logo", "http://evil.example/x.png")]
    text = page(rows=rows)
    parsed = Page(text)
    (csp,) = [attrs for tag, attrs in parsed.tags if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert (csp["content"] or "").startswith("default-src 'none';")
    assert all("://" not in (value or "") for _, attrs in parsed.tags for value in attrs.values())
    assert not any(attrs.get(name) for _, attrs in parsed.tags for name in ("href", "src", "xlink:href", "srcset", "action"))
    style = text[text.index("<style>") : text.index("</style>")]
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    # The URLs are there as text only.
    assert "https://idp.example.com/jwks" in parsed.all_text and "http://evil.example/x.png" in parsed.all_text
    assert "@media print" in style


def test_timeline_from_context_reads_jwks_certificates_cert_files_and_the_first_token() -> None:
    stable, bare, pinned = rsa_key(seed=1), rsa_key(seed=2), rsa_key(seed=3)
    stable_cert = certificate(stable, not_before=NOW - timedelta(days=10), not_after=NOW + timedelta(days=20))
    pinned_cert = certificate(pinned, not_before=NOW - timedelta(days=100), not_after=NOW + timedelta(days=200))
    jwks = {"keys": [public_jwk(stable, "stable", cert=stable_cert), public_jwk(bare, "bare"), "not a key"]}
    token = sign(claims(iat=int(NOW.timestamp()) - 60, exp=int(NOW.timestamp()) + 3540), stable, kid="stable")
    ctx = crafted_context(jwks, now=NOW, tokens=(token, "not.a.token"), certificates=(cert_file(pinned_cert, "old.pem", kid="old"),))
    timeline = timeline_from_context(ctx)
    assert timeline.now == NOW
    assert [(k.kid, k.label) for k in timeline.keys] == [
        ("stable", "JWKS key, certificate in x5c"),
        ("bare", "JWKS key, no certificate"),
        ("old", "certificate file old.pem"),
    ]
    assert timeline.keys[0].not_after == stable_cert.not_valid_after_utc and timeline.keys[1].not_before is None
    assert timeline.keys[2].not_before == pinned_cert.not_valid_before_utc
    assert timeline.token_kid == "stable"
    assert timeline.token_issued == NOW - timedelta(seconds=60) and timeline.token_expires == NOW + timedelta(seconds=3540)


def test_timeline_from_context_without_a_key_set_or_a_decodable_token_is_empty_but_has_now() -> None:
    timeline = timeline_from_context(crafted_context(None, now=NOW, tokens=("garbage",)))
    assert timeline == Timeline(NOW, ())


def test_timeline_from_onboarding_reads_pinned_certificates_unpinned_keys_the_sample_token_and_generated_at() -> None:
    doc = {
        "key_source": "certificates",
        "generated_at": "2026-11-23T12:00:00Z",
        "certificates": [
            {"kid": "a", "not_before": "2026-01-01T00:00:00+00:00", "not_after": "2027-01-01T00:00:00+00:00", "use_for_oidc": True},
            {"kid": "b", "not_before": "garbage", "not_after": None, "use_for_oidc": False},
        ],
        "keys": [{"kid": "a", "certificate_not_after": "2027-01-01T00:00:00+00:00"}, {"kid": "new", "certificate_not_after": None}],
        "sample_token": {"header": {"kid": "a"}, "claims": {"iat": 1795089600, "exp": 10**30}},
    }
    timeline = timeline_from_onboarding(doc)
    assert timeline.now == NOW
    assert [(k.kid, k.label) for k in timeline.keys] == [
        ("a", "certificate (pinned)"),
        ("b", "certificate (pinned, not for OIDC)"),
        ("new", "JWKS key, not pinned"),
    ]
    assert timeline.keys[0].not_after == datetime(2027, 1, 1, tzinfo=UTC) and timeline.keys[1].not_before is None
    assert timeline.token_kid == "a" and timeline.token_issued == datetime.fromtimestamp(1795089600, UTC)
    assert timeline.token_expires is None  # out of range: drawn as an open end, never an exception
    assert Page(page(timeline=timeline)).by_class("bar-token")


def test_timeline_from_onboarding_survives_a_document_of_the_wrong_shape() -> None:
    doc: dict[str, Any] = {"certificates": ["x", 3], "keys": None, "sample_token": {"header": [], "claims": "x"}, "generated_at": 5}
    timeline = timeline_from_onboarding(doc)
    assert timeline.keys == () and timeline.token_kid is None
    assert page(timeline=timeline).startswith("<!DOCTYPE html>")


def test_check_format_html_writes_the_page_to_stdout(capsys: pytest.CaptureFixture[str], idp_server: RunningIdp) -> None:
    argv = ["check", "--issuer", idp_server.issuer, "--entity-id", idp_server.issuer, "--audience", "https://qualys.example/api"]
    argv += ["--client-id", "demo-client", "--client-secret-env", "IDP_SECRET", "--external-id", "demo-client", "--format", "html"]
    code = main(argv, Environment(stdin=io.StringIO(), environ={"IDP_SECRET": "demo-secret"}))
    out = capsys.readouterr().out
    assert code == 0
    parsed = Page(out)
    assert "Ready to send to Qualys Support" in parsed.all_text and "demo-secret" not in out
    assert len([tag for tag, _ in parsed.tags if tag == "svg"]) == 1
    assert "Key IDs" in parsed.all_text and parsed.by_class("bar-valid")
    assert "sample token" in parsed.all_text and "token_signature_verified" in out
