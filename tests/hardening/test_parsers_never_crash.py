"""Property tests: arbitrary bytes and structured mutations of every file the tools read give a
finding or a clean error, never an unhandled exception."""

from __future__ import annotations

import argparse
import base64
import io
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from oidc_idp.config import build_config, read_toml
from oidc_idp.errors import ConfigError
from oidc_validator.bundle.verify.verifier import read_entries, verify_files
from oidc_validator.cli.arguments import add_input_arguments
from oidc_validator.errors import UsageError
from oidc_validator.model.context import CertificateInput
from oidc_validator.model.findings import Finding
from oidc_validator.observe.certfiles import read_certificate_file
from oidc_validator.observe.environment import Environment
from oidc_validator.observe.inputs import resolve

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TOML_KEYS = ["issuer", "audience", "jwks_url", "entity_id", "external_id", "cert", "timeout", "clients", "users", "alg", "scenarios"]
toml_values = st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.lists(st.text(max_size=10), max_size=3))


def _write(data: bytes) -> Path:
    handle = tempfile.NamedTemporaryFile(delete=False, suffix=".bin")  # noqa: SIM115 - the path outlives the handle
    handle.write(data)
    handle.close()
    return Path(handle.name)


@settings(deadline=None)
@given(st.binary(max_size=2048) | st.text(max_size=500).map(str.encode))
def test_any_bytes_as_an_idp_config_give_a_config_error_or_a_config(data: bytes) -> None:
    path = _write(data)
    try:
        build_config({"issuer": "http://127.0.0.1:1", "keys_dir": "/tmp/k", **read_toml(path)})
    except ConfigError as exc:
        assert exc.code.startswith("config_") and "\n" not in str(exc)
    finally:
        path.unlink()


@settings(deadline=None)
@given(st.dictionaries(st.sampled_from(TOML_KEYS), toml_values, max_size=6))
def test_structured_idp_configs_give_a_config_error_or_a_config(values: dict[str, object]) -> None:
    try:
        build_config({"issuer": "http://127.0.0.1:1", "keys_dir": "/tmp/k", **values})
    except ConfigError as exc:
        assert "\n" not in str(exc)


def _resolve_with_config(data: bytes) -> None:
    path = _write(data)
    parser = argparse.ArgumentParser()
    add_input_arguments(parser)
    try:
        resolve(parser.parse_args(["--config", str(path), "--now", "2026-06-01T00:00:00Z"]), Environment(environ={}))
    finally:
        path.unlink()


@settings(deadline=None)
@given(st.binary(max_size=2048) | st.text(max_size=500).map(str.encode))
def test_any_bytes_as_onboarding_toml_give_a_usage_error_or_inputs(data: bytes) -> None:
    try:
        _resolve_with_config(data)
    except UsageError as exc:
        assert "\n" not in exc.message


@settings(deadline=None)
@given(st.dictionaries(st.sampled_from(TOML_KEYS), toml_values, max_size=6))
def test_structured_onboarding_toml_gives_a_usage_error_or_inputs(values: dict[str, object]) -> None:
    lines = [f"{k} = {v!r}".replace("'", '"').replace("True", "true").replace("False", "false") for k, v in values.items()]
    try:
        _resolve_with_config("\n".join(lines).encode())
    except UsageError as exc:
        assert "\n" not in exc.message


@settings(deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["CERTIFICATE", "PRIVATE KEY", "RSA PRIVATE KEY", "PUBLIC KEY", "X"]))
def test_any_pem_body_gives_a_certificate_file_record(body: bytes, label: str) -> None:
    pem = f"-----BEGIN {label}-----\n{base64.encodebytes(body).decode()}-----END {label}-----\n".encode()
    for data in (pem, pem[: len(pem) // 2], body):
        path = _write(data)
        try:
            record = read_certificate_file(CertificateInput(path))
        finally:
            path.unlink()
        # A file that holds no certificate is a record the checks report (cert_file_no_certificate).
        assert record.error is not None or record.der_certificates or record.contains_private_key or b"CERTIFICATE" not in data


def _bundle_findings(data: bytes) -> list[Finding]:
    path = _write(data)
    try:
        files, findings = read_entries(path)
        return findings + verify_files(files, now=NOW)
    finally:
        path.unlink()


@settings(deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_as_a_bundle_give_findings(data: bytes) -> None:
    assert all(isinstance(f, Finding) for f in _bundle_findings(data))


@settings(deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["onboarding.json", "jwks.json", "SHA256SUMS", "REQUEST.md", "certs/a.pem", "../x"]), st.binary(max_size=300)
    )
)
def test_any_bundle_shaped_zip_gives_findings_and_never_verifies(entries: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    findings = _bundle_findings(buffer.getvalue())
    assert any(f.severity.value == "error" for f in findings)
