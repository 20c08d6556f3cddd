"""drift's checks as pure functions: an onboarded package's record against what the IdP shows now."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given as hgiven
from hypothesis import settings
from hypothesis import strategies as st

from build import AUDIENCE, ISSUER, JWKS_URL, NOW, b64url, certificate, codes, given, public_jwk, rsa_key, sign
from oidc_validator.bundle.sample import decode
from oidc_validator.drift.codes import DRIFT_CATALOGUE
from oidc_validator.drift.compare import DRIFT_CHECKS, Live, compare
from oidc_validator.drift.package import Onboarded, PinnedCertificate
from oidc_validator.drift.report import breaks, drift_values, render_html, render_json, render_text
from strategies import json_values, jwk_like

OLD, NEW = rsa_key(seed=1), rsa_key(seed=2)
TEMPLATE = "https://login.example.com/{tenantid}/v2.0"  # what multi-tenant discovery publishes (Entra's common endpoint)
OLD_CERT = certificate(OLD)
NEW_CERT = certificate(NEW)


def onboarded(
    key_source: str = "certificates",
    *,
    pinned: Sequence[tuple[str, Any]] = (("old", OLD_CERT),),
    snapshot: Sequence[str] = ("old",),
    issuer: str | None = ISSUER,
    audiences: Sequence[str] = (AUDIENCE,),
    discovered_issuer: str | None = None,
) -> Onboarded:
    certificates = tuple(PinnedCertificate(kid, f"certs/{kid}.pem", True, cert) for kid, cert in pinned)
    doc = {
        "key_source": key_source,
        "issuer": issuer,
        "audiences": list(audiences),
        "jwks_url": JWKS_URL,
        "generated_at": "2026-11-01T12:00:00Z",
        "certificates": [{"kid": c.kid} for c in certificates] if key_source == "certificates" else [],
    }
    return Onboarded(
        path=Path("onboarded.zip"),
        sha256="0" * 64,
        doc=doc,
        certificates=certificates if key_source == "certificates" else (),
        snapshot_kids=tuple(snapshot),
        generated_at=datetime(2026, 11, 1, 12, tzinfo=NOW.tzinfo),
        discovered_issuer=discovered_issuer,
        files={},
    )


def live(
    keys: Sequence[Mapping[str, Any]] | None = (),
    *,
    token_kid: str | None = None,
    issuer: str = ISSUER,
    jwks_uri: str = JWKS_URL,
    token_claims: Mapping[str, Any] | None = None,
    now: datetime = NOW,
    discovery: bool = True,
) -> Live:
    token = None
    if token_kid is not None:
        payload = {"iss": issuer, "aud": AUDIENCE, "sub": "alice", **(token_claims or {})}
        token = decode(given(sign(payload, key=NEW, kid=token_kid))[0])
    document = {"issuer": issuer, "jwks_uri": jwks_uri} if discovery else None
    return Live(
        document,
        None if discovery else "connect: refused",
        jwks_uri,
        tuple(keys) if keys is not None else None,
        None if keys is not None else "connect: refused",
        token,
        now,
    )


def old_jwk() -> dict[str, Any]:
    return public_jwk(OLD, "old", cert=OLD_CERT)


def new_jwk(kid: str = "new") -> dict[str, Any]:
    return public_jwk(NEW, kid, cert=NEW_CERT)


CASES: dict[str, tuple[Onboarded, Live, set[str]]] = {
    "nothing_changed_gives_no_finding": (onboarded(), live([old_jwk()], token_kid="old"), set()),
    "a_token_under_an_unpinned_kid_is_an_error": (
        onboarded(),
        live([old_jwk(), new_jwk()], token_kid="new"),
        {"drift_token_kid_not_pinned"},
    ),
    "a_new_key_no_token_uses_yet_is_a_warning": (onboarded(), live([old_jwk(), new_jwk()], token_kid="old"), {"drift_new_key_not_pinned"}),
    "a_pinned_kid_naming_another_key_is_an_error": (
        onboarded(),
        live([public_jwk(NEW, "old", cert=NEW_CERT)], token_kid="old"),
        {"drift_pinned_key_changed"},
    ),
    "every_pinned_key_gone_from_the_jwks_is_an_error_even_without_a_token": (
        onboarded(),
        live([new_jwk()]),
        {"drift_no_pinned_key_published", "drift_new_key_not_pinned", "drift_key_removed"},
    ),
    "a_token_still_signed_under_a_pinned_key_outweighs_a_jwks_without_it": (
        onboarded(),
        live([new_jwk()], token_kid="old"),
        {"drift_new_key_not_pinned", "drift_key_removed"},
    ),
    "a_removed_key_is_information_only": (
        onboarded(pinned=(("old", OLD_CERT), ("new", NEW_CERT))),
        live([new_jwk()], token_kid="new"),
        {"drift_key_removed"},
    ),
    "a_rotation_behind_the_jwks_url_is_followed": (
        onboarded("jwks_url"),
        live([new_jwk()], token_kid="new"),
        {"drift_rotation_followed", "drift_key_removed"},
    ),
    "a_token_kid_the_jwks_url_lacks_is_an_error": (
        onboarded("jwks_url"),
        live([old_jwk()], token_kid="next"),
        {"drift_token_kid_not_published"},
    ),
    "a_changed_issuer_in_discovery_and_tokens_is_an_error": (
        onboarded(),
        live([old_jwk()], token_kid="old", issuer="https://moved.example.com"),
        {"drift_issuer_changed"},
    ),
    "a_discovery_issuer_that_already_differed_at_onboarding_has_not_changed": (
        onboarded(discovered_issuer=TEMPLATE),
        live([old_jwk()], issuer=TEMPLATE),
        set(),
    ),
    "a_discovery_issuer_unlike_both_the_onboarded_and_the_recorded_one_has_changed": (
        onboarded(discovered_issuer=TEMPLATE),
        live([old_jwk()], issuer="https://moved.example.com"),
        {"drift_issuer_changed"},
    ),
    "a_changed_jwks_uri_is_an_error_when_qualys_polls_it": (
        onboarded("jwks_url"),
        live([old_jwk()], jwks_uri="https://idp.example.com/keys/v2"),
        {"drift_jwks_uri_changed"},
    ),
    "a_changed_jwks_uri_does_not_matter_to_pinned_certificates": (
        onboarded(),
        live([old_jwk()], jwks_uri="https://idp.example.com/keys/v2"),
        set(),
    ),
    "a_changed_audience_is_an_error": (
        onboarded(),
        live([old_jwk()], token_kid="old", token_claims={"aud": ["api://other"]}),
        {"drift_audience_changed"},
    ),
    "a_certificate_expiring_within_the_warning_window_is_a_warning": (
        onboarded(),
        live([old_jwk()], now=OLD_CERT.not_valid_after_utc - timedelta(days=10)),
        {"drift_certificate_expiring"},
    ),
    "an_expired_pinned_certificate_is_an_error": (
        onboarded(),
        live([old_jwk()], now=OLD_CERT.not_valid_after_utc + timedelta(seconds=1)),
        {"drift_certificate_expired"},
    ),
    "an_unreachable_jwks_url_is_an_error_when_qualys_polls_it": (onboarded("jwks_url"), live(None), {"drift_jwks_unreachable"}),
    "an_unreachable_jwks_is_a_warning_with_pinned_certificates": (onboarded(), live(None), {"drift_jwks_unobserved"}),
    "an_unreachable_discovery_is_a_warning": (onboarded(), live([old_jwk()], discovery=False), {"drift_discovery_unreachable"}),
}


@pytest.mark.parametrize("name", CASES)
def test_drift_names_exactly_what_changed(name: str) -> None:
    before, now, expected = CASES[name]
    assert codes(compare(before, now, warn_days=30)) == expected


def test_every_finding_is_collected_not_only_the_first() -> None:
    later = live([new_jwk(), new_jwk("third")], token_kid="new", issuer="https://moved.example.com", token_claims={"aud": "x"})
    found = codes(compare(onboarded(), later, warn_days=30))
    assert {"drift_token_kid_not_pinned", "drift_issuer_changed", "drift_audience_changed", "drift_new_key_not_pinned"} <= found
    assert "drift_key_removed" in found


def test_the_warning_window_is_the_callers_choice() -> None:
    ten_days_left = live([old_jwk()], now=OLD_CERT.not_valid_after_utc - timedelta(days=10))
    assert codes(compare(onboarded(), ten_days_left, warn_days=5)) == set()
    assert codes(compare(onboarded(), ten_days_left, warn_days=10)) == {"drift_certificate_expiring"}


def test_the_expiry_warning_carries_the_date() -> None:
    (finding,) = compare(onboarded(), live([old_jwk()], now=OLD_CERT.not_valid_after_utc - timedelta(days=3)), warn_days=30)
    assert finding.evidence["not_after"].startswith(OLD_CERT.not_valid_after_utc.date().isoformat())
    assert finding.evidence["days_left"] in (2, 3)


def test_warnings_and_errors_break_information_does_not() -> None:
    assert not breaks(compare(onboarded("jwks_url"), live([new_jwk()], token_kid="new"), warn_days=30))
    assert breaks(compare(onboarded(), live([old_jwk(), new_jwk()], token_kid="old"), warn_days=30))


def test_every_drift_code_is_in_the_catalogue_with_a_fix() -> None:
    assert len(DRIFT_CATALOGUE) == len({c.code for c in DRIFT_CATALOGUE}) >= 14
    for code in DRIFT_CATALOGUE:
        assert code.code.startswith("drift_") and code.area == "drift" and code.fix and code.meaning
    assert len(DRIFT_CHECKS) >= 9


def test_the_text_report_is_one_line_when_nothing_changed() -> None:
    before, now = onboarded(), live([old_jwk()], token_kid="old")
    text = render_text([], drift_values(before, now))
    assert text.count("\n") == 1 and text.startswith("no drift: ")


@pytest.mark.parametrize(
    ("keys", "discovery", "verdict"),
    [
        pytest.param(None, True, "drift could not see everything", id="an_unseen_key_set_is_a_blind_spot_not_a_rejection"),
        pytest.param([old_jwk()], False, "drift could not see everything", id="an_unreachable_discovery_is_a_blind_spot_not_a_rejection"),
        pytest.param([old_jwk(), new_jwk()], True, "Qualys will reject tokens", id="a_new_unpinned_key_is_a_rejection_to_come"),
        pytest.param(
            [old_jwk(), new_jwk()], False, "Qualys will reject tokens", id="a_blind_spot_beside_a_new_key_still_warns_of_the_rejection"
        ),
    ],
)
def test_the_summary_line_tells_a_blind_spot_from_a_rejection_to_come(
    keys: list[dict[str, Any]] | None, discovery: bool, verdict: str
) -> None:
    before, now = onboarded(), live(keys, discovery=discovery)
    text = render_text(compare(before, now, warn_days=30), drift_values(before, now))
    assert verdict in text.splitlines()[-1]


HOSTILE_KID = "k\x1b[2J\u202e\nFAKE OK"


def test_a_hostile_kid_reaches_neither_the_terminal_nor_the_json_raw() -> None:
    before, now = onboarded(), live([old_jwk(), new_jwk(HOSTILE_KID)], token_kid=HOSTILE_KID)
    findings = compare(before, now, warn_days=30)
    text = render_text(findings, drift_values(before, now))
    document = render_json(findings, drift_values(before, now))
    for rendered in (text, document):
        assert "\x1b" not in rendered and "\u202e" not in rendered and "\nFAKE OK" not in rendered
    assert "FAKE OK" in text  # shown, escaped, not dropped


def test_a_hostile_kid_is_text_in_the_html_page() -> None:
    bait = '"><script>alert(1)</script><svg onload=alert(2)>'
    before, now = onboarded(), live([old_jwk(), new_jwk(bait)], token_kid=bait)
    findings = compare(before, now, warn_days=30)
    page = render_html(findings, drift_values(before, now), before, now)

    class Elements(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[tuple[str, list[tuple[str, str | None]]]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.seen.append((tag, attrs))

    parser = Elements()
    parser.feed(page)
    assert "script" not in {tag for tag, _ in parser.seen}
    assert not [name for _, attrs in parser.seen for name, _ in attrs if name.startswith("on")]
    assert sum(tag == "svg" for tag, _ in parser.seen) == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'class="verdict not-ready"' in page


ANY_JSON = json_values()


@settings(deadline=None)
@hgiven(
    st.lists(jwk_like(ANY_JSON) | ANY_JSON, max_size=4),
    st.dictionaries(st.sampled_from(["issuer", "jwks_uri"]) | st.text(max_size=4), ANY_JSON, max_size=4),
    st.dictionaries(st.sampled_from(["alg", "kid", "typ"]), ANY_JSON, max_size=3),
    st.dictionaries(st.sampled_from(["iss", "aud", "sub", "exp"]) | st.text(max_size=4), ANY_JSON, max_size=5),
    st.sampled_from(["certificates", "jwks_url"]),
)
def test_any_live_key_set_discovery_and_token_give_drift_findings_in_every_format_never_an_exception(
    keys: list[Any], discovery: dict[str, Any], header: dict[str, Any], payload: dict[str, Any], key_source: str
) -> None:
    raw = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}.{b64url(b'sig')}"
    token = decode(given(raw)[0])
    before = onboarded(key_source, discovered_issuer=TEMPLATE)
    now = Live(discovery, None, JWKS_URL, tuple(k for k in keys if isinstance(k, dict)), None, token, NOW)
    findings = compare(before, now, warn_days=30)
    assert all(f.code in DRIFT_CATALOGUE for f in findings)
    values = drift_values(before, now)
    for rendered in (render_text(findings, values), render_json(findings, values), render_html(findings, values, before, now)):
        assert "\x1b" not in rendered
