"""Strict, pure JOSE helpers: split a compact JWS, select a key, verify a signature.

Parsing is stricter than most libraries on purpose: the validator's job is to say what a
verifier might reject, so anything RFC 7515 / RFC 8725 would call ambiguous is an error here.
Signatures are verified with PyJWT's algorithm objects, never with ``none`` or HS*.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from oidc_validator.crypto.jwk import ALG_KEY, ALGORITHMS, ASYMMETRIC_ALGS, JwkError, public_key_from_jwk
from oidc_validator.errors import ValidatorError

DEFAULT_MAX_TOKEN_BYTES = 16 * 1024

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_B64URL_VALUE = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}
# The last character of a 2- or 3-character remainder carries 4 or 2 padding bits; canonical means they are zero.
_PADDING_BITS = {2: 0b1111, 3: 0b11}
_PADDING = {0: b"", 2: b"==", 3: b"="}
_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


class JoseError(ValidatorError, ValueError):
    """A token that is not a strict compact JWS. ``code`` is stable snake_case.

    Still a ValueError: callers that treat any unparseable input alike catch ValueError.
    """

    code = "jose"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class CompactJws:
    """A split compact JWS. The signature is a credential's part: it never appears in repr."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes = field(repr=False)
    signature: bytes = field(repr=False)


def is_symmetric_alg(alg: object) -> bool:
    return isinstance(alg, str) and alg.upper().startswith("HS")


def is_asymmetric_alg(alg: object) -> TypeGuard[str]:
    """An alg this project verifies. Header values are untrusted JSON: a list or object is no alg, not a crash."""
    return isinstance(alg, str) and alg in ASYMMETRIC_ALGS


def is_none_alg(alg: object) -> bool:
    return isinstance(alg, str) and alg.lower() == "none"


def b64url_decode(segment: str) -> bytes:
    """RFC 7515 section 2: base64url without padding, no whitespace, no other characters."""
    if not _B64URL.fullmatch(segment):
        raise JoseError("base64url", "contains characters outside the base64url alphabet (padding, whitespace or '+/')")
    remainder = len(segment) % 4
    if remainder == 1:
        raise JoseError("base64url", "has an impossible base64url length")
    # Non-canonical encodings (stray low bits in the last character) decode ambiguously.
    if remainder and _B64URL_VALUE[segment[-1]] & _PADDING_BITS[remainder]:
        raise JoseError("base64url", "is not canonical base64url")
    # The alphabet is checked above, so binascii's lenient mode cannot skip anything; it is called
    # directly because base64.urlsafe_b64decode re-validates its input twice per token segment.
    return binascii.a2b_base64(segment.encode("ascii").translate(_URLSAFE_TO_STANDARD) + _PADDING[remainder])


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):  # only then look for the name, so the common case stays in C
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JoseError("duplicate_member", f"has the member {key!r} twice (RFC 7515 section 5.2, RFC 8725 section 3.9)")
            seen.add(key)
    return result


def _reject_constant(name: str) -> Any:
    raise JoseError("json", f"contains the non-JSON constant {name}")


# Built once: json.loads with hooks builds a new decoder on every call.
_STRICT_JSON = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)


