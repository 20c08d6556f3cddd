"""Sample tokens from the token endpoint with authlib: both grants, and failures that never leak a secret."""

from __future__ import annotations

import base64
import time

import pytest

from oidc_idp import RunningIdp
from oidc_validator.net.obtain import obtain_tokens, scrub
from oidc_validator.net.options import FetchOptions, GrantRequest

from .conftest import Faulty

CLIENT_CREDENTIALS = GrantRequest("client_credentials", "demo-client", "demo-secret")
PASSWORD = GrantRequest("password", "demo-client", "demo-secret", "demo", "demo-password", "openid profile")
# One second: a loaded CI machine must not time out a healthy request.
SHORT = FetchOptions(connect_timeout_seconds=1.0, total_timeout_seconds=1.0)


def tls(server: RunningIdp) -> FetchOptions:
    return FetchOptions(ca_file=server.ca_file)


def test_client_credentials_returns_one_access_token(idp_tls_server: RunningIdp) -> None:
    tokens, failures = obtain_tokens(idp_tls_server.token_endpoint, CLIENT_CREDENTIALS, tls(idp_tls_server))
    assert failures == ()
    assert [(t.kind, t.source) for t in tokens] == [("access_token", "client credentials grant for demo-client")]
    assert tokens[0].raw.count(".") == 2


def test_the_password_grant_returns_the_access_and_the_id_token(idp_tls_server: RunningIdp) -> None:
    tokens, failures = obtain_tokens(idp_tls_server.token_endpoint, PASSWORD, tls(idp_tls_server))
    assert failures == ()
    assert [t.kind for t in tokens] == ["access_token", "id_token"]
    assert {t.source for t in tokens} == {"password grant for demo"}


def test_a_wrong_password_is_a_one_line_failure_without_the_password(idp_tls_server: RunningIdp) -> None:
    grant = GrantRequest("password", "demo-client", "demo-secret", "demo", "wrong-password-123", "openid profile")
    tokens, (failure,) = obtain_tokens(idp_tls_server.token_endpoint, grant, tls(idp_tls_server))
    assert tokens == ()
    assert failure.grant == "password"
    assert "invalid_grant" in failure.detail
    assert "wrong-password-123" not in failure.detail and "\n" not in failure.detail


def test_a_public_client_without_a_secret_is_refused_by_an_idp_that_wants_one(idp_tls_server: RunningIdp) -> None:
    grant = GrantRequest("password", "demo-client", None, "demo", "demo-password", "openid profile")
    _, (failure,) = obtain_tokens(idp_tls_server.token_endpoint, grant, tls(idp_tls_server))
    assert "invalid_client" in failure.detail


def test_a_token_endpoint_echoing_the_credentials_has_them_scrubbed(faulty: Faulty) -> None:
    _, (failure,) = obtain_tokens(faulty.url("/token-echo"), PASSWORD, FetchOptions())
    basic = base64.b64encode(b"demo-client:demo-secret").decode()
    assert "invalid_client" in failure.detail
    assert "demo-secret" not in failure.detail and "demo-password" not in failure.detail
    assert basic not in failure.detail


def test_a_token_endpoint_slower_than_the_timeout_fails_within_the_deadline(faulty: Faulty) -> None:
    started = time.monotonic()
    _, (failure,) = obtain_tokens(faulty.url("/token-slow"), CLIENT_CREDENTIALS, SHORT)
    # The server holds its answer for 5 s; the bound leaves room for a loaded CI machine.
    assert time.monotonic() - started < SHORT.total_timeout_seconds + 2.0
    assert "within the 1 s total timeout" in failure.detail


@pytest.mark.parametrize(
    ("path", "detail"),
    [("/token-html", "did not answer JSON"), ("/token-big", "over the 1048576-byte limit"), ("/nowhere", "HTTP 404")],
)
def test_odd_token_endpoint_answers_are_failures(faulty: Faulty, path: str, detail: str) -> None:
    _, (failure,) = obtain_tokens(faulty.url(path), CLIENT_CREDENTIALS, FetchOptions())
    assert detail in failure.detail


def test_a_refused_token_endpoint_is_a_failure(refused_url: str) -> None:
    _, (failure,) = obtain_tokens(refused_url, CLIENT_CREDENTIALS, SHORT)
    assert "could not reach the token endpoint" in failure.detail


def test_scrub_replaces_every_secret_and_ignores_empty_ones() -> None:
    assert scrub("a s3cret and pw", ["s3cret", "pw", None, ""]) == "a *** and ***"


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:99999/token", "http://[::1/token", "ftp://127.0.0.1/token"])
def test_a_malformed_token_endpoint_is_a_failure_not_a_crash(endpoint: str) -> None:
    _, (failure,) = obtain_tokens(endpoint, CLIENT_CREDENTIALS, SHORT)
    assert failure.detail.startswith("the token endpoint cannot be requested: ")
