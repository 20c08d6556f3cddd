"""crypto.jose: strict compact-JWS splitting, conservative key selection, signature verification (cross-checked with joserfc)."""

from __future__ import annotations

import warnings
from typing import Any

import jwt
import pytest
from joserfc import jws as joserfc_jws
from joserfc.jwk import KeySet

from build import KID, b64url, claims, compact, ec_key, ed_key, public_jwk, rsa_key, sign
from oidc_validator.crypto.jose import JoseError, key_fits, select_keys, split_compact, verify_signature
from oidc_validator.crypto.jose import KeySet as JoseKeySet

FORGED_PAYLOAD = b'{"sub": "admin"}'
ALG_KEYS: list[tuple[str, Any]] = [
    ("RS256", lambda: rsa_key()),
    ("RS384", lambda: rsa_key()),
    ("RS512", lambda: rsa_key()),
    ("PS256", lambda: rsa_key()),
    ("PS384", lambda: rsa_key()),
    ("PS512", lambda: rsa_key()),
    ("ES256", lambda: ec_key("P-256")),
    ("ES384", lambda: ec_key("P-384")),
    ("ES512", lambda: ec_key("P-521")),
    ("EdDSA", lambda: ed_key()),
]


def joserfc_verifies(token: str, jwk: dict[str, Any], alg: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags EdDSA as superseded by Ed25519 (RFC 9864)
        try:
            joserfc_jws.deserialize_compact(token, KeySet.import_key_set({"keys": [jwk]}), algorithms=[alg])
        except Exception:
            return False
    return True


@pytest.mark.parametrize(("alg", "make_key"), ALG_KEYS, ids=[a for a, _ in ALG_KEYS])
def test_a_signature_verifies_with_its_key_and_joserfc_agrees(alg: str, make_key: Any) -> None:
    key = make_key()
    jwk = public_jwk(key, alg=alg)
    token = sign(key=key, alg=alg)
    assert verify_signature(split_compact(token), jwk, alg) is True
    assert joserfc_verifies(token, jwk, alg) is True


@pytest.mark.parametrize(("alg", "make_key"), ALG_KEYS, ids=[a for a, _ in ALG_KEYS])
def test_a_tampered_payload_fails_and_joserfc_agrees(alg: str, make_key: Any) -> None:
    key = make_key()
    jwk = public_jwk(key, alg=alg)
    header, _, signature = sign(key=key, alg=alg).split(".")
    forged = f"{header}.{b64url(FORGED_PAYLOAD)}.{signature}"
    assert verify_signature(split_compact(forged), jwk, alg) is False
    assert joserfc_verifies(forged, jwk, alg) is False


@pytest.mark.parametrize("alg", ["none", "HS256", "RSA-OAEP"])
def test_verification_refuses_symmetric_and_unsigned_algorithms(alg: str) -> None:
    token = jwt.encode(claims(), "k" * 32, algorithm="HS256")
    with pytest.raises(ValueError, match="refusing"):
        verify_signature(split_compact(token), {"kty": "oct", "k": b64url(b"k" * 32)}, alg)


def test_a_key_of_another_type_is_refused_before_verifying() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        verify_signature(split_compact(sign()), public_jwk(ec_key(), alg=None), "RS256")


def test_key_selection_needs_kid_kty_alg_and_use_to_fit() -> None:
    good = public_jwk(rsa_key())
    keys = [
        good,
        public_jwk(rsa_key(), kid="other"),
        public_jwk(rsa_key(), alg="PS256"),
        {**public_jwk(rsa_key()), "use": "enc"},
        public_jwk(ec_key(), alg=None),
    ]
    assert select_keys(keys, KID, "RS256") == [good]
    assert select_keys([public_jwk(rsa_key(), alg=None)], KID, "PS256") != []
    assert key_fits(public_jwk(ec_key("P-384"), alg=None), "ES256") == ["crv is 'P-384', ES256 needs 'P-256'"]


def test_a_clean_token_splits_into_header_and_payload_and_hides_its_signature_from_repr() -> None:
    jws = split_compact(sign())
    assert jws.header == {"alg": "RS256", "kid": KID, "typ": "at+jwt"}
    assert jws.payload == claims()
    assert "signature=" not in repr(jws) and "signing_input=" not in repr(jws)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        pytest.param("a" * 16_385, "too_large", id="over 16 KiB"),
        pytest.param("a.b.c.d.e", "jwe", id="five segments"),
        pytest.param('{"protected": "x"}', "json_serialization", id="json serialisation"),
        pytest.param("a.b", "segments", id="two segments"),
        pytest.param("a.b.c.d", "segments", id="four segments"),
        pytest.param(" " + sign(), "base64url", id="leading space"),
        pytest.param(sign().replace(".", ".=", 1), "base64url", id="padding"),
        pytest.param(compact({"alg": "RS256"}, claims()).replace("e", "e\n", 1), "base64url", id="line break"),
        pytest.param("eyJhbGciOiJSUzI1NiJ9+.e30.c2ln", "base64url", id="standard base64 plus"),
        pytest.param("eyJhbGciOiJSUzI1NiJ9.e31.c2ln", "base64url", id="non-canonical last character"),
        pytest.param(compact(b"\xff\xfe", claims()), "json", id="header not utf-8"),
        pytest.param(compact(b"[1]", claims()), "not_object", id="header is an array"),
        pytest.param(compact({"alg": "RS256"}, b"NaN"), "json", id="payload NaN"),
        pytest.param(compact({"alg": "RS256"}, b'{"a": {"b": 1, "b": 2}}'), "duplicate_member", id="nested duplicate"),
    ],
)
def test_malformed_tokens_are_rejected_with_a_stable_kind(raw: str, kind: str) -> None:
    with pytest.raises(JoseError) as caught:
        split_compact(raw)
    assert caught.value.code == kind


def test_the_size_cap_is_checked_before_any_decoding() -> None:
    with pytest.raises(JoseError) as caught:
        split_compact("!" * 100, max_bytes=50)
    assert caught.value.code == "too_large"


def test_a_key_set_builds_each_selected_key_once_and_remembers_only_kids_it_has() -> None:
    key = rsa_key()
    keyset = JoseKeySet([public_jwk(key), public_jwk(rsa_key(), kid="other")])
    first = keyset.select(KID, "RS256")
    assert len(first) == 1 and keyset.select(KID, "RS256")[0] is first[0]  # the same key object, not rebuilt
    assert first[0].verify(split_compact(sign(key=key))) is True
    for n in range(500):  # a flood of hostile kids and algorithms finds nothing and is not remembered
        assert keyset.select(f"random-{n}", "RS256") == ()
    assert keyset.select(KID, "HS256") == () and keyset.select(KID, "none") == ()
    assert keyset.remembered == 1


def test_a_selected_key_that_does_not_build_refuses_to_verify_with_the_reason() -> None:
    broken = {**public_jwk(rsa_key()), "n": "AQAB!"}
    (candidate,) = JoseKeySet([broken]).select(KID, "RS256")
    with pytest.raises(ValueError) as raised:
        candidate.verify(split_compact(sign()))
    assert str(raised.value) == candidate.build_error and str(raised.value)
