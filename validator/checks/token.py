"""Sample tokens: a strict compact JWS, asymmetric alg, a kid found in the keys, a valid signature, sane claims."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from ..findings import Finding, Severity
from ..jose import (
    ASYMMETRIC_ALGS,
    CompactJws,
    JoseError,
    is_none_alg,
    is_symmetric_alg,
    key_fits,
    kids,
    select_keys,
    split_compact,
    verify_signature,
)
from ..model import Context
from .base import CATALOGUE, jwks_keys, parsed_tokens, short, token_label
from .certificates import leaf_certificates

AREA = "token"
SKEW_SECONDS = 60
MILLISECONDS_THRESHOLD = 10**11  # year 5138 in seconds; any larger NumericDate is almost surely milliseconds


def _register(code: str, severity: Severity, meaning: str, fix: str) -> Any:
    return CATALOGUE.register(code, severity, AREA, meaning, fix)


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
AUDIENCE_MISSING = _register(
    "audience_missing",
    Severity.ERROR,
    "No audience was given and none could be read from a sample token.",
    "Give --audience with the value of the tokens' aud claim (repeatable).",
)
AUDIENCE_FROM_TOKEN = _register(
    "audience_from_token",
    Severity.INFO,
    "No --audience was given; the audience is read from the sample token, as Support would.",
    "Give --audience to check the value you will send.",
)
AUD_MISSING = _register(
    "token_aud_missing",
    Severity.ERROR,
    "The token has no aud claim; Qualys checks the audience.",
    "Configure the IdP to issue tokens for the Qualys API audience (RFC 9068 section 2.2 requires aud).",
)
AUD_INVALID = _register(
    "token_aud_invalid",
    Severity.ERROR,
    "The token's aud is neither a string nor an array of strings (RFC 7519 section 4.1.3).",
    "Fix the IdP's audience setting.",
)
AUD_MISMATCH = _register(
    "token_aud_mismatch",
    Severity.ERROR,
    "The token's aud does not contain any configured audience.",
    "Send the audience exactly as the token's aud states it, or request tokens for the audience you configured.",
)
AUD_SEVERAL = _register(
    "token_aud_several",
    Severity.WARNING,
    "The token has several audiences; the onboarding names one, and some verifiers reject multi-audience tokens.",
    "Prefer a token issued for the Qualys API alone; send the audience Qualys should check.",
)
EXP_MISSING = _register(
    "token_exp_missing",
    Severity.ERROR,
    "The token has no exp (required by RFC 9068 section 2.2 and OIDC Core section 2).",
    "Configure the IdP to issue expiring tokens.",
)
EXPIRED = _register(
    "token_expired",
    Severity.WARNING,
    "The token has expired: its values still serve the onboarding check, but it cannot call Qualys APIs.",
    "Get a fresh token for API calls (never paste a live token into a support ticket).",
)
DATE_MILLISECONDS = _register(
    "token_date_milliseconds",
    Severity.ERROR,
    "A date claim is in milliseconds; NumericDate is seconds (RFC 7519 section 2).",
    "Fix the IdP's token customisation to write seconds since the epoch.",
)
DATE_TYPE = _register(
    "token_date_type",
    Severity.ERROR,
    "A date claim (exp, iat, nbf) is not an integer NumericDate (a string, boolean or fraction).",
    "Fix the IdP's token customisation to write integer seconds since the epoch (RFC 7519 section 2).",
)
IAT_FUTURE = _register(
    "token_iat_future",
    Severity.ERROR,
    "The token was issued in the future (iat beyond 60 s of skew): the IdP's clock is wrong.",
    "Synchronise the IdP's clock (NTP); check --now if you set it.",
)
NBF_FUTURE = _register(
    "token_nbf_future",
    Severity.WARNING,
    "The token is not valid yet (nbf in the future, RFC 7519 section 4.1.5).",
    "Wait until nbf, or check the IdP's clock.",
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
            yield _PARSE.get(exc.kind, _PARSE["json"]).finding(f"The {label} is not a usable JWT: {exc}.", token=label, kind=exc.kind)
            continue
        alg = jws.header.get("alg")
        if is_none_alg(alg):
            yield ALG_NONE.finding(f"The {label} has alg {alg!r}: it is not signed.", token=label, alg=alg)
        elif is_symmetric_alg(alg):
            yield ALG_SYMMETRIC.finding(f"The {label} is signed with {alg}.", token=label, alg=alg)
        elif alg not in ASYMMETRIC_ALGS:
            yield ALG_UNSUPPORTED.finding(
                f"The {label} has alg {short(alg)!r}.", token=label, alg=short(alg), supported=sorted(ASYMMETRIC_ALGS)
            )
        if "crit" in jws.header:
            yield CRIT.finding(f"The {label} header has crit {short(jws.header['crit'])!r}.", token=label, crit=short(jws.header["crit"]))
        present = [h for h in _HEADER_KEY_REFERENCES if h in jws.header]
        if present:
            yield HEADER_URL.finding(f"The {label} header has {present}: ignored, never fetched.", token=label, headers=present)
        typ = jws.header.get("typ")
        yield TYP.finding(f"The {label} has typ {typ!r}.", token=label, typ=short(typ))


def _keys_from_certificates(ctx: Context) -> list[dict[str, Any]]:
    """Certificates paired by --cert-kid act as keys when no JWKS is available (the pinned-certificate onboarding)."""
    keys: list[dict[str, Any]] = []
    for item, certificate in leaf_certificates(ctx):
        if item.kid is None:
            continue
        public = certificate.public_key()
        jwk: dict[str, Any]
        if isinstance(public, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ed25519.Ed25519PublicKey):
            jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
        else:
            continue
        keys.append({**jwk, "kid": item.kid})
    return keys


def _verify(label: str, jws: CompactJws, keys: list[dict[str, Any]], source: str) -> Iterator[Finding]:
    """RFC 7515 section 5.2 and RFC 8725 section 3.1: verify with exactly the key kid names, under the header's alg."""
    kid, alg = jws.header.get("kid"), jws.header.get("alg")
    if not isinstance(kid, str) or not kid:
        yield KID_MISSING.finding(f"The {label} has no kid in its header.", token=label, known_kids=kids(keys))
        return
    if not isinstance(alg, str) or alg not in ASYMMETRIC_ALGS:
        return
    named = [k for k in keys if k.get("kid") == kid]
    if not named:
        yield KID_UNKNOWN.finding(
            f"The {label}'s kid {kid!r} is not in the {source} (kids there: {kids(keys)}).",
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
            f"The {label}'s signature verifies with key {kid!r} ({alg}).", token=label, kid=kid, alg=alg, key_source=source
        )
    else:
        yield SIGNATURE_INVALID.finding(
            f"The {label}'s signature does not verify with key {kid!r} ({alg}).", token=label, kid=kid, alg=alg, key_source=source
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


def _audiences(jws: CompactJws) -> list[str] | None:
    aud = jws.payload.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return list(aud)
    return None


def _aud_cause(expected: list[str], actual: list[str]) -> str | None:
    guid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
    for e in expected:
        for a in actual:
            if e.rstrip("/") == a.rstrip("/"):
                return "trailing slash"
            if e.lower() == a.lower():
                return "letter case differs"
            if (g := guid.search(e)) and g.group(0).lower() in a.lower() and ("api://" in e) != ("api://" in a):
                return "Entra ID: application (client) ID GUID vs application ID URI api://..."
    return None


def check_audience_given(ctx: Context) -> Iterator[Finding]:
    """The audience is a required onboarding field; Support may read it from a token's aud (RFC 7519 section 4.1.3)."""
    if ctx.inputs.audiences:
        return
    found: list[str] = []
    for _, jws in parsed_tokens(ctx):
        found.extend(a for a in _audiences(jws) or [] if a not in found)
    if found:
        yield AUDIENCE_FROM_TOKEN.finding(f"No --audience given; the sample token's aud is {found}.", audiences=found, flag="--audience")
    else:
        yield AUDIENCE_MISSING.finding("No --audience given and no token carries aud.", flag="--audience")


def check_token_audience(ctx: Context) -> Iterator[Finding]:
    """RFC 7519 section 4.1.3 / RFC 9068 section 4: aud (string or array) must contain the audience Qualys is configured with."""
    configured = list(ctx.inputs.audiences)
    for token, jws in parsed_tokens(ctx):
        label, aud = token_label(token), jws.payload.get("aud")
        if aud is None:
            yield AUD_MISSING.finding(f"The {label} has no aud.", token=label, claim="aud")
            continue
        actual = _audiences(jws)
        if actual is None or not actual:
            yield AUD_INVALID.finding(f"The {label}'s aud is {short(repr(aud))}.", token=label, claim="aud", actual=short(repr(aud)))
            continue
        if len(actual) > 1:
            yield AUD_SEVERAL.finding(f"The {label} has {len(actual)} audiences: {actual}.", token=label, claim="aud", actual=actual)
        if configured and not set(configured) & set(actual):
            cause = _aud_cause(configured, actual)
            yield AUD_MISMATCH.finding(
                f"The {label}'s aud {actual} contains none of the configured audiences {configured}"
                + (f" (likely cause: {cause})." if cause else "."),
                token=label,
                claim="aud",
                expected=configured,
                actual=actual,
                **({"likely_cause": cause} if cause else {}),
            )


def _date_findings(label: str, payload: Mapping[str, Any], now: float) -> Iterator[Finding]:
    """RFC 7519 sections 2 and 4.1.4-4.1.6: exp, nbf, iat are NumericDates in seconds, judged against now."""
    dates: dict[str, int] = {}
    for claim in ("exp", "iat", "nbf"):
        if claim not in payload:
            continue
        value = payload[claim]
        if isinstance(value, bool) or not isinstance(value, int):
            yield DATE_TYPE.finding(
                f"The {label}'s {claim} is {short(repr(value))} ({type(value).__name__}), not integer seconds.",
                token=label,
                claim=claim,
                actual=short(repr(value)),
                actual_type=type(value).__name__,
            )
        elif value > MILLISECONDS_THRESHOLD:
            yield DATE_MILLISECONDS.finding(
                f"The {label}'s {claim} is {value}: milliseconds, not seconds.",
                token=label,
                claim=claim,
                actual=value,
                likely_seconds=value // 1000,
            )
        else:
            dates[claim] = value
    if "exp" not in payload:
        yield EXP_MISSING.finding(f"The {label} has no exp.", token=label, claim="exp")
    if "exp" in dates and dates["exp"] <= now:
        yield EXPIRED.finding(
            f"The {label} expired {int(now - dates['exp'])} s ago.", token=label, claim="exp", exp=dates["exp"], now=int(now)
        )
    if "iat" in dates and dates["iat"] > now + SKEW_SECONDS:
        yield IAT_FUTURE.finding(
            f"The {label} was issued {int(dates['iat'] - now)} s in the future.",
            token=label,
            claim="iat",
            iat=dates["iat"],
            now=int(now),
            skew_seconds=SKEW_SECONDS,
        )
    if "nbf" in dates and dates["nbf"] > now + SKEW_SECONDS:
        yield NBF_FUTURE.finding(
            f"The {label} is not valid for another {int(dates['nbf'] - now)} s.", token=label, claim="nbf", nbf=dates["nbf"], now=int(now)
        )


def check_token_dates(ctx: Context) -> Iterator[Finding]:
    """RFC 7519 sections 4.1.4-4.1.6 (see _date_findings)."""
    now = (ctx.now if ctx.now.tzinfo else ctx.now.replace(tzinfo=UTC)).timestamp()
    for token, jws in parsed_tokens(ctx):
        yield from _date_findings(token_label(token), jws.payload, now)
