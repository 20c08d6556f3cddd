"""JWKs: which members are secret, the algorithms the project verifies and the key each needs, JWK <-> key objects.

The algorithm objects and the EC curve each ES* algorithm is bound to come from PyJWT's own table
(``jwt.algorithms.get_default_algorithms``); only the project's policy (which of them it accepts) is written here.
"""

from __future__ import annotations

import binascii
import re
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import Algorithm, ECAlgorithm, OKPAlgorithm, RSAAlgorithm, get_default_algorithms
from jwt.exceptions import InvalidKeyError

from oidc_validator.errors import ValidatorError

# RFC 7518 sections 6.3.2 and 6.2.2: the private members of RSA and EC/OKP keys.
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth")
# Plus an oct key's "k" (RFC 7518 section 6.4.1): nothing of these may leave the machine.
SECRET_MEMBERS = (*PRIVATE_MEMBERS, "k")

# RFC 7518 section 3.1 and RFC 8037: the asymmetric signature algorithms a verifier may accept. PyJWT's table
# also holds ES256K (RFC 8812) and ES521 (its own alias of ES512); Qualys verifies neither, so they stay out.
VERIFIED_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
ALGORITHMS: dict[str, Algorithm] = {alg: algorithm for alg, algorithm in get_default_algorithms().items() if alg in VERIFIED_ALGS}

# cryptography's curve names as JWK "crv" values (RFC 7518 section 6.2.1.1, RFC 8812 section 3.1). PyJWT keeps
# this mapping inside to_jwk/from_jwk and exposes no table of it, so this is its one copy in the project.
JWK_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521", "secp256k1": "secp256k1"}
# PyJWT's EdDSA takes Ed25519 and Ed448 keys alike; the project supports Ed25519 only (Ed448 is reported unsupported).
EDDSA_CURVE = "Ed25519"


class JwkError(ValidatorError, ValueError):
    """A JWK that builds no usable public key, or a key/alg pairing refused. Still a ValueError for the callers that catch that."""

    code = "jwk_invalid"


def _key_needed(algorithm: Algorithm) -> tuple[str, str | None]:
    if isinstance(algorithm, RSAAlgorithm):  # RSAPSSAlgorithm included
        return "RSA", None
    if isinstance(algorithm, ECAlgorithm):
        curve = algorithm.expected_curve
        return "EC", (JWK_CURVES[str(curve.name)] if curve is not None else None)
    if isinstance(algorithm, OKPAlgorithm):
        return "OKP", EDDSA_CURVE
    raise TypeError(f"not an asymmetric algorithm: {type(algorithm).__name__}")


# Each algorithm's key type and, for curves, the one curve it is defined on (RFC 7518 section 3.4).
ALG_KEY: dict[str, tuple[str, str | None]] = {alg: _key_needed(algorithm) for alg, algorithm in ALGORITHMS.items()}
ASYMMETRIC_ALGS = frozenset(ALG_KEY)
# The curves some accepted algorithm is defined on, per key type, in the algorithms' order.
CURVES: dict[str, tuple[str, ...]] = {
    kty: tuple(dict.fromkeys(crv for needed, crv in ALG_KEY.values() if needed == kty and crv is not None)) for kty in ("EC", "OKP")
}


def public_members(jwk: Mapping[str, Any]) -> dict[str, Any]:
    """The JWK without secret members, so a leaked private JWK is still only read (or passed on) as public."""
    return {k: v for k, v in jwk.items() if k not in SECRET_MEMBERS}


def public_key_from_jwk(jwk: Mapping[str, Any]) -> Any:
    """A cryptography public key from the JWK's public members (RSA, EC, OKP); raises JwkError (a ValueError)."""
    public = public_members(jwk)
    kty = public.get("kty")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if kty == "RSA":
                return RSAAlgorithm.from_jwk(public)
            if kty == "EC":
                return ECAlgorithm.from_jwk(public)
            if kty == "OKP":
                return OKPAlgorithm.from_jwk(public)
        except (InvalidKeyError, ValueError, TypeError, KeyError, binascii.Error) as exc:
            raise JwkError(str(exc) or type(exc).__name__) from None
    raise JwkError(f"unsupported key type {kty!r}", code="jwk_unsupported_kty")


