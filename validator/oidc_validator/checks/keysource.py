"""Key source advice: pinned certificates or the JWKS URL (the Qualys request accepts either)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta

from cryptography import x509

from oidc_validator.checks.base import CATALOGUE, jwks_keys
from oidc_validator.checks.certificates import leaf_certificates
from oidc_validator.crypto import certs
from oidc_validator.crypto.jwk import why_not_signing
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

AREA = "keysource"
NEAR_EXPIRY = timedelta(days=90)
AGE_SPREAD = timedelta(days=1)

MISSING = CATALOGUE.register(
    "signing_keys_missing",
    Severity.ERROR,
    AREA,
    "Neither a JWKS URL nor any certificate is available: the onboarding request needs one of them.",
    "Give --jwks-url (or --issuer, to find jwks_uri by discovery), or --cert FILE with --cert-kid KID=FILE.",
)
USE_JWKS_URL = CATALOGUE.register(
    "keysource_use_jwks_url",
    Severity.INFO,
    AREA,
    "The IdP shows signs of key rotation (several keys, keys of different ages, or a certificate near expiry): send the JWKS URL.",
    "Send the JWKS URL rather than certificates: Qualys polls it and follows rotation without a support ticket.",
)
PINNING_RISK = CATALOGUE.register(
    "keysource_pinning_rotation_risk",
    Severity.WARNING,
    AREA,
    "Certificates are being pinned although the IdP shows signs of key rotation: tokens will fail after the next rotation.",
    "Send the JWKS URL instead of certificates, or plan to re-send certificates to Support before every rotation.",
)


def _x5c_leaves(ctx: Context) -> list[x509.Certificate]:
    return [certs.load_der(der) for key in jwks_keys(ctx) or [] if (der := certs.x5c_leaf(key)) is not None]


def rotation_signs(ctx: Context) -> list[str]:
    """Observable hints that keys rotate: several signing keys, certificates of different ages, or one near expiry."""
    signs: list[str] = []
    signing = [k for k in jwks_keys(ctx) or [] if why_not_signing(k) is None and k.get("kty") != "oct"]
    if len(signing) > 1:
        signs.append(f"the JWKS publishes {len(signing)} signing keys")
    leaves = _x5c_leaves(ctx) + [c for _, c in leaf_certificates(ctx)]
    starts = [c.not_valid_before_utc for c in leaves]
    if starts and max(starts) - min(starts) > AGE_SPREAD:
        signs.append("the certificates were issued at different times")
    now = ctx.now if ctx.now.tzinfo else ctx.now.replace(tzinfo=UTC)
    if any(timedelta(0) <= c.not_valid_after_utc - now <= NEAR_EXPIRY for c in leaves):
        signs.append("a certificate expires within 90 days")
    return signs


def check_key_source(ctx: Context) -> Iterator[Finding]:
    """The request needs signing keys: up to 5 certificates paired with kids, or a JWKS URL (RFC 7517 section 5)."""
    has_url = bool(ctx.inputs.jwks_url or ctx.observations.jwks_url_used)
    if not has_url and not ctx.observations.certificates:
        yield MISSING.finding(
            "No JWKS URL and no certificate: there are no signing keys to send.", flags=["--jwks-url", "--issuer", "--cert"]
        )
        return
    signs = rotation_signs(ctx)
    if not signs:
        return
    if ctx.observations.certificates:
        yield PINNING_RISK.finding(
            "Certificates are pinned but " + "; ".join(signs) + ".", signs=signs, jwks_url=ctx.observations.jwks_url_used
        )
    else:
        yield USE_JWKS_URL.finding("Send the JWKS URL: " + "; ".join(signs) + ".", signs=signs, jwks_url=ctx.observations.jwks_url_used)
