"""Which signing-key source goes to Qualys (the JWKS URL or up to 5 certificates), and which certificates.

Qualys takes either a JWKS URL it polls, or at most 5 X.509 certificates each paired with the
kid it signs under. Pinned certificates break at the next rotation, so the JWKS URL is the
default whenever there are signs of rotation; certificates only when one stable key is in use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from oidc_validator.bundle.errors import BundleError
from oidc_validator.bundle.limits import MAX_CERTIFICATES, KeySourceName
from oidc_validator.bundle.material import jwks_key_list
from oidc_validator.checks.keysource import rotation_signs
from oidc_validator.crypto.certs import load_der, same_public_key, validity, x5c_leaf
from oidc_validator.crypto.jwk import why_not_signing
from oidc_validator.model.context import Context

JWKS_ORIGIN = "JWKS x5c"


@dataclass(frozen=True)
class Candidate:
    """A certificate that could be sent, already paired with its kid."""

    kid: str
    der: bytes
    origin: str  # "JWKS x5c" or "--cert <path>"
    jwk: Mapping[str, Any] | None  # the JWKS key with that kid, when there is one

    @property
    def certificate(self) -> x509.Certificate:
        return load_der(self.der)


@dataclass(frozen=True)
class BundledCertificate:
    candidate: Candidate
    use_for_oidc: bool


@dataclass(frozen=True)
class KeySource:
    name: KeySourceName
    reason: str
    jwks_url: str | None
    certificates: tuple[BundledCertificate, ...] = ()


def jwks_url_of(ctx: Context) -> str | None:
    return ctx.observations.jwks_url_used or ctx.inputs.jwks_url


def fetched_jwks(ctx: Context) -> Any:
    fetched = ctx.observations.jwks
    return fetched.json if fetched is not None and fetched.ok else None


def _pair_file_certificate(der: bytes, given_kid: str | None, keys: list[dict[str, Any]], origin: str) -> str:
    if given_kid:
        return given_kid
    certificate = load_der(der)
    matches = list(dict.fromkeys(str(k["kid"]) for k in keys if isinstance(k.get("kid"), str) and same_public_key(certificate, k)))
    if len(matches) == 1:
        return matches[0]
    subject = certificate.subject.rfc4514_string()
    if not matches:
        raise BundleError(
            f"the certificate {subject!r} from {origin} matches no key of the JWKS, so its kid is unknown; "
            "pair it with --cert-kid KID=FILE (Qualys needs every certificate with the kid it signs under)",
            code="unpaired_certificate",
        )
    raise BundleError(
        f"the certificate {subject!r} from {origin} matches several JWKS keys ({', '.join(matches)}); pair it with --cert-kid KID=FILE",
        code="unpaired_certificate",
    )


def certificate_candidates(ctx: Context) -> list[Candidate]:
    """Certificates paired with kids: the --cert files when given (what the user means to send), else each JWKS key's x5c leaf."""
    keys = jwks_key_list(fetched_jwks(ctx))
    by_kid = {str(k["kid"]): k for k in keys if isinstance(k.get("kid"), str)}
    candidates: list[Candidate] = []
    seen: set[tuple[str, bytes]] = set()
    files = [f for f in ctx.observations.certificates if f.error is None and f.der_certificates]
    if files:
        for cert_file in files:
            origin = f"--cert {cert_file.path}"
            for der in cert_file.der_certificates:
                kid = _pair_file_certificate(der, cert_file.kid, keys, origin)
                if (kid, der) not in seen:
                    seen.add((kid, der))
                    candidates.append(Candidate(kid, der, origin, by_kid.get(kid)))
        return candidates
    for key in keys:
        if why_not_signing(key) is not None:
            continue  # an encryption key's certificate (Keycloak publishes one per realm) never verifies a token
        key_kid, leaf = key.get("kid"), x5c_leaf(key)
        if isinstance(key_kid, str) and key_kid and leaf is not None and (key_kid, leaf) not in seen:
            seen.add((key_kid, leaf))
            candidates.append(Candidate(key_kid, leaf, JWKS_ORIGIN, key))
    return candidates


