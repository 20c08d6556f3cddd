"""Certificates given with --cert: readable, public only, at most 5, each paired with a proven kid, valid now."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from cryptography import x509

from oidc_validator.checks.base import CATALOGUE, jwks_keys
from oidc_validator.crypto import certs
from oidc_validator.crypto.jose import kids
from oidc_validator.crypto.jwk import why_not_signing
from oidc_validator.model.context import CertificateFile, Context
from oidc_validator.model.findings import Finding, Severity

AREA = "certificates"
MAX_CERTIFICATES = 5

EXPIRED = CATALOGUE.register(
    "certificate_expired",
    Severity.ERROR,
    AREA,
    "A certificate (a --cert file or a JWKS x5c) is past its notAfter (RFC 5280 section 4.1.2.5).",
    "Issue a new signing certificate (rotate the key) and publish it; send the new certificate or, better, the JWKS URL.",
)
EXPIRING = CATALOGUE.register(
    "certificate_expiring",
    Severity.WARNING,
    AREA,
    "A certificate expires within 30 days.",
    "Plan the rotation now; pinned certificates must be re-sent to Support, a JWKS URL follows rotation by itself.",
)
NOT_YET_VALID = CATALOGUE.register(
    "certificate_not_yet_valid",
    Severity.ERROR,
    AREA,
    "A certificate's notBefore is in the future (RFC 5280 section 4.1.2.5): wrong clock or a certificate issued too early.",
    "Check the signing host's clock, or wait until the certificate is valid before sending it.",
)
UNREADABLE = CATALOGUE.register(
    "cert_file_unreadable",
    Severity.ERROR,
    AREA,
    "A --cert file could not be used: unreadable, not PEM or DER, or truncated.",
    "Export the signing certificate again as PEM (-----BEGIN CERTIFICATE-----) or DER (.cer) and pass that file.",
)
PRIVATE_KEY = CATALOGUE.register(
    "cert_file_private_key",
    Severity.ERROR,
    AREA,
    "A --cert file contains a private key. Its content is not shown.",
    "Never send a private key to anyone, Support included: export only the certificate. If the file was shared, rotate that key.",
)
NO_CERTIFICATE = CATALOGUE.register(
    "cert_file_no_certificate",
    Severity.ERROR,
    AREA,
    "A --cert file holds no certificate.",
    "Pass the signing certificate itself (PEM or DER), not a key or a CSR.",
)
SEVERAL = CATALOGUE.register(
    "cert_file_several_certificates",
    Severity.WARNING,
    AREA,
    "A --cert file holds several certificates (a chain?); only the first is treated as the signing certificate.",
    "Send one signing certificate per file, each paired with its kid.",
)
TOO_MANY = CATALOGUE.register(
    "certificates_too_many",
    Severity.ERROR,
    AREA,
    "More than 5 certificates were given; the onboarding accepts at most 5.",
    "Send only the certificates of keys in use, or send the JWKS URL instead.",
)
KID_UNKNOWN = CATALOGUE.register(
    "cert_kid_unknown",
    Severity.ERROR,
    AREA,
    "The kid a certificate is paired with (--cert-kid) is not in the JWKS.",
    "Pair the certificate with the kid the IdP signs under (see the JWKS and the token header).",
)
KID_MISMATCH = CATALOGUE.register(
    "cert_kid_key_mismatch",
    Severity.ERROR,
    AREA,
    "The certificate's public key is not the public key of the kid it is paired with.",
    "Pair the certificate with the kid whose key it certifies (the evidence names it when one matches), or export the right certificate.",
)
KID_DUPLICATE = CATALOGUE.register(
    "cert_kid_duplicate",
    Severity.ERROR,
    AREA,
    "Two certificates are paired with the same kid.",
    "Pair each kid with exactly one certificate.",
)
NO_MATCH = CATALOGUE.register(
    "cert_matches_no_jwk",
    Severity.ERROR,
    AREA,
    "The certificate's public key matches no key in the JWKS, so tokens are never signed with it.",
    "Export the certificate of a key the IdP actually signs with (compare with the JWKS), or drop this file.",
)
UNPAIRED = CATALOGUE.register(
    "cert_unpaired",
    Severity.ERROR,
    AREA,
    "A certificate has no kid: none was given with --cert-kid and no JWKS was available to match it.",
    "Give --cert-kid KID=FILE for each certificate (the kid from the token header), or let the validator fetch the JWKS.",
)
PAIRING_UNPROVEN = CATALOGUE.register(
    "cert_pairing_unproven",
    Severity.WARNING,
    AREA,
    "A certificate is paired with a kid, but no JWKS was available to prove the pairing.",
    "Give --issuer or --jwks-url so the pairing can be checked against the published keys.",
)
PAIRED = CATALOGUE.register(
    "cert_paired",
    Severity.INFO,
    AREA,
    "A certificate is paired with a kid and its public key is that kid's key.",
    "Nothing to fix; send this certificate with this kid.",
)
JWK_WITHOUT_CERT = CATALOGUE.register(
    "jwk_without_certificate",
    Severity.WARNING,
    AREA,
    "A key in the JWKS has no certificate among the --cert files: tokens signed with it would be rejected.",
    "Send a certificate for every kid in use, or send the JWKS URL instead of certificates.",
)


def validity_findings(certificate: x509.Certificate, now: datetime, **where: Any) -> Iterator[Finding]:
    """RFC 5280 section 4.1.2.5 validity at ``now``; ``where`` says which certificate (file or kid)."""
    state = certs.validity(certificate, now)
    facts = {**where, **certs.describe(certificate), "now": now.isoformat()}
    label = " ".join(f"{k.replace('_', ' ')} {v!r}" if k != "file" else str(v) for k, v in where.items())
    if state == "expired":
        yield EXPIRED.finding(f"The certificate of {label} expired on {facts['not_after']}.", **facts)
    elif state == "not_yet_valid":
        yield NOT_YET_VALID.finding(f"The certificate of {label} is not valid before {facts['not_before']}.", **facts)
    elif state == "expiring":
        yield EXPIRING.finding(f"The certificate of {label} expires on {facts['not_after']}, within 30 days.", **facts)


def leaf_certificates(ctx: Context) -> list[tuple[CertificateFile, x509.Certificate]]:
    """The first certificate of every usable --cert file."""
    result = []
    for item in ctx.observations.certificates:
        if item.error is None and item.der_certificates:
            try:
                result.append((item, certs.load_der(item.der_certificates[0])))
            except certs.CertificateError:
                continue
    return result


def check_certificate_files(ctx: Context) -> Iterator[Finding]:
    """RFC 5280 section 4 / RFC 7468: each file is one parsable X.509 certificate and nothing secret."""
    for item in ctx.observations.certificates:
        file = str(item.path)
        if item.contains_private_key:
            yield PRIVATE_KEY.finding(f"{file} contains a private key (not shown). Never send it.", file=file)
        if item.error is not None:
            yield UNREADABLE.finding(f"{file}: {item.error}.", file=file, detail=item.error)
        elif not item.der_certificates:
            yield NO_CERTIFICATE.finding(f"{file} holds no certificate.", file=file)
        else:
            try:
                certs.load_der(item.der_certificates[0])
            except certs.CertificateError:
                yield UNREADABLE.finding(f"{file}: not an X.509 certificate (or truncated).", file=file, detail="DER does not parse")
                continue
            if len(item.der_certificates) > 1:
                yield SEVERAL.finding(
                    f"{file} holds {len(item.der_certificates)} certificates.", file=file, count=len(item.der_certificates)
                )
    if len(ctx.observations.certificates) > MAX_CERTIFICATES:
        count = len(ctx.observations.certificates)
        yield TOO_MANY.finding(
            f"{count} certificates were given; at most {MAX_CERTIFICATES} are accepted.", count=count, maximum=MAX_CERTIFICATES
        )


def check_certificate_validity(ctx: Context) -> Iterator[Finding]:
    """RFC 5280 section 4.1.2.5: every certificate sent must be valid now and not about to expire."""
    for item, certificate in leaf_certificates(ctx):
        yield from validity_findings(certificate, ctx.now, file=str(item.path))


def check_certificate_pairing(ctx: Context) -> Iterator[Finding]:
    """RFC 7517 section 4.5/4.7: a certificate is paired with the kid whose public key it certifies."""
    keys = jwks_keys(ctx)
    paired_kids: dict[str, str] = {}
    for item, certificate in leaf_certificates(ctx):
        file = str(item.path)
        matching = [k.get("kid") for k in keys or [] if certs.same_public_key(certificate, k)]
        if item.kid is not None:
            if item.kid in paired_kids:
                yield KID_DUPLICATE.finding(
                    f"{file} and {paired_kids[item.kid]} are both paired with kid {item.kid!r}.",
                    kid=item.kid,
                    files=[paired_kids[item.kid], file],
                )
            paired_kids.setdefault(item.kid, file)
            if keys is None:
                yield PAIRING_UNPROVEN.finding(
                    f"{file} is paired with kid {item.kid!r}, but no JWKS was available to prove it.", file=file, kid=item.kid
                )
            elif item.kid not in kids(keys):
                yield KID_UNKNOWN.finding(
                    f"{file} is paired with kid {item.kid!r}, which is not in the JWKS (kids there: {kids(keys)}).",
                    file=file,
                    kid=item.kid,
                    jwks_kids=kids(keys),
                    matching_kids=matching,
                )
            elif item.kid not in matching:
                hint = f" It matches kid {matching[0]!r}." if matching else " It matches no key in the JWKS."
                yield KID_MISMATCH.finding(
                    f"The public key of {file} is not the key of kid {item.kid!r}.{hint}", file=file, kid=item.kid, matching_kids=matching
                )
            else:
                yield PAIRED.finding(f"{file} certifies kid {item.kid!r}.", file=file, kid=item.kid, how="--cert-kid, proven by key")
        elif keys is None:
            yield UNPAIRED.finding(f"{file} has no --cert-kid and no JWKS was available to find its kid.", file=file, flag="--cert-kid")
        elif not matching:
            yield NO_MATCH.finding(
                f"The public key of {file} matches no key in the JWKS (kids there: {kids(keys)}).", file=file, jwks_kids=kids(keys)
            )
        else:
            for kid in matching:
                if isinstance(kid, str):
                    paired_kids.setdefault(kid, file)
            yield PAIRED.finding(
                f"{file} certifies kid {matching[0]!r} (matched by public key).", file=file, kid=matching[0], how="public key"
            )


def check_jwks_keys_have_certificates(ctx: Context) -> Iterator[Finding]:
    """When pinning certificates, every kid the IdP signs with needs one (RFC 7515 section 4.1.4)."""
    keys, leaves = jwks_keys(ctx), leaf_certificates(ctx)
    if not leaves or not keys:
        return
    for key in keys:
        kid = key.get("kid")
        if why_not_signing(key) is not None or not isinstance(kid, str):
            continue
        if not any(certs.same_public_key(certificate, key) for _, certificate in leaves):
            yield JWK_WITHOUT_CERT.finding(f"JWKS key {kid!r} has no certificate among the --cert files.", kid=kid)
