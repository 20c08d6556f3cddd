"""The bench's floors are only floors if they do the work they claim: sign with the IdP's key, refuse bad signatures."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import jwt

from asgikit import request
from oidc_idp import running

FLOOR = Path(__file__).with_name("floor_app.py")


def _floor_app(keys_dir: Path) -> Any:
    spec = importlib.util.spec_from_file_location("floor_app", FLOOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.floor_app(keys_dir)


def test_the_sign_floor_signs_with_the_idps_key_and_the_verify_floor_checks_the_signature(tmp_path: Path) -> None:
    with running(keys_dir=tmp_path / "keys") as idp:
        app = _floor_app(tmp_path / "keys")
        signed = request(app, "POST", "/sign", content=b"grant_type=client_credentials")
        token = signed.json()["access_token"]
        # Verified independently of the floor, with the IdP's published key.
        jwks = jwt.PyJWKClient(idp.jwks_uri).get_signing_key_from_jwt(token)
        assert jwt.decode(token, jwks.key, algorithms=["RS256"], audience="https://qualys.example/api")["sub"] == "demo-client"
        idp_token = idp.issue(sub="demo@example.com")
        good = request(app, "GET", "/verify", headers={"Authorization": f"Bearer {idp_token}"})
        tampered = request(app, "GET", "/verify", headers={"Authorization": f"Bearer {idp_token[:-6]}AAAAAA"})
        garbage = request(app, "GET", "/verify", headers={"Authorization": "Bearer not-a-token"})
    assert good.status_code == 200
    assert tampered.status_code == garbage.status_code == 401


def test_the_cold_start_floors_answer_a_jwks_and_stop_on_sigint() -> None:
    import json
    import subprocess
    import sys

    import httpx

    from processes import ready_line, stop

    for mode in ("asyncio", "uvicorn"):
        proc = subprocess.Popen([sys.executable, str(FLOOR.with_name("cold_floor.py")), mode], stdout=subprocess.PIPE, text=True)
        try:
            ready = json.loads(ready_line(proc, 30))
            assert "keys" in httpx.get(ready["jwks_uri"], timeout=5).json()
        finally:
            stop(proc)
        assert proc.returncode == 0