def strict_json_loads(text: str) -> Any:
    """RFC 8259 JSON only: no NaN/Infinity, no duplicate member names at any depth (RFC 8725 section 3.9)."""
    try:
        return _STRICT_JSON.decode(text)
    except JoseError:
        raise
    except json.JSONDecodeError as exc:
        # Only the position: the message never quotes the document (a token payload is a credential's part).
        raise JoseError("json", f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise JoseError("json", "is not valid JSON (nested too deeply)") from None
    except ValueError as exc:
        raise JoseError("json", f"is not valid JSON ({type(exc).__name__})") from None


def json_object(data: bytes, what: str) -> dict[str, Any]:
    """Decode UTF-8 JSON that must be an object, rejecting duplicate members at any depth."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise JoseError("json", f"the {what} is not UTF-8") from None
    try:
        value = strict_json_loads(text)
    except JoseError as exc:
        raise JoseError(exc.code, f"the {what} {exc}") from None
    if not isinstance(value, dict):
        raise JoseError("not_object", f"the {what} is JSON but not an object")
    return value


def split_compact(token: str, *, max_bytes: int = DEFAULT_MAX_TOKEN_BYTES) -> CompactJws:
    """Split a compact JWS strictly (RFC 7515 section 7.1), capping the size before any decoding."""
    if len(token) > max_bytes:
        raise JoseError("too_large", f"the token is {len(token)} characters, over the {max_bytes} cap")
    stripped = token.strip()
    if stripped.startswith("{"):
        raise JoseError("json_serialization", "the token is a JWS JSON serialisation, not the compact form")
    if stripped != token:
        raise JoseError("base64url", "the token has leading or trailing whitespace")
    parts = token.split(".")
    if len(parts) == 5:
        raise JoseError("jwe", "the token has 5 segments: it is an encrypted JWE, not a signed JWS")
    if len(parts) != 3:
        raise JoseError("segments", f"the token has {len(parts)} segment(s); a compact JWS has exactly 3")
    header_b64, payload_b64, signature_b64 = parts
    decoded: list[bytes] = []
    for name, segment in (("header", header_b64), ("payload", payload_b64), ("signature", signature_b64)):
        try:
            decoded.append(b64url_decode(segment))
        except JoseError as exc:
            raise JoseError(exc.code, f"the {name} segment {exc}") from None
    header = json_object(decoded[0], "header")
    payload = json_object(decoded[1], "payload")
    return CompactJws(header, payload, f"{header_b64}.{payload_b64}".encode("ascii"), decoded[2])


def key_fits(jwk: Mapping[str, Any], alg: str) -> list[str]:
    """Why this JWK may not verify ``alg`` (empty when it fits): kty, crv, alg and use must all agree."""
    reasons: list[str] = []
    expected = ALG_KEY.get(alg)
    if expected is None:
        return [f"{alg!r} is not an asymmetric signature algorithm"]
    kty, crv = expected
    if jwk.get("kty") != kty:
        reasons.append(f"kty is {jwk.get('kty')!r}, {alg} needs {kty!r}")
    if crv is not None and jwk.get("crv") != crv:
        reasons.append(f"crv is {jwk.get('crv')!r}, {alg} needs {crv!r}")
    if "alg" in jwk and jwk.get("alg") != alg:
        reasons.append(f"the key's alg is {jwk.get('alg')!r}, the token's is {alg!r}")
    if "use" in jwk and jwk.get("use") != "sig":
        reasons.append(f"the key's use is {jwk.get('use')!r}, not 'sig'")
    # RFC 7517 section 4.3: a key whose key_ops are given may do only those operations.
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        reasons.append(f"the key's key_ops {key_ops!r} do not include 'verify'")
    return reasons


def select_keys(keys: Iterable[Mapping[str, Any]], kid: str, alg: str) -> list[Mapping[str, Any]]:
    """Keys with exactly this kid that fit ``alg``; the caller treats more than one as ambiguous."""
    return [k for k in keys if k.get("kid") == kid and not key_fits(k, alg)]


def verify_signature(jws: CompactJws, jwk: Mapping[str, Any], alg: str) -> bool:
    """Verify with exactly this key; ``none`` and HS* are refused, never attempted."""
    if not is_asymmetric_alg(alg):
        raise JwkError(f"refusing to verify with {alg!r}: only asymmetric algorithms are accepted", code="alg_refused")
    if key_fits(jwk, alg):
        raise JwkError(f"the key does not fit {alg}", code="key_does_not_fit")
    # A one-off check builds its key; a verifier that sees many tokens keeps Candidates in a KeySet.
    return _candidate(jwk, alg).verify(jws)


@dataclass(frozen=True)
class Candidate:
    """The one key a (kid, alg) selected, with its key object built when it was selected."""

    jwk: Mapping[str, Any]
    alg: str
    public_key: Any = field(repr=False)
    build_error: str | None = None

    def verify(self, jws: CompactJws) -> bool:
        """As ``verify_signature``; raises JwkError (a ValueError) when the JWK does not build a key."""
        if self.public_key is None:
            raise JwkError(self.build_error or "the key cannot be built")
        return bool(ALGORITHMS[self.alg].verify(jws.signing_input, self.public_key, jws.signature))


def _candidate(jwk: Mapping[str, Any], alg: str) -> Candidate:
    try:
        return Candidate(jwk, alg, public_key_from_jwk(jwk))
    except ValueError as exc:
        return Candidate(jwk, alg, None, str(exc))


class KeySet:
    """A fixed set of public JWKs for a verifier that sees many tokens (the stand-in).

    Selecting the keys for a (kid, alg) and building their key objects happen once per set, not
    once per token. Only selections that found a key are remembered, so the memory is bounded by
    the set's own kids times the asymmetric algorithms: hostile tokens with random kids cannot grow it.
    """

    def __init__(self, jwks: Iterable[Mapping[str, Any]] = ()) -> None:
        self.jwks: tuple[Mapping[str, Any], ...] = tuple(jwks)
        self.kids = frozenset(kids(self.jwks))
        self._selected: dict[tuple[str, str], tuple[Candidate, ...]] = {}

    def select(self, kid: str, alg: str) -> tuple[Candidate, ...]:
        """``select_keys`` with key objects: a caller treats more than one as ambiguous, as there."""
        selected = self._selected.get((kid, alg))
        if selected is None:
            selected = tuple(_candidate(jwk, alg) for jwk in select_keys(self.jwks, kid, alg))
            if selected:
                self._selected[(kid, alg)] = selected
        return selected

    @property
    def remembered(self) -> int:
        """How many (kid, alg) selections are kept: at most the set's kids times the asymmetric algorithms."""
        return len(self._selected)


def kids(keys: Sequence[Mapping[str, Any]]) -> list[str]:
    return [k["kid"] for k in keys if isinstance(k.get("kid"), str)]
