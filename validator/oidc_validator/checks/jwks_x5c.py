"""JWKS certificates: each x5c leaf certifies its JWK, its thumbprints match, and it is valid when it matters.

Only keys a verifier could choose are checked (``why_not_signing``): a certificate on an encryption key
certifies nothing Qualys uses.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from oidc_validator.checks.base import CATALOGUE, jwks_keys, key_where, sample_token_kids
from oidc_validator.checks.certificates import leaf_certificates, validity_findings
from oidc_validator.crypto import certs
from oidc_validator.crypto.jose import JoseError, b64url_decode
from oidc_validator.crypto.jwk import why_not_signing
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

AREA = "jwks"

_register = CATALOGUE.registrar(AREA)

X5C_INVALID = _register(
    "jwk_x5c_invalid",
    Severity.ERROR,
    "A JWK's x5c is not a list of base64 (not base64url) DER certificates (RFC 7517 section 4.7).",
    "Publish x5c as an array of standard-base64 DER certificates, leaf first.",
)
X5C_KEY_MISMATCH = _register(
    "jwk_x5c_key_mismatch",
    Severity.ERROR,
    "The x5c leaf certificate's public key is not the JWK's key (RFC 7517 section 4.7).",
    "Publish the certificate that belongs to this key; a pinned certificate taken from here would not verify tokens.",
)
# Thumbprints are hints for choosing a certificate (RFC 7517 sections 4.8-4.9); Qualys selects keys by kid and
# compares public keys, never thumbprints, so a wrong one misleads other clients but cannot fail onboarding.
X5T_MISMATCH = _register(
    "jwk_x5t_mismatch",
    Severity.WARNING,
    "x5t is not the SHA-1 thumbprint of the x5c leaf in any known encoding (RFC 7517 section 4.8). Qualys never uses x5t.",
    "Recompute x5t from the leaf certificate, or drop it.",
)
X5T_HEX = _register(
    "jwk_x5t_hex_encoded",
    Severity.INFO,
    "x5t (or x5t#S256) is the base64url of the thumbprint's hexadecimal text instead of the digest's bytes (RFC 7517 section 4.8): "
    "the right thumbprint in a legacy encoding, as older Auth0 tenants publish it. Qualys never uses it.",
    "Nothing to fix for Qualys; strict JOSE libraries may ignore this x5t.",
)
X5T_S256_MISMATCH = _register(
    "jwk_x5t_s256_mismatch",
    Severity.WARNING,
    "x5t#S256 is not the SHA-256 thumbprint of the x5c leaf in any known encoding (RFC 7517 section 4.9). Qualys never uses it.",
    "Recompute x5t#S256 from the leaf certificate, or drop it.",
)
NO_X5C = _register(
    "jwks_no_x5c",
    Severity.WARNING,
    "No key in the JWKS has an x5c certificate (Okta-style), so no certificate can be sent.",
    "Send the JWKS URL in the onboarding request (give --jwks-url to check exactly that); certificates cannot be pinned.",
)
NO_X5C_URL_GIVEN = _register(
    "jwks_no_x5c_url_given",
    Severity.INFO,
    "The JWKS has no x5c certificates; fine, since the JWKS URL is being sent.",
    "Nothing to fix; keep sending the JWKS URL.",
)


X5C_NOT_CURRENT = _register(
    "jwk_x5c_expired_unpinned",
    Severity.WARNING,
    "A JWKS key's x5c certificate is expired or not yet valid, but certificate dates do not decide verification here: the key "
    "source is the JWKS URL (no certificate is pinned) and no sample token is signed by that key (RFC 7517 section 4.7). "
    "It becomes certificate_expired / certificate_not_yet_valid when that certificate is pinned or its key signs the sample token.",
    "Remove the retired key from the JWKS (or publish a current certificate for it); never pin this certificate.",
)


def _hex_form(value: object, digest: bytes) -> bool:
    """Whether ``value`` is base64url of the digest's hex text (either case), the legacy form of RFC 7517 section 4.8's x5t."""
    if not isinstance(value, str):
        return False
    try:
        text = b64url_decode(value)
    except JoseError:
        return False
    return text.lower() == digest.hex().encode()


def _pinned(ctx: Context, key: Mapping[str, Any]) -> bool:
    """Whether a --cert file pins this key's certificate (certificate mode): then its dates decide verification."""
    return any(certs.same_public_key(certificate, key) for _, certificate in leaf_certificates(ctx))


