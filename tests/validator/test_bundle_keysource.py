"""The key-source rule: the JWKS URL when keys rotate or there are several, else certificates; every certificate paired with its kid."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from build import T0, cert_file, certificate, crafted_context, ec_key, jwks_of, public_jwk, rsa_key
from bundling import idp_context
from oidc_idp import Clock, running
from oidc_idp.keys.keystore import KeyStore
from oidc_validator.bundle.contents import BundleOptions, build_contents
from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.keysource import certificate_candidates, choose_key_source, default_key_source


def _doc(files: dict[str, bytes]) -> Any:
    return json.loads(files["onboarding.json"])


def _keys(count: int) -> tuple[list[Any], dict[str, Any]]:
    keys = [rsa_key(fresh=True) if i % 2 else ec_key(fresh=True) for i in range(count)]
    return keys, {"keys": [public_jwk(k, f"key-{i}", cert=certificate(k, cn=f"key {i}"), thumbprints=False) for i, k in enumerate(keys)]}


def test_a_rotated_idp_defaults_to_the_jwks_url_and_can_still_send_both_certificates(tmp_path: Path) -> None:
    with running(keys_dir=tmp_path, clock=Clock(fixed=T0)) as server:
        (new,) = KeyStore(tmp_path).rotate(None, now=T0, validity_days=365)
        ctx = idp_context(server, now=T0 + timedelta(minutes=5))
    doc = _doc(build_contents(ctx, []))
    assert doc["key_source"] == "jwks_url"
    assert doc["key_source_reason"].startswith("signs of key rotation (the JWKS publishes 2 signing keys")
    pinned = _doc(build_contents(ctx, [], BundleOptions(key_source="certificates")))
    kids = [c["kid"] for c in pinned["certificates"]]
    assert kids == [k["kid"] for k in jwks_of(ctx)["keys"]] and new.kid in kids
    assert all(c["use_for_oidc"] for c in pinned["certificates"])


def test_a_certificate_near_expiry_means_the_key_will_rotate_so_the_jwks_url() -> None:
    key = rsa_key(fresh=True)
    cert = certificate(key, not_before=T0 - timedelta(days=355), not_after=T0 + timedelta(days=10))
    ctx = crafted_context({"keys": [public_jwk(key, "k1", cert=cert, thumbprints=False)]})
    name, reason = default_key_source(ctx)
    assert name == "jwks_url"
    assert "a certificate expires within 90 days" in reason


def test_an_expired_certificate_is_not_pinned_by_default() -> None:
    key = rsa_key(fresh=True)
    cert = certificate(key, not_before=T0 - timedelta(days=400), not_after=T0 - timedelta(days=35))
    ctx = crafted_context({"keys": [public_jwk(key, "k1", cert=cert, thumbprints=False)]})
    assert default_key_source(ctx) == ("jwks_url", "the certificate of kid k1 is expired: send the JWKS URL")


def test_one_stable_key_with_a_valid_certificate_defaults_to_certificates() -> None:
    key = rsa_key(fresh=True)
    ctx = crafted_context({"keys": [public_jwk(key, "k1", cert=certificate(key), thumbprints=False)]})
    assert default_key_source(ctx)[0] == "certificates"


def test_a_jwks_without_x5c_defaults_to_the_url_and_refuses_certificate_mode() -> None:
    key = rsa_key(fresh=True)
    ctx = crafted_context({"keys": [public_jwk(key, "okta-style")]})
    assert default_key_source(ctx) == ("jwks_url", "the JWKS publishes no certificate (x5c), so only the JWKS URL can be sent")
    with pytest.raises(BundleError) as caught:
        build_contents(ctx, [], BundleOptions(key_source="certificates"))
    assert caught.value.code == "no_certificates_available"
    assert "use the JWKS URL (--key-source jwks_url)" in caught.value.message


def test_more_than_five_certificates_without_use_kid_is_an_error_that_says_how_to_choose() -> None:
    _, jwks = _keys(6)
    ctx = crafted_context(jwks)
    with pytest.raises(BundleError) as caught:
        build_contents(ctx, [], BundleOptions(key_source="certificates"))
    assert caught.value.code == "too_many_certificates"
    message = caught.value.message
    assert "6 certificates could be sent but Qualys accepts at most 5" in message
    assert "--use-kid KID (repeatable, at most 5)" in message
    assert "key-0, key-1, key-2, key-3, key-4, key-5" in message
    assert "--key-source jwks_url" in message


def test_use_kid_chooses_which_certificates_go_in_when_there_are_more_than_five() -> None:
    _, jwks = _keys(6)
    files = build_contents(crafted_context(jwks), [], BundleOptions(use_kids=("key-4", "key-1")))
    doc = _doc(files)
    assert doc["key_source"] == "certificates"  # --use-kid implies certificate mode
    assert [(c["kid"], c["use_for_oidc"]) for c in doc["certificates"]] == [("key-1", True), ("key-4", True)]
    assert sorted(n for n in files if n.startswith("certs/")) == ["certs/key-1.pem", "certs/key-4.pem"]


def test_choosing_six_kids_is_still_too_many() -> None:
    _, jwks = _keys(7)
    with pytest.raises(BundleError) as caught:
        build_contents(crafted_context(jwks), [], BundleOptions(use_kids=tuple(f"key-{i}" for i in range(6))))
    assert caught.value.code == "too_many_certificates"


def test_with_five_or_fewer_use_kid_marks_which_certificates_are_for_oidc() -> None:
    _, jwks = _keys(3)
    doc = _doc(build_contents(crafted_context(jwks), [], BundleOptions(key_source="certificates", use_kids=("key-2",))))
    assert [(c["kid"], c["use_for_oidc"]) for c in doc["certificates"]] == [("key-0", False), ("key-1", False), ("key-2", True)]
    assert "| no |" in build_contents(crafted_context(jwks), [], BundleOptions(use_kids=("key-2",)))["REQUEST.md"].decode()


def test_an_unknown_use_kid_lists_the_kids_that_have_a_certificate() -> None:
    _, jwks = _keys(2)
    with pytest.raises(BundleError) as caught:
        build_contents(crafted_context(jwks), [], BundleOptions(use_kids=("nope",)))
    assert caught.value.code == "unknown_kid"
    assert "the kids with a certificate are: key-0, key-1" in caught.value.message


def test_use_kid_cannot_be_combined_with_the_jwks_url() -> None:
    _, jwks = _keys(2)
    with pytest.raises(BundleError) as caught:
        choose_key_source(crafted_context(jwks), "jwks_url", ("key-0",))
    assert caught.value.code == "use_kid_without_certificates"


def test_cert_files_are_paired_with_their_kid_by_public_key_or_by_cert_kid() -> None:
    first, second = rsa_key(fresh=True), ec_key(fresh=True)
    jwks = {"keys": [public_jwk(first, "first"), public_jwk(second, "second")]}
    files = (cert_file(certificate(first), "/tmp/a.pem"), cert_file(certificate(second), "/tmp/b.cer", kid="second"))
    doc = _doc(build_contents(crafted_context(jwks, certificates=files), [], BundleOptions(key_source="certificates")))
    assert [(c["kid"], c["origin"], c["key_type"], c["alg"]) for c in doc["certificates"]] == [
        ("first", "cert_file", "RSA", "RS256"),
        ("second", "cert_file", "EC", "ES256"),
    ]
    assert doc["certificates"][1]["curve"] == "P-256"


def test_a_cert_file_matching_no_jwks_key_and_without_cert_kid_is_an_error() -> None:
    stranger = rsa_key(fresh=True)
    ctx = crafted_context(
        {"keys": [public_jwk(rsa_key(fresh=True), "k1")]}, certificates=(cert_file(certificate(stranger, cn="stranger"), "/tmp/s.pem"),)
    )
    with pytest.raises(BundleError) as caught:
        build_contents(ctx, [], BundleOptions(key_source="certificates"))
    assert caught.value.code == "unpaired_certificate"
    assert "--cert-kid KID=FILE" in caught.value.message and "CN=stranger" in caught.value.message


def test_cert_files_without_any_jwks_url_default_to_certificates() -> None:
    key = rsa_key(fresh=True)
    ctx = crafted_context(None, jwks_url=None, certificates=(cert_file(certificate(key), "/tmp/a.pem", kid="k1"),))
    source = choose_key_source(ctx, None)
    assert source.name == "certificates" and source.jwks_url is None
    assert [b.candidate.kid for b in source.certificates] == ["k1"]


def test_no_key_material_at_all_is_an_error_naming_the_flags() -> None:
    with pytest.raises(BundleError) as caught:
        build_contents(crafted_context(None, jwks_url=None), [])
    assert caught.value.code == "no_key_material"
    assert "--jwks-url" in caught.value.message and "--cert" in caught.value.message


def test_jwks_url_mode_without_a_url_is_an_error() -> None:
    key = rsa_key(fresh=True)
    ctx = crafted_context(None, jwks_url=None, certificates=(cert_file(certificate(key), "/tmp/a.pem", kid="k1"),))
    with pytest.raises(BundleError) as caught:
        build_contents(ctx, [], BundleOptions(key_source="jwks_url"))
    assert caught.value.code == "no_jwks_url"


def test_awkward_kids_get_safe_distinct_file_names() -> None:
    keys = [rsa_key(fresh=True) for _ in range(3)]
    kids = ["../etc/passwd", "a/b", "a:b"]
    jwks = {"keys": [public_jwk(k, kid, cert=certificate(k), thumbprints=False) for k, kid in zip(keys, kids, strict=True)]}
    doc = _doc(build_contents(crafted_context(jwks), [], BundleOptions(key_source="certificates")))
    files = [(c["kid"], c["file"]) for c in doc["certificates"]]
    assert files == [("../etc/passwd", "certs/_etc_passwd.pem"), ("a/b", "certs/a_b.pem"), ("a:b", "certs/a_b-2.pem")]


def test_an_encryption_keys_certificate_is_never_a_candidate_to_pin() -> None:
    # A default Keycloak realm: one RS256 signing key and one RSA-OAEP encryption key, both with x5c.
    signing, encryption = rsa_key(fresh=True), rsa_key(fresh=True)
    keys = [
        public_jwk(signing, "sig-1", cert=certificate(signing), thumbprints=False),
        public_jwk(encryption, "enc-1", alg="RSA-OAEP", use="enc", cert=certificate(encryption), thumbprints=False),
    ]
    ctx = crafted_context({"keys": keys})
    assert default_key_source(ctx)[0] == "certificates"
    assert [c.kid for c in certificate_candidates(ctx)] == ["sig-1"]