def default_key_source(ctx: Context) -> tuple[KeySourceName, str]:
    """The brief's rule: the JWKS URL when keys rotate or there are several, certificates otherwise.

    "Keys rotate" is judged by the same ``rotation_signs`` the key-source check reports, so the
    check's advice and the bundle's default never disagree.
    """
    url = jwks_url_of(ctx)
    has_files = any(f.der_certificates for f in ctx.observations.certificates)
    if url is None:
        if has_files:
            return "certificates", "no JWKS URL was given, so the certificates given with --cert are sent"
        raise BundleError(
            "there is no signing key material to send: give the JWKS URL (--jwks-url, or an issuer with discovery) or --cert files",
            code="no_key_material",
        )
    signs = rotation_signs(ctx)
    if signs:
        return "jwks_url", "signs of key rotation (" + "; ".join(signs) + "): Qualys polls the JWKS URL and follows rotation"
    candidates = certificate_candidates(ctx)
    if not candidates:
        return "jwks_url", "the JWKS publishes no certificate (x5c), so only the JWKS URL can be sent"
    for candidate in candidates:
        state = validity(candidate.certificate, ctx.now)
        if state != "valid":
            return "jwks_url", f"the certificate of kid {candidate.kid} is {state.replace('_', ' ')}: send the JWKS URL"
    if len(candidates) > 1:
        return "jwks_url", f"{len(candidates)} certificates are in use: send the JWKS URL so rotation needs no new ticket"
    return "certificates", "one stable signing key with a valid certificate: its certificate can be pinned"


def _too_many(candidates: Sequence[Candidate]) -> BundleError:
    listing = ", ".join(c.kid for c in candidates)
    return BundleError(
        f"{len(candidates)} certificates could be sent but Qualys accepts at most {MAX_CERTIFICATES}: "
        f"choose which go in with --use-kid KID (repeatable, at most {MAX_CERTIFICATES}) among: {listing}; "
        "or send the JWKS URL instead with --key-source jwks_url",
        code="too_many_certificates",
    )


def select_certificates(candidates: Sequence[Candidate], use_kids: Sequence[str]) -> tuple[BundledCertificate, ...]:
    """Up to 5 certificates. ``--use-kid`` chooses them when there are more, and marks which are for OIDC when there are not."""
    chosen = list(dict.fromkeys(use_kids))
    known = list(dict.fromkeys(c.kid for c in candidates))
    unknown = [k for k in chosen if k not in known]
    if unknown:
        raise BundleError(
            f"--use-kid {', '.join(unknown)}: no certificate has that kid; the kids with a certificate are: {', '.join(known) or 'none'}",
            code="unknown_kid",
        )
    if len(candidates) > MAX_CERTIFICATES:
        if not chosen:
            raise _too_many(candidates)
        picked = [c for c in candidates if c.kid in chosen]
        if len(picked) > MAX_CERTIFICATES:
            raise _too_many(picked)
        return tuple(BundledCertificate(c, True) for c in picked)
    return tuple(BundledCertificate(c, not chosen or c.kid in chosen) for c in candidates)


def choose_key_source(ctx: Context, requested: KeySourceName | None, use_kids: Sequence[str] = ()) -> KeySource:
    """The key source and, in certificate mode, the certificates; raises BundleError when it cannot be honoured."""
    url = jwks_url_of(ctx)
    if requested is None and use_kids:
        requested = "certificates"  # choosing certificates by kid only makes sense in certificate mode
    if requested is None:
        name, reason = default_key_source(ctx)
    else:
        name, reason = requested, "chosen with --key-source" if not use_kids else "certificates chosen with --use-kid"
    if name == "jwks_url":
        if use_kids:
            raise BundleError(
                "--use-kid chooses certificates; it cannot be combined with --key-source jwks_url", code="use_kid_without_certificates"
            )
        if url is None:
            raise BundleError("--key-source jwks_url needs the JWKS URL: give --jwks-url or an issuer with discovery", code="no_jwks_url")
        return KeySource("jwks_url", reason, url)
    candidates = certificate_candidates(ctx)
    if not candidates:
        raise BundleError(
            "certificate mode needs certificates, but the JWKS publishes no x5c certificate and no --cert file was given: "
            "use the JWKS URL (--key-source jwks_url), which Qualys polls for the keys",
            code="no_certificates_available",
        )
    return KeySource("certificates", reason, url, select_certificates(candidates, use_kids))