def _x5c_findings(ctx: Context, index: int, key: Mapping[str, Any]) -> Iterator[Finding]:
    """RFC 7517 sections 4.7-4.9: x5c leaf holds the JWK's key; x5t/x5t#S256 are its thumbprints; it is valid now."""
    where = key_where(index, key)
    label = f"JWKS key {where.get('kid', index)!r}"
    chain = key["x5c"]
    try:
        if not isinstance(chain, list) or not chain or not all(isinstance(c, str) for c in chain):
            raise ValueError("x5c must be a non-empty array of strings")
        der = base64.b64decode(chain[0], validate=True)
        leaf = certs.load_der(der)
    except (binascii.Error, ValueError) as exc:
        yield X5C_INVALID.finding(f"{label}: x5c is unusable ({str(exc)[:120]}).", **where)
        return
    if not certs.same_public_key(leaf, key):
        yield X5C_KEY_MISMATCH.finding(f"{label}: the x5c leaf certifies a different public key.", **where, **certs.describe(leaf))
    thumbprints: tuple[tuple[str, Callable[[bytes], str], Any, Any], ...] = (
        ("x5t", certs.x5t, hashlib.sha1(der, usedforsecurity=False).digest(), X5T_MISMATCH),
        ("x5t#S256", certs.x5t_s256, hashlib.sha256(der).digest(), X5T_S256_MISMATCH),
    )
    for member, compute, digest, code in thumbprints:
        expected = compute(der)
        if member not in key or key[member] == expected:
            continue
        if _hex_form(key[member], digest):
            yield X5T_HEX.finding(
                f"{label}: {member} is base64url of the hex thumbprint {digest.hex().upper()} (legacy encoding; the right certificate).",
                member=member,
                actual=key[member],
                hex_thumbprint=digest.hex(),
                **where,
            )
        else:
            yield code.finding(
                f"{label}: {member} does not match the x5c leaf.", member=member, expected=expected, actual=key[member], **where
            )
    decisive = _pinned(ctx, key) or where.get("kid") in sample_token_kids(ctx)
    for finding in validity_findings(leaf, ctx.now, jwks_key=where.get("kid", index)):
        if decisive or finding.code not in ("certificate_expired", "certificate_not_yet_valid"):
            yield finding
        else:
            # With the JWKS URL as key source the verifier uses the JWK's key; the certificate's dates matter only
            # once it is pinned or its key signs (then the error above stands).
            yield X5C_NOT_CURRENT.finding(
                finding.message + " Its key is not pinned and signs no sample token, so this does not stop verification.",
                state=finding.code,
                **finding.evidence,
            )


def check_certificates_in_jwks(ctx: Context) -> Iterator[Finding]:
    """RFC 7517 section 4.7: x5c is how certificates for pinning come out of a JWKS; without any, only the JWKS URL can be sent."""
    keys = jwks_keys(ctx)
    if not keys:
        return
    for index, key in enumerate(keys):
        if "x5c" in key and why_not_signing(key) is None:
            yield from _x5c_findings(ctx, index, key)
    if not any("x5c" in k for k in keys):
        if ctx.inputs.jwks_url:
            yield NO_X5C_URL_GIVEN.finding("The JWKS has no x5c; the JWKS URL is being sent, which is right.", jwks_url=ctx.inputs.jwks_url)
        else:
            yield NO_X5C.finding(
                "No key in the JWKS has x5c: no certificate can be sent, so the JWKS URL must be used.",
                jwks_url=ctx.observations.jwks_url_used,
                flag="--jwks-url",
            )
