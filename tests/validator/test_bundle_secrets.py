"""No secrets, ever: no private key, client secret, password or token signature in any file of a bundle."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from build import T0, certificate, crafted_claims, crafted_context, ec_key, public_jwk, rsa_key, sign
from bundling import LIVE, idp_context, unzip
from oidc_idp import RunningIdp
from oidc_validator.bundle.archive import zip_bytes
from oidc_validator.bundle.contents import BundleOptions, build_contents
from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.guard import secret_problems
from oidc_validator.bundle.limits import KeySourceName
from oidc_validator.bundle.sample import signature_segment
from oidc_validator.crypto.certs import read_certificate_material
from oidc_validator.model.context import CertificateFile, Context
from oidc_validator.model.findings import Finding, Severity

AFTER_EXPIRY = T0 + timedelta(hours=2)  # the IdP's tokens live one hour
MARKERS = (b"PRIVATE KEY", b"demo-secret", b"demo-password")


def _assert_clean(files: dict[str, bytes], ctx: Context, *, allowed: dict[str, str] | None = None) -> None:
    signatures = [signature_segment(t.raw) for t in ctx.inputs.tokens]
    assert all(len(s) > 100 for s in signatures)  # RS256 signatures: a real needle, not an empty string
    for name, data in files.items():
        for marker in MARKERS:
            assert marker not in data, f"{marker!r} in {name}"
        for signature in signatures:
            if (allowed or {}).get(name) != signature:
                assert signature.encode() not in data, f"a token signature in {name}"


@pytest.mark.parametrize("mode", ["certificates", "jwks_url"])
def test_no_file_of_a_bundle_holds_a_secret_or_a_token_signature(server: RunningIdp, mode: KeySourceName) -> None:
    ctx = idp_context(server, now=LIVE)
    harmless = Finding("token_typ", Severity.INFO, "token", "typ is at+jwt.", "Nothing to fix.", {"claims": ["iss", "sub"]})
    options = BundleOptions(key_source=mode, forbidden=("demo-secret", "demo-password"))
    files = unzip(zip_bytes(build_contents(ctx, [harmless], options), LIVE))
    _assert_clean(files, ctx)


def test_the_zip_itself_holds_no_secret_even_compressed_away(server: RunningIdp) -> None:
    ctx = idp_context(server, now=LIVE)
    data = zip_bytes(build_contents(ctx, []), LIVE)
    # Deflate could hide a string from a scan of the raw zip; the entries are scanned above, this guards stored entries.
    assert b"PRIVATE KEY" not in data and b"demo-secret" not in data


def test_jwks_json_keeps_public_members_only_even_when_the_idp_published_private_ones() -> None:
    rsa, ec = rsa_key(fresh=True), ec_key(fresh=True)
    jwks = {
        "keys": [
            public_jwk(rsa, "rsa-1", cert=certificate(rsa), thumbprints=False, private=True),
            public_jwk(ec, "ec-1", private=True),
            {"kty": "oct", "kid": "hmac-1", "k": "c2VjcmV0LXNoYXJlZC1rZXktYnl0ZXM"},
        ]
    }
    assert {"d", "p", "q", "dp", "dq", "qi"} <= set(jwks["keys"][0])
    ctx = crafted_context(jwks)
    files = build_contents(ctx, [], BundleOptions(key_source="jwks_url"))
    published = json.loads(files["jwks.json"])
    secret = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
    assert published["keys"] == [{m: v for m, v in key.items() if m not in secret} for key in jwks["keys"]]
    assert [sorted(set(k) & {"n", "e", "x", "y", "crv", "x5c"}) for k in published["keys"]] == [["e", "n", "x5c"], ["crv", "x", "y"], []]


def test_a_live_token_is_refused_with_include_token_because_it_is_a_credential(server: RunningIdp) -> None:
    ctx = idp_context(server, now=LIVE)
    with pytest.raises(BundleError) as caught:
        build_contents(ctx, [], BundleOptions(include_token=True))
    assert caught.value.code == "live_token_refused"
    assert "still valid (exp 2026-11-01T13:00:00+00:00)" in caught.value.message
    assert "a live token is a credential" in caught.value.message
    assert ctx.inputs.tokens[0].raw not in caught.value.message


def test_an_expired_token_is_included_whole_with_include_token_and_only_that_one(server: RunningIdp) -> None:
    ctx = idp_context(server, now=AFTER_EXPIRY)
    access = ctx.inputs.tokens[0].raw
    files = build_contents(ctx, [], BundleOptions(include_token=True))
    assert files["sample-token-expired.jwt"] == (access + "\n").encode()
    sample = json.loads(files["onboarding.json"])["sample_token"]
    assert (sample["expired"], sample["included_file"]) == (True, "sample-token-expired.jwt")
    assert "The whole (expired) token is in `sample-token-expired.jwt`." in files["REQUEST.md"].decode()
    _assert_clean(files, ctx, allowed={"sample-token-expired.jwt": signature_segment(access)})


def test_a_token_without_exp_is_refused_since_it_may_never_expire() -> None:
    key = rsa_key(fresh=True)
    claims = crafted_claims(exp=T0)
    del claims["exp"]
    ctx = crafted_context(
        {"keys": [public_jwk(key, "k1", cert=certificate(key), thumbprints=False)]}, tokens=(sign(claims, key, kid="k1", typ="JWT"),)
    )
    with pytest.raises(BundleError, match="no numeric exp claim") as caught:
        build_contents(ctx, [], BundleOptions(include_token=True))
    assert caught.value.code == "live_token_refused"


def test_include_token_without_any_sample_token_says_so() -> None:
    key = rsa_key(fresh=True)
    with pytest.raises(BundleError) as caught:
        build_contents(
            crafted_context({"keys": [public_jwk(key, "k1", cert=certificate(key), thumbprints=False)]}),
            [],
            BundleOptions(include_token=True),
        )
    assert caught.value.code == "no_sample_token"


def test_the_final_guard_refuses_a_bundle_whose_finding_leaked_a_token_signature(server: RunningIdp) -> None:
    ctx = idp_context(server, now=LIVE)
    leak = Finding("oops", Severity.INFO, "token", "bad evidence", "none", {"signature": signature_segment(ctx.inputs.tokens[1].raw)})
    with pytest.raises(BundleError) as caught:
        build_contents(ctx, [leak], BundleOptions())
    assert caught.value.code == "secret_in_bundle"
    assert "report.json contains a token signature" in caught.value.message
    assert signature_segment(ctx.inputs.tokens[1].raw) not in caught.value.message


def test_the_final_guard_refuses_a_private_key_or_a_forbidden_secret_anywhere(server: RunningIdp) -> None:
    ctx = idp_context(server, now=LIVE)
    pem = (
        rsa_key(fresh=True)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    leak = Finding("oops", Severity.WARNING, "x", f"key {pem}", "client secret was demo-secret")
    with pytest.raises(BundleError) as caught:
        build_contents(ctx, [leak], BundleOptions(forbidden=("demo-secret",)))
    message = caught.value.message
    assert "report.json contains a PEM private key" in message
    assert "report.txt contains a client secret or password" in message
    assert "demo-secret" not in message and "BEGIN" not in message


def test_the_guard_names_private_members_left_in_a_key_set() -> None:
    problems = secret_problems({"jwks.json": b'{"keys": [{"kty": "RSA", "n": "x", "e": "AQAB", "d": "secret"}]}'})
    # The message now says where (the scan walks the whole document, so a member name alone would not find it).
    assert problems == ["jwks.json contains private key members (d) at $.keys[0].d"]


def test_a_cert_file_that_also_held_a_private_key_contributes_only_its_certificate(tmp_path: Path) -> None:
    key = rsa_key(fresh=True)
    cert = certificate(key)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    material = read_certificate_material(pem + cert.public_bytes(serialization.Encoding.PEM))
    assert material.contains_private_key
    cert_file = CertificateFile(tmp_path / "both.pem", "k1", material.der_certificates, material.contains_private_key)
    ctx = crafted_context({"keys": [public_jwk(key, "k1")]}, certificates=(cert_file,))
    files = build_contents(ctx, [], BundleOptions(key_source="certificates"))
    assert files["certs/k1.pem"] == cert.public_bytes(serialization.Encoding.PEM)
    assert not [n for n, data in files.items() if b"PRIVATE KEY" in data]
