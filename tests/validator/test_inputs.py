"""Flags and onboarding.toml become Inputs; bad usage is a one-line UsageError; cert files become data."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from oidc_idp.keys.tls import ensure_tls
from oidc_validator.cli.arguments import add_input_arguments
from oidc_validator.errors import UsageError
from oidc_validator.model.context import CertificateInput
from oidc_validator.net.options import FetchOptions
from oidc_validator.observe.certfiles import read_certificate_file
from oidc_validator.observe.environment import Environment
from oidc_validator.observe.inputs import RunConfig, resolve

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def env(stdin: str = "", environ: dict[str, str] | None = None, *, terminal: bool = False, prompted: str = "typed") -> Environment:
    return Environment(
        stdin=Terminal(stdin) if terminal else io.StringIO(stdin),
        environ=environ or {},
        prompt=lambda _: prompted,
        clock=lambda: NOW,
    )


def run(*argv: str, environment: Environment | None = None) -> RunConfig:
    parser = argparse.ArgumentParser()
    add_input_arguments(parser)
    return resolve(parser.parse_args(list(argv)), environment or env())


def test_every_onboarding_field_is_read_from_flags() -> None:
    config = run(
        "--idp-name", "Okta", "--entity-id", "https://example.com/idp", "--issuer", "https://idp.example",
        "--audience", "api://one", "--audience", "api://two", "--jwks-url", "https://idp.example/keys",
        "--external-id", "alice", "--external-id-claim", "preferred_username", "--token", "a.b.c",
    )  # fmt: skip
    inputs = config.inputs
    assert (inputs.idp_name, inputs.entity_id, inputs.issuer) == ("Okta", "https://example.com/idp", "https://idp.example")
    assert inputs.audiences == ("api://one", "api://two")
    assert inputs.jwks_url == "https://idp.example/keys"
    assert (inputs.external_id, inputs.external_id_claim) == ("alice", "preferred_username")
    assert [(t.raw, t.kind, t.source) for t in inputs.tokens] == [("a.b.c", "given", "--token")]
    assert config.grant is None and not inputs.token_requested


def test_defaults_are_sub_the_system_clock_and_the_documented_limits() -> None:
    config = run()
    assert config.inputs.external_id_claim == "sub"
    assert config.now == NOW
    assert config.fetch == FetchOptions(connect_timeout_seconds=5.0, total_timeout_seconds=15.0, max_body_bytes=1048576, max_redirects=3)


def test_now_accepts_iso_times_with_z_and_treats_naive_times_as_utc() -> None:
    assert run("--now", "2025-03-01T10:00:00Z").now == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert run("--now", "2025-03-01T10:00:00").now == datetime(2025, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(UsageError, match="--now expects an ISO 8601 time"):
        run("--now", "yesterday")


def test_the_config_file_supplies_fields_and_flags_win(tmp_path: Path) -> None:
    (tmp_path / "onboarding.toml").write_text(
        'issuer = "https://from-file.example"\n'
        'audience = "api://file"\n'
        'entity_id = "urn:example:idp"\n'
        'cert = ["a.pem"]\n'
        "total_timeout_seconds = 3\n"
        "[cert_kid]\n"
        'k1 = "b.pem"\n'
    )
    config = run("--config", str(tmp_path / "onboarding.toml"), "--issuer", "https://from-flag.example")
    assert config.inputs.issuer == "https://from-flag.example"
    assert config.inputs.audiences == ("api://file",)
    assert config.inputs.entity_id == "urn:example:idp"
    assert config.fetch.total_timeout_seconds == 3
    assert config.inputs.certificates == (CertificateInput(tmp_path / "a.pem"), CertificateInput(tmp_path / "b.pem", "k1"))


def test_a_repeated_flag_replaces_the_config_list(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('audience = ["api://a", "api://b"]\n')
    assert run("--config", str(tmp_path / "c.toml"), "--audience", "api://flag").inputs.audiences == ("api://flag",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('isuer = "x"\n', "unknown key 'isuer'"),
        ("audience = 3\n", "audience: expected a string or a list of strings"),
        ('max_redirects = "3"\n', "max_redirects: expected an integer"),
        ('client_secret = "s3cret"\n', "client_secret does not belong in a file; use client_secret_env"),
        ("issuer = \n", "not valid TOML"),
    ],
)
def test_config_file_mistakes_are_one_line_usage_errors(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(content)
    with pytest.raises(UsageError, match=message) as caught:
        run("--config", str(tmp_path / "bad.toml"))
    assert "\n" not in caught.value.message
    assert "s3cret" not in caught.value.message


def test_a_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read --config"):
        run("--config", str(tmp_path / "absent.toml"))


def test_cert_kid_pairs_a_kid_with_a_cert_file_given_once() -> None:
    config = run("--cert", "a.pem", "--cert", "b.cer", "--cert-kid", "kid-b=b.cer")
    assert config.inputs.certificates == (CertificateInput(Path("a.pem")), CertificateInput(Path("b.cer"), "kid-b"))


def test_cert_kid_without_an_equals_sign_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="KID=FILE"):
        run("--cert-kid", "just-a-file.pem")


def test_a_token_is_read_from_stdin_or_a_file_with_whitespace_and_bearer_removed(tmp_path: Path) -> None:
    assert run("--token", "-", environment=env(" a.b.c\n")).inputs.tokens[0].raw == "a.b.c"
    (tmp_path / "tok.jwt").write_text("Bearer x.y.z\n")
    token = run("--token-file", str(tmp_path / "tok.jwt")).inputs.tokens[0]
    assert (token.raw, token.source) == ("x.y.z", f"--token-file {tmp_path / 'tok.jwt'}")


def test_a_missing_token_file_or_an_empty_token_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read --token-file"):
        run("--token-file", str(tmp_path / "absent.jwt"))
    with pytest.raises(UsageError, match="stdin holds no token"):
        run("--token", "-", environment=env("  \n"))


def test_client_credentials_read_the_secret_from_the_named_variable() -> None:
    grant = run("--client-id", "c", "--client-secret-env", "SECRET", environment=env(environ={"SECRET": "s3cret"})).grant
    assert grant is not None
    assert (grant.grant, grant.client_id, grant.client_secret) == ("client_credentials", "c", "s3cret")
    assert "s3cret" not in repr(grant)


def test_a_named_but_unset_variable_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"environment variable SECRET .* is not set"):
        run("--client-id", "c", "--client-secret-env", "SECRET")


def test_without_a_variable_the_secret_is_prompted_on_a_terminal_only() -> None:
    grant = run("--client-id", "c", environment=env(terminal=True, prompted="from-prompt")).grant
    assert grant is not None and grant.client_secret == "from-prompt"
    with pytest.raises(UsageError, match=r"--client-secret-env .*stdin is not a terminal"):
        run("--client-id", "c")


def test_the_password_grant_defaults_to_openid_profile_and_needs_a_client() -> None:
    grant = run("--client-id", "c", "--username", "demo", "--password-env", "PW", environment=env(environ={"PW": "pw"})).grant
    assert grant is not None
    assert (grant.grant, grant.username, grant.password, grant.scope) == ("password", "demo", "pw", "openid profile")
    assert grant.client_secret is None
    assert "'pw'" not in repr(grant)
    with pytest.raises(UsageError, match="--username needs --client-id"):
        run("--username", "demo")


def test_limits_must_be_positive_and_the_ca_file_readable(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--total-timeout-seconds must be positive"):
        run("--total-timeout-seconds", "0")
    with pytest.raises(UsageError, match="cannot read --ca-file"):
        run("--ca-file", str(tmp_path / "absent.pem"))
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(UsageError, match="holds no usable PEM CA certificate"):
        run("--ca-file", str(tmp_path / "junk.pem"))


@pytest.fixture(scope="module")
def pem_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """A real certificate and its private key, as PEM."""
    tls = ensure_tls(tmp_path_factory.mktemp("certs"), "127.0.0.1", NOW)
    return tls.cert_file.read_bytes(), tls.key_file.read_bytes()


def test_a_pem_certificate_is_read_as_der(tmp_path: Path, pem_pair: tuple[bytes, bytes]) -> None:
    record = read_certificate_file(CertificateInput(_write(tmp_path, "c.pem", pem_pair[0]), "k1"))
    assert record.error is None and record.kid == "k1" and not record.contains_private_key
    assert x509.load_pem_x509_certificate(pem_pair[0]).public_bytes(serialization.Encoding.DER) == record.der_certificates[0]


def test_a_der_cer_file_is_read(tmp_path: Path, pem_pair: tuple[bytes, bytes]) -> None:
    der = x509.load_pem_x509_certificate(pem_pair[0]).public_bytes(serialization.Encoding.DER)
    record = read_certificate_file(CertificateInput(_write(tmp_path, "c.cer", der)))
    assert record.error is None and record.der_certificates == (der,)


def test_a_private_key_is_noted_but_its_bytes_are_not_kept(tmp_path: Path, pem_pair: tuple[bytes, bytes]) -> None:
    record = read_certificate_file(CertificateInput(_write(tmp_path, "both.pem", pem_pair[0] + pem_pair[1])))
    assert record.contains_private_key and len(record.der_certificates) == 1 and record.error is None
    body = b"".join(pem_pair[1].splitlines()[1:-1])
    assert body not in repr(record).encode()


def test_a_der_private_key_is_recognised(tmp_path: Path, pem_pair: tuple[bytes, bytes]) -> None:
    key = serialization.load_pem_private_key(pem_pair[1], password=None)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    record = read_certificate_file(CertificateInput(_write(tmp_path, "key.der", der)))
    assert record.contains_private_key and record.der_certificates == ()


def test_a_truncated_pem_is_an_error_record(tmp_path: Path, pem_pair: tuple[bytes, bytes]) -> None:
    record = read_certificate_file(CertificateInput(_write(tmp_path, "cut.pem", pem_pair[0][: len(pem_pair[0]) // 2])))
    assert record.error is not None and "truncated" in record.error
    assert record.der_certificates == ()


def test_a_corrupt_certificate_block_is_an_error_record(tmp_path: Path, pem_pair: tuple[bytes, bytes]) -> None:
    lines = pem_pair[0].splitlines()
    corrupt = b"\n".join([lines[0], *lines[1:3], lines[-1]]) + b"\n"
    record = read_certificate_file(CertificateInput(_write(tmp_path, "corrupt.pem", corrupt)))
    assert record.error == "a CERTIFICATE block is corrupt or truncated"


def test_unreadable_empty_and_foreign_files_are_error_records(tmp_path: Path) -> None:
    assert "cannot read" in (read_certificate_file(CertificateInput(tmp_path / "absent.pem")).error or "")
    assert read_certificate_file(CertificateInput(_write(tmp_path, "empty.cer", b""))).error == "the file is empty"
    foreign = read_certificate_file(CertificateInput(_write(tmp_path, "photo.cer", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)))
    assert "neither a PEM nor a DER" in (foreign.error or "")


def _write(directory: Path, name: str, data: bytes) -> Path:
    (directory / name).write_bytes(data)
    return directory / name


def test_the_documented_example_config_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "onboarding.example.toml"
    config = run("--config", str(example), environment=env(environ={"OKTA_CLIENT_SECRET": "s"}))
    assert config.inputs.external_id_claim == "preferred_username"
    assert config.grant is not None and config.grant.grant == "client_credentials"
    assert config.fetch == FetchOptions()
