"""oidc_validator.crypto.certs: reading --cert material, public-key comparison with JWKs, thumbprints, validity windows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from build import NOW, certificate, der, ec_key, ed_key, pem, public_jwk, rsa_key
from crosscheck import jwk_public_spki, x5t_s256
from oidc_validator.crypto import certs

PRIVATE_PEM = rsa_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def test_a_pem_file_yields_its_certificates_in_order() -> None:
    first, second = certificate(rsa_key()), certificate(ec_key())
    material = certs.read_certificate_material(pem(first) + pem(second))
    assert material == certs.CertificateMaterial((der(first), der(second)), False)


def test_a_der_file_yields_its_certificate() -> None:
    cert = certificate(ed_key())
    assert certs.read_certificate_material(der(cert)).der_certificates == (der(cert),)


def test_a_private_key_beside_the_certificate_is_noted_but_not_kept() -> None:
    material = certs.read_certificate_material(PRIVATE_PEM + pem(certificate(rsa_key())))
    assert material.contains_private_key and material.error is None
    assert all(PRIVATE_PEM[30:60] not in d for d in material.der_certificates)


def test_a_private_key_alone_is_an_error_that_says_so() -> None:
    material = certs.read_certificate_material(PRIVATE_PEM)
    assert material.contains_private_key and material.error and not material.der_certificates


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(pem(certificate(rsa_key()))[:-40], id="pem without END"),
        pytest.param(pem(certificate(rsa_key())).replace(b"MII", b"MI!", 1), id="pem with a corrupt body"),
        pytest.param(der(certificate(rsa_key()))[:-10], id="truncated der"),
        pytest.param(b"<html>not a certificate</html>", id="html"),
        pytest.param(b"", id="empty"),
    ],
)
def test_unusable_material_is_an_error_not_an_exception(data: bytes) -> None:
    assert certs.read_certificate_material(data).error


@pytest.mark.parametrize("make_key", [lambda: rsa_key(), lambda: ec_key("P-384"), lambda: ed_key()], ids=["rsa", "ec", "ed25519"])
def test_a_certificate_matches_exactly_its_own_key_and_joserfc_reads_the_same_key(make_key: object) -> None:
    key = make_key()  # type: ignore[operator]
    jwk = public_jwk(key, alg=None)
    assert certs.same_public_key(certificate(key), jwk)
    assert certs.jwk_spki(jwk) == jwk_public_spki(jwk)
    assert not certs.same_public_key(certificate(rsa_key(seed=1)), jwk)


def test_a_broken_jwk_matches_no_certificate() -> None:
    assert not certs.same_public_key(certificate(rsa_key()), {"kty": "RSA", "n": "!!", "e": "AQAB"})


def test_thumbprints_agree_with_the_idp_test_suite_computation() -> None:
    cert = certificate(rsa_key())
    jwk = public_jwk(rsa_key(), cert=cert)
    assert certs.x5t_s256(der(cert)) == x5t_s256(jwk) == jwk["x5t#S256"]
    assert certs.x5t(der(cert)) == jwk["x5t"]
    assert len(certs.fingerprint_sha256(cert)) == 64


@pytest.mark.parametrize(
    ("not_before", "not_after", "state"),
    [
        (NOW - timedelta(days=1), NOW + timedelta(days=31), "valid"),
        (NOW - timedelta(days=1), NOW + timedelta(days=30), "expiring"),
        (NOW - timedelta(days=9), NOW - timedelta(seconds=1), "expired"),
        (NOW, NOW + timedelta(days=1), "expiring"),
        (NOW + timedelta(seconds=1), NOW + timedelta(days=90), "not_yet_valid"),
    ],
)
def test_validity_is_judged_at_the_given_clock(not_before: object, not_after: object, state: str) -> None:
    cert = certificate(rsa_key(), not_before=not_before, not_after=not_after)  # type: ignore[arg-type]
    assert certs.validity(cert, NOW) == state


def test_a_naive_clock_is_read_as_utc() -> None:
    cert = certificate(rsa_key(), not_after=NOW - timedelta(hours=1))
    assert certs.validity(cert, NOW.replace(tzinfo=None)) == "expired"
