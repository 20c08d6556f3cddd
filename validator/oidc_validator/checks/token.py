"""Sample tokens: a strict compact JWS, an asymmetric alg, a kid found in the keys, a signature that verifies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from oidc_validator.checks.base import CATALOGUE, jwks_keys, parsed_tokens, short, token_label
from oidc_validator.checks.certificates import leaf_certificates
from oidc_validator.crypto.jose import (
    CompactJws,
    JoseError,
    is_asymmetric_alg,
    is_none_alg,
    is_symmetric_alg,
    key_fits,
    kids,
    select_keys,
    split_compact,
    verify_signature,
)
from oidc_validator.crypto.jwk import ASYMMETRIC_ALGS, public_jwk
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

AREA = "token"


_register = CATALOGUE.registrar(AREA)


NONE_GIVEN = _register(
    "token_none",
    Severity.INFO,
    "No sample token was checked, so signature, iss, aud and the External ID claim were not verified.",
    "Give a token with --token JWT, --token-file FILE (or --token - for stdin), or let the validator get one with "
    "--client-id (client_credentials) or --username (password grant).",
)
REQUEST_FAILED = _register(
    "token_request_failed",
    Severity.ERROR,
    "The validator could not obtain a token from the IdP's token endpoint.",
    "Check the client ID and secret (or username and password), that the client may use this grant, and the token endpoint.",
)
_PARSE = {
    "too_large": _register(
        "token_too_large",
        Severity.ERROR,
        "The token is over the 16 KiB size cap; it is not decoded.",
        "Pass the token itself (a compact JWS is usually under 4 KiB), not a file or response body around it.",
    ),
    "jwe": _register(
        "token_jwe",
        Severity.ERROR,
        "The token has 5 segments: it is an encrypted JWE, which Qualys cannot verify.",
        "Turn off token encryption for the Qualys client/API in the IdP so it issues signed (JWS) tokens.",
    ),
    "json_serialization": _register(
        "token_json_serialization",
        Severity.ERROR,
        "The token is a JWS JSON serialisation; a bearer token is the compact form.",
        "Pass the compact token (header.payload.signature), e.g. the access_token value of the token response.",
    ),
    "segments": _register(
        "token_segment_count",
        Severity.ERROR,
        "The token does not have exactly 3 dot-separated segments (RFC 7515 section 7.1).",
        "Pass the whole token, unmodified: header.payload.signature (check for truncation when copying).",
    ),
    "base64url": _register(
        "token_bad_base64url",
        Severity.ERROR,
        "A token segment is not strict base64url without padding (RFC 7515 section 2).",
        "Pass the token unmodified: no quotes, spaces, line breaks or '=' padding.",
    ),
    "json": _register(
        "token_bad_json",
        Severity.ERROR,
        "The token's header or payload is not a JSON object (RFC 7519 section 7.2).",
        "Pass a JWT issued by the IdP; this is not one (opaque tokens cannot be used with Qualys).",
    ),
    "duplicate_member": _register(
        "token_duplicate_member",
        Severity.ERROR,
        "The token's header or payload has a duplicate member (RFC 7515 section 5.2, "
        "RFC 8725 section 3.9): verifiers may read different values.",
        "Fix the IdP's token customisation so each claim appears once.",
    ),
}
_PARSE["not_object"] = _PARSE["json"]
ALG_NONE = _register(
    "token_alg_none",
    Severity.ERROR,
    "The token is unsigned (alg none, RFC 8725 section 3.1).",
    "Configure the IdP to sign tokens with an asymmetric algorithm (RS256, PS256, ES256, EdDSA).",
)
ALG_SYMMETRIC = _register(
    "token_alg_symmetric",
    Severity.ERROR,
    "The token is signed with HS* (a shared secret): Qualys verifies only public keys.",
    "Configure the IdP to sign this client's tokens with an asymmetric key (RS256, ES256...).",
)
ALG_UNSUPPORTED = _register(
    "token_alg_unsupported",
    Severity.ERROR,
    "The token's alg is missing or not an asymmetric JWS algorithm (RS*, PS*, ES*, EdDSA).",
    "Configure the IdP to sign with RS256/384/512, PS256/384/512, ES256/384/512 or EdDSA.",
)
CRIT = _register(
    "token_crit",
    Severity.ERROR,
    "The token header has crit (RFC 7515 section 4.1.11): extensions a verifier must understand or reject.",
    "Configure the IdP not to use critical header extensions for these tokens.",
)
HEADER_URL = _register(
    "token_header_key_reference_ignored",
    Severity.WARNING,
    "The token header carries jku, x5u, x5c or jwk: verifiers ignore them and never fetch them (RFC 8725 section 3.10).",
    "Nothing Qualys uses; keys come only from the onboarded JWKS URL or certificates.",
)
KID_MISSING = _register(
    "token_kid_missing",
    Severity.ERROR,
    "The token header has no kid, so the key cannot be selected or paired with a certificate.",
    "Configure the IdP to put the signing key's kid in the token header.",
)
KID_UNKNOWN = _register(
    "token_kid_unknown",
    Severity.ERROR,
    "The token's kid is not among the known keys (JWKS or --cert-kid pairings).",
    "Sign with a published key, or publish/pair the key this kid names (the evidence lists the kids that exist).",
)
KEY_UNUSABLE = _register(
    "token_key_unusable",
    Severity.ERROR,
    "A key with the token's kid exists but does not fit the token's alg (kty, crv, alg or use).",
    "Make the key's kty/crv/alg/use agree with the algorithm the IdP signs with.",
)
KEY_AMBIGUOUS = _register(
    "token_key_ambiguous",
    Severity.ERROR,
    "More than one key fits the token's kid and alg, so the key is ambiguous.",
    "Give every key a distinct kid.",
)
SIGNATURE_INVALID = _register(
    "token_signature_invalid",
    Severity.ERROR,
    "The token's signature does not verify with the key its kid names.",
    "Check that the JWKS/certificate is the one the IdP signs with now (stale pinned certificate, wrong tenant or environment).",
)
SIGNATURE_VERIFIED = _register(
    "token_signature_verified", Severity.INFO, "The token's signature verifies with the key its kid names.", "Nothing to fix."
)
SIGNATURE_UNVERIFIABLE = _register(
    "token_signature_unverifiable",
    Severity.WARNING,
    "No keys were available, so the signature was not checked.",
    "Give --jwks-url or --issuer (or --cert with --cert-kid) so the signature can be verified.",
)
TYP = _register("token_typ", Severity.INFO, "The token's typ header (at+jwt for RFC 9068 access tokens, JWT otherwise).", "Nothing to fix.")

_HEADER_KEY_REFERENCES = ("jku", "x5u", "x5c", "jwk")


def check_tokens_given(ctx: Context) -> Iterator[Finding]:
    """Without a sample token nothing of RFC 7519/9068 can be checked; a failed grant is an error of its own."""
    for failure in ctx.observations.token_failures:
        yield REQUEST_FAILED.finding(f"The {failure.grant} request failed: {failure.detail}", grant=failure.grant, detail=failure.detail)
    if not ctx.inputs.tokens and not ctx.observations.token_failures:
        yield NONE_GIVEN.finding("No sample token was given.", flags=["--token", "--token-file", "--client-id", "--username"])


def check_token_form(ctx: Context) -> Iterator[Finding]:
    """RFC 7515 section 7.1 and RFC 8725 sections 3.1/3.9: a strict compact JWS with an asymmetric alg and no crit."""
    for token in ctx.inputs.tokens:
        label = token_label(token)
        try:
            jws = split_compact(token.raw)
        except JoseError as exc:
            yield _PARSE.get(exc.code, _PARSE["json"]).finding(f"The {label} is not a usable JWT: {exc}.", token=label, kind=exc.code)
            continue
        alg = jws.header.get("alg")
        if is_none_alg(alg):
            yield ALG_NONE.finding(f"The {label} has alg {alg!r}: it is not signed.", token=label, alg=alg)
        elif is_symmetric_alg(alg):
            yield ALG_SYMMETRIC.finding(f"The {label} is signed with {alg}.", token=label, alg=alg)
        elif not is_asymmetric_alg(alg):
            yield ALG_UNSUPPORTED.finding(
                f"The {label} has alg {short(alg)!r}.", token=label, alg=short(alg), supported=sorted(ASYMMETRIC_ALGS)
            )
        if "crit" in jws.header:
            yield CRIT.finding(f"The {label} header has crit {short(jws.header['crit'])!r}.", token=label, crit=short(jws.header["crit"]))
        present = [h for h in _HEADER_KEY_REFERENCES if h in jws.header]
        if present:
            yield HEADER_URL.finding(f"The {label} header has {present}: ignored, never fetched.", token=label, headers=present)
        typ = jws.header.get("typ")
        # An absent typ is common and allowed (RFC 7515 section 4.1.9 makes it OPTIONAL): say so, not "typ None".
        said = f"has typ {short(typ)!r}" if "typ" in jws.header else "has no typ"
        yield TYP.finding(f"The {label} header {said}.", token=label, typ=short(typ))


def _keys_from_certificates(ctx: Context) -> list[dict[str, Any]]:
    """Certificates paired by --cert-kid act as keys when no JWKS is available (the pinned-certificate onboarding)."""
    keys: list[dict[str, Any]] = []
    for item, certificate in leaf_certificates(ctx):
        if item.kid is None:
            continue
        jwk = public_jwk(certificate.public_key())
        if jwk is None:
            continue
        keys.append({**jwk, "kid": item.kid})
    return keys


def _verify(label: str, jws: CompactJws, keys: list[dict[str, Any]], source: str) -> Iterator[Finding]:
    """RFC 7515 section 5.2 and RFC 8725 section 3.1: verify with exactly the key kid names, under the header's alg."""
    kid, alg = jws.header.get("kid"), jws.header.get("alg")
    if not isinstance(kid, str) or not kid:
        yield KID_MISSING.finding(f"The {label} has no kid in its header.", token=label, known_kids=kids(keys))
        return
    if not is_asymmetric_alg(alg):
        return
    named = [k for k in keys if k.get("kid") == kid]
    if not named:
        yield KID_UNKNOWN.finding(
            f"The kid {kid!r} of the {label} is not in the {source} (kids there: {kids(keys)}).",
            token=label,
            kid=kid,
            known_kids=kids(keys),
            key_source=source,
        )
        return
    fitting = select_keys(keys, kid, alg)
    if not fitting:
        reasons = [r for k in named for r in key_fits(k, alg)]
        yield KEY_UNUSABLE.finding(
            f"The key {kid!r} does not fit {alg}: {'; '.join(reasons)}.", token=label, kid=kid, alg=alg, reasons=reasons
        )
        return
    if len(fitting) > 1:
        yield KEY_AMBIGUOUS.finding(
            f"{len(fitting)} keys in the {source} fit kid {kid!r} and {alg}.", token=label, kid=kid, count=len(fitting)
        )
        return
    try:
        valid = verify_signature(jws, fitting[0], alg)
    except ValueError as exc:
        yield KEY_UNUSABLE.finding(f"The key {kid!r} cannot be used: {exc}.", token=label, kid=kid, alg=alg, reasons=[str(exc)[:200]])
        return
    if valid:
        yield SIGNATURE_VERIFIED.finding(
            f"The signature of the {label} verifies with key {kid!r} ({alg}).", token=label, kid=kid, alg=alg, key_source=source
        )
    else:
        yield SIGNATURE_INVALID.finding(
            f"The signature of the {label} does not verify with key {kid!r} ({alg}).", token=label, kid=kid, alg=alg, key_source=source
        )


def check_token_signature(ctx: Context) -> Iterator[Finding]:
    """RFC 7515 section 4.1.4 / 5.2: the kid selects one key from the onboarded keys, and the signature verifies with it."""
    keys, source = jwks_keys(ctx), "JWKS"
    if keys is None:
        keys, source = _keys_from_certificates(ctx), "--cert-kid certificates"
    for token, jws in parsed_tokens(ctx):
        label = token_label(token)
        if not keys:
            if not isinstance(jws.header.get("kid"), str) or not jws.header.get("kid"):
                yield KID_MISSING.finding(f"The {label} has no kid in its header.", token=label, known_kids=[])
            yield SIGNATURE_UNVERIFIABLE.finding(f"No keys are available to verify the {label}.", token=label)
            continue
        yield from _verify(label, jws, keys, source)
