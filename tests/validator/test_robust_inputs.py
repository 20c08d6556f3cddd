"""Whatever bytes arrive, the readers return data and never raise (property tests)."""

from __future__ import annotations

import base64
import contextlib
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oidc_validator.crypto.jose import JoseError, b64url_decode
from oidc_validator.model.context import CertificateInput
from oidc_validator.net.fetch import parse_json_strictly
from oidc_validator.observe.certfiles import read_certificate_file

PEM_ISH = st.builds(
    lambda label, body, end: b"-----BEGIN " + label + b"-----\n" + body + (b"\n-----END " + label + b"-----\n" if end else b""),
    st.sampled_from([b"CERTIFICATE", b"PRIVATE KEY", b"RSA PRIVATE KEY", b"PUBLIC KEY", b"X"]),
    st.binary(max_size=200),
    st.booleans(),
)


@settings(deadline=None)
@given(st.one_of(st.binary(max_size=400), PEM_ISH, st.lists(PEM_ISH, max_size=3).map(b"".join)))
def test_any_cert_file_content_becomes_a_record_and_never_an_exception(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "c.pem"
        path.write_bytes(data)
        record = read_certificate_file(CertificateInput(path, "k"))
    assert record.path == path and record.kid == "k"
    assert record.error is None or "\n" not in record.error
    if re.search(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----", data):
        assert record.contains_private_key


@settings(deadline=None)
@given(st.binary(max_size=200))
def test_strict_json_parsing_fails_only_with_value_errors(data: bytes) -> None:
    with contextlib.suppress(ValueError):
        parse_json_strictly(data)


def test_deeply_nested_json_is_not_json_rather_than_a_crash() -> None:
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_json_strictly(b"[" * 100_000)


@settings(deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=12))
def test_a_base64url_segment_decodes_exactly_when_it_is_the_canonical_encoding_of_its_bytes(segment: str) -> None:
    # The definition, spelled out: decoding then re-encoding gives the segment back.
    canonical = (
        len(segment) % 4 != 1
        and base64.urlsafe_b64encode(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))).rstrip(b"=").decode() == segment
    )
    try:
        b64url_decode(segment)
    except JoseError:
        assert not canonical
    else:
        assert canonical