def public_jwk(public_key: Any) -> dict[str, Any] | None:
    """The JWK (public members only, PyJWT's export) of an RSA, EC or Ed25519 public key; None for other key types."""
    jwk: dict[str, Any]
    if isinstance(public_key, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(public_key, as_dict=True)
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        jwk = OKPAlgorithm.to_jwk(public_key, as_dict=True)
    else:
        return None
    jwk.pop("key_ops", None)  # RFC 7517 section 4.3: callers set "use"
    return jwk


# RFC 7517 section 4 and RFC 7518 section 6: the members a public JWK of each key type carries. Everything
# else is dropped when a key set is passed on, so a private member hidden under any other name or nesting
# cannot travel along with it (an allow-list: a deny-list only catches the members someone thought of).
COMMON_PUBLIC_MEMBERS = ("kty", "kid", "use", "alg", "key_ops", "x5c", "x5t", "x5t#S256")
PUBLIC_MEMBERS_BY_KTY: dict[str, tuple[str, ...]] = {
    "RSA": (*COMMON_PUBLIC_MEMBERS, "n", "e"),
    "EC": (*COMMON_PUBLIC_MEMBERS, "crv", "x", "y"),
    "OKP": (*COMMON_PUBLIC_MEMBERS, "crv", "x"),
}
_LIST_MEMBERS = ("key_ops", "x5c")  # arrays of strings; every other public member is one string


def allowed_public_members(jwk: Mapping[str, Any]) -> dict[str, Any]:
    """Only the public members of the JWK's kty (common members only for other ktys), and only with JSON string values.

    A value of another shape (an object under "kid", say) could carry anything, so it is dropped too.
    """
    kty = jwk.get("kty")
    names = PUBLIC_MEMBERS_BY_KTY.get(kty, COMMON_PUBLIC_MEMBERS) if isinstance(kty, str) else COMMON_PUBLIC_MEMBERS
    kept: dict[str, Any] = {}
    for name in names:
        value = jwk.get(name)
        if name in _LIST_MEMBERS:
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                kept[name] = list(value)
        elif isinstance(value, str):
            kept[name] = value
    return kept


JsonPath = tuple[str | int, ...]


def json_children(document: Any) -> Iterator[tuple[JsonPath, Any]]:
    """Every member and element of a JSON document with its path, at any depth: a node's children in their order,
    then each child's own. Iterative, so a deeply nested document cannot exhaust the stack."""
    stack: list[tuple[JsonPath, Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, Mapping):
            children: list[tuple[JsonPath, Any]] = [((*path, str(name)), child) for name, child in value.items()]
        elif isinstance(value, list):
            children = [((*path, index), child) for index, child in enumerate(value)]
        else:
            continue
        yield from children
        stack.extend(reversed(children))


def is_secret_member(path: JsonPath, value: Any) -> bool:
    """A non-empty secret JWK member (SECRET_MEMBERS) at ``path``."""
    return bool(path) and path[-1] in SECRET_MEMBERS and isinstance(value, str | list) and bool(value)


def secret_member_paths(document: Any) -> list[JsonPath]:
    """Where a JSON document holds a non-empty secret JWK member, at any depth, in document order.

    Walks every object and array, not only ``keys[i]``: an IdP that leaks ``d`` under another member
    or a nested object has leaked it all the same.
    """
    return [path for path, value in json_children(document) if is_secret_member(path, value)]


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_#$-]{1,40}")


def render_path(path: JsonPath) -> str:
    """A JSON path for a finding: ``$.keys[1].extra.d``. Member names that are not short plain words are shown as
    ``[?]``, since a name chosen by whoever wrote the document could itself be a secret or terminal escapes."""
    text = "$"
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if _PLAIN_NAME.fullmatch(part) else "[?]"
    return text


# RFC 8037 section 3.2 and RFC 7748: these OKP curves do key agreement (ECDH) only, they cannot sign.
KEY_AGREEMENT_CURVES = ("X25519", "X448")
VERIFY_OPS = ("verify", "sign")


def why_not_signing(key: Mapping[str, Any]) -> str | None:
    """Why a verifier could never choose ``key`` to check a signature, or None when it could.

    A verifier selects among signing keys only: ``use`` other than "sig" (RFC 7517 section 4.2), ``key_ops``
    without "verify" or "sign" (section 4.3), an ``alg`` that is a JWE key-management algorithm (RFC 7518
    section 4.1), or, with neither ``use`` nor ``alg``, a key type that cannot sign (X25519/X448, RFC 8037
    section 3.2). Anything else could be picked, so it must pass every signing-key rule."""
    use, alg, ops = key.get("use"), key.get("alg"), key.get("key_ops")
    if "use" in key:
        return None if use == "sig" else f"use {use!r}"
    if isinstance(ops, list) and ops and not any(op in VERIFY_OPS for op in ops):
        return f"key_ops {ops!r}"
    if "alg" in key:
        return f"alg {alg!r} (a JWE key-management algorithm)" if is_jwe_key_alg(alg) else None
    if key.get("kty") == "OKP" and key.get("crv") in KEY_AGREEMENT_CURVES:
        return f"curve {key.get('crv')} (key agreement only)"
    return None


def is_jwe_key_alg(alg: object) -> bool:
    """RFC 7518 section 4.1's key-management algorithms (RSA1_5, RSA-OAEP*, ECDH-ES*, A*KW, A*GCMKW, PBES2-*, dir)."""
    if not isinstance(alg, str):
        return False
    return alg == "dir" or alg.startswith(("RSA1_5", "RSA-OAEP", "ECDH-ES", "PBES2-")) or bool(re.fullmatch(r"A(128|192|256)(GCM)?KW", alg))
