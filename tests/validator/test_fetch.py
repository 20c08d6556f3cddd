"""The fetcher turns every network failure into data, within its limits, and never raises."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from oidc_idp import RunningIdp
from oidc_validator.model.context import Fetched
from oidc_validator.net.fetch import fetch_json, is_json_media_type, parse_json_strictly
from oidc_validator.net.options import FetchOptions

from .conftest import Faulty

# One second: short enough for a quick suite, long enough that a loaded CI machine does not time out a healthy fetch.
SHORT = FetchOptions(connect_timeout_seconds=1.0, total_timeout_seconds=1.0)


def timed(url: str, options: FetchOptions) -> tuple[Fetched, float]:
    started = time.monotonic()
    fetched = fetch_json(url, options)
    return fetched, time.monotonic() - started


def test_discovery_and_jwks_of_the_test_idp_are_fetched_over_https_with_its_ca(idp_tls_server: RunningIdp) -> None:
    options = FetchOptions(ca_file=idp_tls_server.ca_file)
    discovery = fetch_json(idp_tls_server.discovery_url, options)
    assert discovery.ok and discovery.status == 200
    assert discovery.json["issuer"] == idp_tls_server.issuer
    jwks = fetch_json(discovery.json["jwks_uri"], options)
    assert jwks.ok and jwks.json["keys"]


def test_a_private_ca_is_refused_without_ca_file_as_a_tls_error(idp_tls_server: RunningIdp) -> None:
    fetched = fetch_json(idp_tls_server.discovery_url, FetchOptions())
    assert fetched.error == "tls"
    assert "certificate verify failed" in (fetched.error_detail or "")


def test_plain_http_on_loopback_is_fetched_for_the_self_check(idp_server: RunningIdp) -> None:
    assert fetch_json(idp_server.jwks_uri).ok


def test_a_refused_connection_is_a_connect_error(refused_url: str) -> None:
    fetched, seconds = timed(refused_url, SHORT)
    assert fetched.error == "connect" and fetched.status is None
    assert fetched.error_detail == "could not connect: Connection refused"
    assert seconds < 2


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/jwks", "not a url", "https://", "/relative/jwks"])
def test_a_url_that_is_not_absolute_http_is_invalid_without_any_request(url: str) -> None:
    assert fetch_json(url).error == "invalid_url"


def test_an_html_page_instead_of_a_jwks_is_the_wrong_content_type(faulty: Faulty) -> None:
    fetched = fetch_json(faulty.url("/html"))
    assert fetched.error == "wrong_content_type"
    assert "text/html" in (fetched.error_detail or "")
    assert fetched.status == 200 and fetched.json is None


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/not-json", "Expecting property name"), ("/nan", "non-JSON constant NaN"), ("/duplicate", "member 'keys' twice")],
)
def test_bodies_that_are_not_strict_json_are_not_json(faulty: Faulty, path: str, reason: str) -> None:
    fetched = fetch_json(faulty.url(path))
    assert fetched.error == "not_json"
    assert reason in (fetched.error_detail or "")


def test_a_non_2xx_answer_is_an_http_status_error(faulty: Faulty) -> None:
    fetched = fetch_json(faulty.url("/status"))
    assert fetched.error == "http_status" and fetched.status == 404


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
def test_a_10_mb_response_stops_at_the_size_cap(faulty: Faulty, path: str) -> None:
    fetched, seconds = timed(faulty.url(path), FetchOptions(max_body_bytes=1024 * 1024))
    assert fetched.error == "too_large"
    assert fetched.body is None
    assert seconds < 5


def test_a_server_slower_than_the_total_timeout_is_a_timeout_within_the_deadline(faulty: Faulty) -> None:
    fetched, seconds = timed(faulty.url("/slow-headers"), SHORT)
    assert fetched.error == "timeout"
    # The server holds its headers for DRIP_LIMIT_SECONDS (5 s); the bound leaves room for a loaded CI machine.
    assert 0.95 < seconds < 1.0 + 2.0


def test_a_slow_drip_body_cannot_stretch_the_total_timeout(faulty: Faulty) -> None:
    # Each byte arrives well within any per-read timeout; only the total deadline stops it.
    options = SHORT
    fetched, seconds = timed(faulty.url("/drip"), options)
    assert fetched.error == "timeout"
    assert fetched.status == 200
    assert 0.95 < seconds < 1.0 + 2.0  # the drip would last DRIP_LIMIT_SECONDS (5 s)


def test_redirects_are_followed_up_to_the_limit(faulty: Faulty) -> None:
    fetched = fetch_json(faulty.url("/hop/3"), FetchOptions(max_redirects=3))
    assert fetched.ok, fetched.error_detail
    assert len(fetched.redirects) == 3
    assert fetched.final_url == faulty.url("/jwks")


def test_one_redirect_too_many_is_refused(faulty: Faulty) -> None:
    fetched = fetch_json(faulty.url("/hop/4"), FetchOptions(max_redirects=3))
    assert fetched.error == "too_many_redirects"
    assert len(fetched.redirects) == 3


def test_a_redirect_loop_ends_as_too_many_redirects(faulty: Faulty) -> None:
    fetched, seconds = timed(faulty.url("/loop"), FetchOptions())
    assert fetched.error == "too_many_redirects"
    assert seconds < 2


@pytest.mark.parametrize(("path", "kind"), [("/bad-location", "invalid_url"), ("/big-port", "invalid_url")])
def test_a_redirect_to_a_malformed_url_is_data_not_a_crash(faulty: Faulty, path: str, kind: str) -> None:
    fetched = fetch_json(faulty.url(path), SHORT)
    assert fetched.error == kind, fetched.error_detail


def test_a_redirect_from_https_to_http_is_never_followed(faulty_tls: Faulty) -> None:
    fetched = fetch_json(faulty_tls.url("/to-http"), FetchOptions(ca_file=faulty_tls.ca_file))
    assert fetched.error == "redirect_to_http"
    assert fetched.redirects == ()
    assert fetched.final_url == faulty_tls.url("/to-http")


def test_a_redirect_from_http_to_https_is_followed(faulty: Faulty, faulty_tls: Faulty) -> None:
    fetched = fetch_json(faulty.url("/to-http"), FetchOptions(ca_file=faulty_tls.ca_file))
    assert fetched.ok, fetched.error_detail
    assert fetched.final_url == faulty_tls.url("/jwks")


def test_an_unreadable_ca_file_is_data_not_an_exception(faulty_tls: Faulty, tmp_path: Path) -> None:
    fetched = fetch_json(faulty_tls.url("/jwks"), replace(FetchOptions(), ca_file=tmp_path / "missing.pem"))
    assert fetched.error == "connect"


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/jwk-set+json", True),
        ("application/problem+json", True),
        ("APPLICATION/JSON", True),
        ("text/html", False),
        ("text/json", False),
        (None, False),
    ],
)
def test_only_json_media_types_are_accepted(content_type: str | None, accepted: bool) -> None:
    assert is_json_media_type(content_type) is accepted


def test_strict_json_rejects_a_byte_order_mark_and_invalid_utf8() -> None:
    with pytest.raises(ValueError):
        parse_json_strictly(b'\xef\xbb\xbf{"keys": []}')
    with pytest.raises(UnicodeDecodeError):
        parse_json_strictly(b'{"kid": "\xff"}')
