"""--clock and --clock-offset set every timestamp the IdP writes: tokens, certificates, introspection."""

from __future__ import annotations

import ssl
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography import x509

from crosscheck import certificate_of
from in_process import run_main
from oidc_idp.run.cli import main
from processes import serving

CLIENT = ("demo-client", "demo-secret")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def claims_of(token: str) -> dict[str, int]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_a_fixed_clock_sets_token_times_certificates_and_introspection(tmp_path: Path) -> None:
    with serving("--keys-dir", str(tmp_path), "--tls", "--clock", "2026-01-01T00:00:00Z") as (_, ready):
        verify = ssl.create_default_context(cafile=ready["ca_file"])
        token = httpx.post(ready["token_endpoint"], data={"grant_type": "client_credentials"}, auth=CLIENT, verify=verify, timeout=5)
        access = token.json()["access_token"]
        claims = claims_of(access)
        assert claims["iat"] == claims["nbf"] == int(T0.timestamp()) and claims["exp"] == int(T0.timestamp()) + 3600
        jwk = httpx.get(ready["jwks_uri"], verify=verify, timeout=5).json()["keys"][0]
        assert certificate_of(jwk).not_valid_before_utc == T0 - timedelta(minutes=5)
        body = httpx.post(ready["issuer"] + "/introspect", data={"token": access}, auth=CLIENT, verify=verify, timeout=5).json()
        assert body["active"] is True and body["iat"] == int(T0.timestamp())
    server_cert = x509.load_pem_x509_certificate((tmp_path / "tls" / "server.pem").read_bytes())
    assert abs(server_cert.not_valid_before_utc - T0) <= timedelta(days=1)


def test_a_clock_offset_shifts_token_times(tmp_path: Path) -> None:
    with serving("--keys-dir", str(tmp_path), "--clock-offset", "-3600") as (_, ready):
        token = httpx.post(ready["token_endpoint"], data={"grant_type": "client_credentials"}, auth=CLIENT, timeout=5)
        claims = claims_of(token.json()["access_token"])
    assert abs(claims["iat"] - (time.time() - 3600)) < 30


def test_a_fixed_clock_and_an_offset_combine(tmp_path: Path) -> None:
    with serving("--keys-dir", str(tmp_path), "--clock", "2026-01-01T00:00:00+00:00", "--clock-offset", "60") as (_, ready):
        token = httpx.post(ready["token_endpoint"], data={"grant_type": "client_credentials"}, auth=CLIENT, timeout=5)
    assert claims_of(token.json()["access_token"])["iat"] == int(T0.timestamp()) + 60


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--clock", "yesterday"], "ISO 8601"),
        (["--clock", "2026-01-01T00:00:00"], "time zone"),
        (["--clock-offset", "soon"], "invalid int"),
    ],
    ids=["not_a_date", "no_time_zone", "offset_not_an_integer"],
)
def test_a_bad_clock_is_a_usage_error(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(main, ["serve", "--port", "0", *args], capsys)
    assert result.returncode == 2
    assert message in result.stderr
