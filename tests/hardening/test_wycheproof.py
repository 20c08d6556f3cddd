"""Project Wycheproof JOSE vectors: the verifier agrees with every RS/PS/ES case, and the key checks flag every invalid JWK.

Deliberate disagreements are listed below with their reason; everything else must agree.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from oidc_validator.checks.run import run_checks
from oidc_validator.crypto.jose import JoseError, b64url_decode, json_object, select_keys, verify_signature
from oidc_validator.model.context import Context, Fetched, Inputs, Observations, SampleToken
from oidc_validator.model.findings import Severity

VECTORS = Path(__file__).resolve().parents[1] / "data" / "wycheproof"
NOW = datetime(2026, 6, 1, tzinfo=UTC)

# tcId -> why this project rejects a case Wycheproof calls valid.
DELIBERATE = {
    **dict.fromkeys(
        (346, 347, 350, 351),
        "RFC 7520 example: the key's alg (PS256, ES521) differs from the token's (PS384, ES512); keys are selected only when kid, kty,"
        " alg and use all fit",
    ),
    **dict.fromkeys((372, 373), "a character inserted into base64url: this project decodes strictly and rejects non-canonical input"),
}


def _load(name: str) -> dict[str, Any]:
    return dict(json.loads((VECTORS / name).read_text()))


def _keys(material: Any) -> list[dict[str, Any]]:
    if not isinstance(material, dict):
        return []
    return list(material["keys"]) if "keys" in material else [material]


def _signature_cases() -> list[tuple[int, str, list[dict[str, Any]], bool]]:
    cases = []
    for group in _load("json_web_signature_test.json")["testGroups"]:
        keys = _keys(group.get("public"))
        for test in group["tests"]:
            alg = _header_alg(test["jws"])
            if alg[:2] in ("RS", "PS", "ES") and keys:
                cases.append((test["tcId"], test["jws"], keys, test["result"] == "valid"))
    return cases


def _header_alg(jws: str) -> str:
    try:
        alg = json_object(b64url_decode(jws.split(".")[0]), "header").get("alg")
    except JoseError:
        return ""
    return alg if isinstance(alg, str) else ""


def verifies(jws: str, keys: list[dict[str, Any]]) -> bool:
    """The project's signature verdict at the JWS layer (payloads here are not claims sets)."""
    from oidc_validator.crypto.jose import CompactJws

    try:
        header_b64, payload_b64, signature_b64 = jws.split(".")
        header = json_object(b64url_decode(header_b64), "header")
        b64url_decode(payload_b64)
        jws_parts = CompactJws(header, {}, f"{header_b64}.{payload_b64}".encode(), b64url_decode(signature_b64))
    except (JoseError, ValueError):
        return False
    alg, kid = header.get("alg"), header.get("kid")
    candidates = select_keys(keys, kid, alg) if isinstance(kid, str) and isinstance(alg, str) else []
    if len(candidates) != 1:
        return False
    try:
        return verify_signature(jws_parts, candidates[0], str(alg))
    except ValueError:
        return False


SIGNATURE_CASES = _signature_cases()


def test_the_vectors_cover_the_rs_ps_and_es_groups() -> None:
    algs = {_header_alg(jws)[:2] for _, jws, _, _ in SIGNATURE_CASES}
    assert algs >= {"RS", "PS", "ES"}
    assert len(SIGNATURE_CASES) > 300


@pytest.mark.parametrize(("tc_id", "jws", "keys", "valid"), SIGNATURE_CASES, ids=[f"tc{c[0]}" for c in SIGNATURE_CASES])
def test_the_verifier_agrees_with_wycheproof(tc_id: int, jws: str, keys: list[dict[str, Any]], valid: bool) -> None:
    expected = valid and tc_id not in DELIBERATE
    assert verifies(jws, keys) is expected


def _jwk_cases() -> list[tuple[int, str, list[dict[str, Any]], str, bool]]:
    cases = []
    for group in _load("json_web_key_test.json")["testGroups"]:
        keys = _keys(group.get("public")) or _keys(group.get("private"))
        for test in group["tests"]:
            cases.append((test["tcId"], test["comment"], keys, test["jws"], test["result"] == "valid"))
    return cases


JWK_CASES = _jwk_cases()


@pytest.mark.parametrize(("tc_id", "comment", "keys", "jws", "valid"), JWK_CASES, ids=[f"tc{c[0]}-{c[1]}" for c in JWK_CASES])
def test_the_key_checks_flag_every_invalid_jwk_case(tc_id: int, comment: str, keys: list[dict[str, Any]], jws: str, valid: bool) -> None:
    jwks = Fetched(url="https://idp.example/jwks", status=200, content_type="application/json", json={"keys": keys})
    inputs = Inputs(issuer="https://idp.example", audiences=("x",), tokens=(SampleToken(jws, "given", "wycheproof"),))
    findings = run_checks(Context(inputs, Observations(jwks=jwks, jwks_url_used=jwks.url), NOW))
    key_or_signature_errors = [
        f
        for f in findings
        if f.severity == Severity.ERROR and (f.area == "jwks" or f.code.startswith(("token_key", "token_sig", "token_alg", "token_kid")))
    ]
    if not valid:
        assert key_or_signature_errors, f"tc{tc_id} {comment}: {sorted({f.code for f in findings})}"
    elif not any(k.get("kty") == "oct" for k in keys):
        assert not key_or_signature_errors, [f.code for f in key_or_signature_errors]
