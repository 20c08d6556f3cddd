"""JWKS: a valid key set of public, asymmetric, strong signing keys with consistent certificates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from oidc_validator.checks.base import CATALOGUE, fetch_failure, jwks_keys, key_where, sample_token_kids
from oidc_validator.crypto.jose import (
    JoseError,
    b64url_decode,
    is_asymmetric_alg,
    is_none_alg,
    is_symmetric_alg,
)
from oidc_validator.crypto.jwk import (
    ALG_KEY,
    CURVES,
    PRIVATE_MEMBERS,
    JsonPath,
    public_key_from_jwk,
    render_path,
    secret_member_paths,
    why_not_signing,
)
from oidc_validator.crypto.keyquality import roca_vulnerable
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

AREA = "jwks"
MIN_RSA_BITS = 2048


_register = CATALOGUE.registrar(AREA)


NOT_CHECKED = _register(
    "jwks_not_checked",
    Severity.INFO,
    "No JWKS was fetched, so the published keys were not checked.",
    "Give --jwks-url, or --issuer so the validator finds jwks_uri by discovery.",
)
FETCH_FAILED = _register(
    "jwks_fetch_failed",
    Severity.ERROR,
    "The JWKS could not be fetched or read (the evidence's kind says why).",
    "Make the jwks_uri answer with the key set JSON.",
)
NOT_KEY_SET = _register(
    "jwks_not_key_set",
    Severity.ERROR,
    'The JWKS is not a JSON object with a "keys" array (RFC 7517 section 5).',
    'Serve {"keys": [...]} at the JWKS URL; check the URL points at the key set, not another document.',
)
NO_SIGNING_KEY = _register(
    "jwks_no_signing_key",
    Severity.ERROR,
    "The JWKS holds keys, but none a verifier could choose to check a signature: every key is an encryption or key-agreement "
    "key (use other than sig, key_ops without verify, a JWE alg, X25519/X448) or symmetric (RFC 7517 sections 4.2-4.4).",
    'Publish the IdP\'s signing keys ("use": "sig" or no use, a JWS alg such as RS256) in this key set.',
)
EMPTY = _register("jwks_empty", Severity.ERROR, "The JWKS holds no keys.", "Publish the IdP's signing keys at the JWKS URL.")
NOT_OBJECT = _register(
    "jwk_not_object",
    Severity.ERROR,
    "An entry of the JWKS keys array is not a JSON object.",
    "Every entry of keys must be a JWK object (RFC 7517 section 4).",
    non_signing_keys=True,
)
KID_MISSING = _register(
    "jwk_kid_missing",
    Severity.ERROR,
    "A JWK has no kid (or an empty one): tokens cannot name it and certificates cannot pair with it.",
    "Give every signing key a unique kid and sign tokens with that kid in the header.",
)
KID_DUPLICATE = _register(
    "jwk_kid_duplicate",
    Severity.ERROR,
    "Several JWKs share one kid, so the key for a token is ambiguous.",
    "Give every key in the set a distinct kid (RFC 7517 section 4.5).",
)
PRIVATE = _register(
    "jwk_private_members",
    Severity.ERROR,
    "A JWK publishes private key members: the private key is public, the key is compromised.",
    "Never publish private members (d p q dp dq qi oth): remove them, and rotate that key NOW, since anyone "
    "could have fetched it and can forge tokens.",
    non_signing_keys=True,
)
PRIVATE_ELSEWHERE = _register(
    "jwks_private_material",
    Severity.ERROR,
    "The JWKS document holds private or secret key members (d p q dp dq qi oth k) outside a key's own top level: "
    "nested inside a key, or under another member of the set. Whoever fetches the JWKS has that private key.",
    "Publish only the public members of each key under keys; remove every other copy of key material from the document, "
    "and rotate every key whose private members were published, NOW.",
    non_signing_keys=True,
)
SYMMETRIC = _register(
    "jwk_symmetric",
    Severity.ERROR,
    "The JWKS publishes a symmetric (oct) key: publishing it publishes the shared secret.",
    "Never publish symmetric keys; remove it, rotate the secret, and sign with an asymmetric key (RS256, ES256...).",
    non_signing_keys=True,
)
KTY_UNSUPPORTED = _register(
    "jwk_kty_unsupported",
    Severity.ERROR,
    "A JWK's kty is missing or not RSA, EC or OKP.",
    "Sign with RSA, EC (P-256/384/521) or Ed25519 keys.",
)
USE_NOT_SIG = _register(
    "jwk_use_not_sig",
    Severity.ERROR,
    "A sample token's kid names a JWK that is not a signing key (use other than sig, RFC 7517 section 4.2; key_ops without "
    "verify, section 4.3; or a JWE alg): verifiers select signing keys only, so that token can never be verified.",
    'Sign with a key published as a signing key ("use": "sig" or no use, a JWS alg), or fix the published key\'s use/alg.',
    non_signing_keys=True,
)
NOT_SIGNING = _register(
    "jwk_not_signing_key",
    Severity.INFO,
    "A JWK that can never be chosen to check a signature (an encryption or key-agreement key: use other than sig, key_ops "
    "without verify, a JWE alg such as RSA-OAEP, or an X25519/X448 key): ignored, not a signing key. The signing-key rules do not apply.",
    "Nothing to fix: verifiers select signing keys only (RFC 7517 sections 4.2-4.4).",
    non_signing_keys=True,
)
ALG_FORBIDDEN = _register(
    "jwk_alg_forbidden",
    Severity.ERROR,
    "A JWK declares alg none or an HS* (symmetric) algorithm (RFC 8725 section 3.1).",
    "Declare an asymmetric signature algorithm (RS256, PS256, ES256, EdDSA) and sign with it.",
)
ALG_UNSUPPORTED = _register(
    "jwk_alg_unsupported",
    Severity.ERROR,
    "A JWK's alg is not an asymmetric JWS signature algorithm Qualys accepts.",
    "Use RS256/384/512, PS256/384/512, ES256/384/512 or EdDSA.",
)
ALG_MISMATCH = _register(
    "jwk_alg_mismatch",
    Severity.ERROR,
    "A JWK's alg does not fit its kty/crv (RFC 7518 section 3: RS*/PS* RSA, ES256 P-256, ES384 P-384, ES512 P-521, EdDSA Ed25519).",
    "Fix the key's alg (or the key) so they agree.",
)
RSA_ROCA = _register(
    "jwk_rsa_roca",
    Severity.ERROR,
    "The RSA key was made by a library with the ROCA weakness (CVE-2017-15361): its private key can be computed from the public key.",
    "Treat the key as compromised: generate a new key with an unaffected library (update the token or HSM firmware), rotate, "
    "and retire this one.",
)
RSA_WEAK = _register(
    "jwk_rsa_weak",
    Severity.ERROR,
    "An RSA key is shorter than 2048 bits (RFC 7518 section 3.3).",
    "Rotate to an RSA key of at least 2048 bits (3072 recommended), or to ES256.",
)
RSA_EXPONENT = _register(
    "jwk_rsa_exponent",
    Severity.ERROR,
    "An RSA key's public exponent e is not an odd number >= 3.",
    "Rotate to a properly generated RSA key (e = 65537).",
)
CURVE_UNSUPPORTED = _register(
    "jwk_curve_unsupported",
    Severity.ERROR,
    "An EC/OKP key is not on P-256, P-384, P-521 or Ed25519 (Ed448/X25519/X448 and other curves are not for JWS signing here).",
    "Sign with a P-256/384/521 or Ed25519 key.",
)
INVALID = _register(
    "jwk_invalid",
    Severity.ERROR,
    "A JWK cannot be turned into a public key (missing or malformed members, point not on the curve...).",
    "Republish the key from the IdP's key store; the published members are broken.",
)


def check_jwks_fetched(ctx: Context) -> Iterator[Finding]:
    """RFC 7517 section 5: the JWKS is a JSON object whose "keys" member is an array of JWKs."""
    fetched = ctx.observations.jwks
    if fetched is None:
        yield NOT_CHECKED.finding("No JWKS was fetched.", jwks_url=ctx.observations.jwks_url_used or ctx.inputs.jwks_url)
        return
    if not fetched.ok:
        yield fetch_failure(FETCH_FAILED, "the JWKS", fetched)
        return
    doc = fetched.json
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        yield NOT_KEY_SET.finding(f'The JWKS at {fetched.url} is not {{"keys": [...]}}.', url=fetched.url, actual_type=type(doc).__name__)
        return
    if not doc["keys"]:
        yield EMPTY.finding(f"The JWKS at {fetched.url} has an empty keys array.", url=fetched.url)
    for index, key in enumerate(doc["keys"]):
        if not isinstance(key, dict):
            yield NOT_OBJECT.finding(f"JWKS entry {index} is a JSON {type(key).__name__}, not an object.", index=index)


def _reported_per_key(path: JsonPath, keys: list[Any]) -> bool:
    """Whether _key_findings already names this member: a key's own top-level private member, or an oct key's k."""
    if len(path) != 3 or path[0] != "keys" or not isinstance(path[1], int) or not isinstance(keys[path[1]], dict):
        return False
    return path[2] in PRIVATE_MEMBERS or (path[2] == "k" and keys[path[1]].get("kty") == "oct")


def check_private_material(ctx: Context) -> Iterator[Finding]:
    """RFC 7517 section 5 carries public keys only: private members anywhere in the document are a leak."""
    fetched = ctx.observations.jwks
    if fetched is None or not fetched.ok or fetched.json is None:
        return
    doc = fetched.json
    keys: list[Any] = doc["keys"] if isinstance(doc, dict) and isinstance(doc.get("keys"), list) else []
    paths = [render_path(p) for p in secret_member_paths(doc) if not _reported_per_key(p, keys)]
    if paths:
        shown = ", ".join(paths[:10]) + (f" and {len(paths) - 10} more" if len(paths) > 10 else "")
        yield PRIVATE_ELSEWHERE.finding(f"The JWKS document holds secret key members at {shown} (values not shown).", paths=paths[:50])


def check_kids(ctx: Context) -> Iterator[Finding]:
    """RFC 7517 section 4.5: kid selects the key; within a set, keys need distinct kids to be selectable."""
    # Only keys a verifier could choose: an encryption key needs no kid to verify anything, and an
    # encryption key sharing a signing key's kid leaves the signing key the only candidate.
    keys = [(index, k) for index, k in enumerate(jwks_keys(ctx) or []) if why_not_signing(k) is None]
    counts = Counter(k.get("kid") for _, k in keys if isinstance(k.get("kid"), str) and k.get("kid"))
    for index, key in keys:
        kid = key.get("kid")
        if not isinstance(kid, str) or not kid:
            yield KID_MISSING.finding(f"JWKS key {index} ({key.get('kty')}) has no kid.", index=index, kid=kid)
    for kid, count in sorted(counts.items()):
        if count > 1:
            yield KID_DUPLICATE.finding(f"{count} keys in the JWKS share kid {kid!r}.", kid=kid, count=count)


def _b64_int(value: object) -> int:
    if not isinstance(value, str) or not value:
        raise ValueError("not a base64url string")
    try:
        return int.from_bytes(b64url_decode(value), "big")
    except JoseError:
        raise ValueError("not base64url") from None


def _key_findings(index: int, key: Mapping[str, Any], token_kids: set[str]) -> Iterator[Finding]:
    """RFC 7517 section 4, RFC 7518 sections 3 and 6, RFC 8037, RFC 8725 section 3: one published signing key.

    Leaked secrets are reported for every key; the signing-key rules only for keys a verifier could choose."""
    where = key_where(index, key)
    label = f"JWKS key {where.get('kid', index)!r}"
    private = sorted(m for m in PRIVATE_MEMBERS if m in key)
    kty, alg = key.get("kty"), key.get("alg")
    if private:
        yield PRIVATE.finding(f"{label} publishes private members {private}: its private key is public.", members=private, **where)
    if kty == "oct":
        yield SYMMETRIC.finding(f"{label} is a symmetric oct key.", kty=kty, **where)
        return
    reason = why_not_signing(key)
    if reason is not None:
        if where.get("kid") in token_kids:
            yield USE_NOT_SIG.finding(
                f"A sample token is signed under kid {key.get('kid')!r}, but {label} is not a signing key ({reason}).",
                reason=reason,
                use=key.get("use"),
                alg=alg,
                **where,
            )
        else:
            yield NOT_SIGNING.finding(f"{label} is ignored: not a signing key ({reason}).", reason=reason, kty=kty, **where)
        return
    if kty not in ("RSA", "EC", "OKP"):
        yield KTY_UNSUPPORTED.finding(f"{label} has kty {kty!r}.", kty=kty, **where)
        return
    if "alg" in key:
        if is_none_alg(alg) or is_symmetric_alg(alg):
            yield ALG_FORBIDDEN.finding(f"{label} declares alg {alg!r}.", alg=alg, **where)
        elif not is_asymmetric_alg(alg):
            yield ALG_UNSUPPORTED.finding(f"{label} declares alg {alg!r}.", alg=alg, **where)
        else:
            need_kty, need_crv = ALG_KEY[alg]
            if kty != need_kty or (need_crv is not None and key.get("crv") != need_crv):
                yield ALG_MISMATCH.finding(
                    f"{label} declares {alg} but is kty {kty!r}" + (f" crv {key.get('crv')!r}." if "crv" in key else "."),
                    alg=alg,
                    kty=kty,
                    crv=key.get("crv"),
                    expected_kty=need_kty,
                    expected_crv=need_crv,
                    **where,
                )
    if kty == "RSA":
        try:
            n, e = _b64_int(key.get("n")), _b64_int(key.get("e"))
        except ValueError:
            yield INVALID.finding(f"{label}: n or e is missing or not base64url.", **where)
            return
        if n.bit_length() < MIN_RSA_BITS:
            yield RSA_WEAK.finding(f"{label} is a {n.bit_length()}-bit RSA key.", bits=n.bit_length(), minimum=MIN_RSA_BITS, **where)
        if roca_vulnerable(n):
            yield RSA_ROCA.finding(f"{label}'s modulus has the ROCA fingerprint (CVE-2017-15361).", **where)
        if e < 3 or e % 2 == 0:
            yield RSA_EXPONENT.finding(f"{label} has public exponent e={e}.", e=e, **where)
            return
    elif key.get("crv") not in CURVES[str(kty)]:
        yield CURVE_UNSUPPORTED.finding(
            f"{label} is on curve {key.get('crv')!r}.", crv=key.get("crv"), supported=list(CURVES[str(kty)]), **where
        )
        return
    try:
        public_key_from_jwk(key)
    except ValueError as exc:
        yield INVALID.finding(f"{label} cannot be read as a public key: {exc}.", detail=str(exc)[:200], **where)


def check_keys(ctx: Context) -> Iterator[Finding]:
    """Every key passes the per-key rules of RFC 7517/7518/8037/8725 (see _key_findings)."""
    token_kids = sample_token_kids(ctx)
    keys = jwks_keys(ctx) or []
    for index, key in enumerate(keys):
        yield from _key_findings(index, key, token_kids)
    if keys and not any(why_not_signing(k) is None and k.get("kty") != "oct" for k in keys):
        reasons = {str(k.get("kid", index)): why_not_signing(k) or "symmetric (oct)" for index, k in enumerate(keys)}
        yield NO_SIGNING_KEY.finding(f"None of the {len(keys)} keys in the JWKS is a signing key.", reasons=reasons)
