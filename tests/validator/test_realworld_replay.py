"""The four false errors of the users' real-world run, replayed end to end over HTTPS at real-looking host
names through tests/support/realworld.py, as the corpus will be: each must now get exit 0.

The documents are synthetic (test keys) but shaped like the published ones. This module's replays listen
on 127.0.0.78:443.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from build import AUDIENCE, NOW, b64url, certificate, claims, der, public_jwk, rsa_key, sign
from realworld import replay, run_check

ADDRESS = "127.0.0.78"


def as_json(document: Any) -> tuple[str, bytes]:
    return "application/json", json.dumps(document).encode()


def replayed_verdict(tmp_path: Path, issuer: str, jwks_uri: str, keys: list[dict[str, Any]], signing_kid: str = "sig-1") -> Any:
    discovery = {"issuer": issuer, "jwks_uri": jwks_uri, "id_token_signing_alg_values_supported": ["RS256"]}
    documents = {issuer.rstrip("/") + "/.well-known/openid-configuration": as_json(discovery), jwks_uri: as_json({"keys": keys})}
    token = tmp_path / "sample.jwt"
    token.write_text(sign(claims(iss=issuer, aud=AUDIENCE), kid=signing_kid))
    flags = ["--issuer", issuer, "--entity-id", issuer, "--audience", AUDIENCE, "--token-file", str(token), "--now", NOW.isoformat()]
    with replay(documents, address=ADDRESS, workdir=tmp_path) as served:
        return run_check([*flags, *served.arguments()])


def signing_key() -> dict[str, Any]:
    return public_jwk(rsa_key(), "sig-1", cert=certificate(rsa_key()))


def test_a_realm_publishing_an_rsa_oaep_encryption_key_passes(tmp_path: Path) -> None:
    issuer = "https://sso.acme-corp.test/realms/acme"
    encryption = public_jwk(rsa_key(seed=2), "enc-1", alg="RSA-OAEP", use="enc", cert=certificate(rsa_key(seed=2)))
    verdict = replayed_verdict(tmp_path, issuer, f"{issuer}/protocol/openid-connect/certs", [signing_key(), encryption])
    assert (verdict.exit_code, verdict.errors) == (0, frozenset()), verdict.report


def test_a_key_set_with_an_x25519_key_agreement_key_passes(tmp_path: Path) -> None:
    issuer = "https://api.payments.test"
    xdh = {"kty": "OKP", "crv": "X25519", "kid": "xdh-1", "x": b64url(bytes(range(32)))}
    verdict = replayed_verdict(tmp_path, issuer, f"{issuer}/v1/oauth2/certs", [signing_key(), xdh])
    assert (verdict.exit_code, verdict.errors) == (0, frozenset()), verdict.report


def test_a_legacy_hex_x5t_passes_and_is_named(tmp_path: Path) -> None:
    issuer = "https://login.tenant-domain.test/"
    cert = certificate(rsa_key())
    legacy = b64url(hashlib.sha1(der(cert), usedforsecurity=False).hexdigest().upper().encode())
    key = public_jwk(rsa_key(), "sig-1", cert=cert, x5t=legacy)
    verdict = replayed_verdict(tmp_path, issuer, f"{issuer}.well-known/jwks.json", [key])
    assert (verdict.exit_code, verdict.errors) == (0, frozenset()), verdict.report
    assert "jwk_x5t_hex_encoded" in {f["code"] for f in verdict.report["findings"]}


def test_a_common_key_set_still_listing_a_retired_key_with_an_expired_certificate_passes(tmp_path: Path) -> None:
    issuer = "https://login.cloud-idp.test/11111111-2222-3333-4444-555555555555/v2.0"
    expired = certificate(rsa_key(seed=5), not_before=NOW - timedelta(days=1500), not_after=NOW - timedelta(days=400))
    retired = public_jwk(rsa_key(seed=5), "retired-msa", cert=expired)
    verdict = replayed_verdict(tmp_path, issuer, "https://login.cloud-idp.test/common/discovery/v2.0/keys", [signing_key(), retired])
    assert (verdict.exit_code, verdict.errors) == (0, frozenset()), verdict.report
    assert "jwk_x5c_expired_unpinned" in {f["code"] for f in verdict.report["findings"]}
