"""What the bundle tests take from a running test IdP (a password grant, the Context the I/O layer would observe)
and the zips they open and rewrite. Crafted keys, certificates and Contexts are in build.py.
"""

from __future__ import annotations

import io
import ssl
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from build import AUDIENCE, EXTERNAL_ID, T0, fetched
from oidc_idp import RunningIdp
from oidc_validator.model.context import Context, Inputs, Observations, SampleToken

DEMO_CLIENT = ("demo-client", "demo-secret")
DEMO_USER = ("demo", "demo-password")
LIVE = T0 + timedelta(minutes=5)  # the IdP's clock is fixed at T0 and its tokens live an hour
TIMEOUT = httpx.Timeout(5.0)


def _verify(server: RunningIdp) -> Any:
    return ssl.create_default_context(cafile=str(server.ca_file)) if server.ca_file is not None else True


def password_grant(server: RunningIdp) -> dict[str, Any]:
    data = {"grant_type": "password", "username": DEMO_USER[0], "password": DEMO_USER[1], "scope": "openid profile"}
    response = httpx.post(server.token_endpoint, data=data, auth=DEMO_CLIENT, timeout=TIMEOUT, verify=_verify(server))
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def idp_context(server: RunningIdp, *, now: datetime, **inputs: Any) -> Context:
    """What the I/O layer would observe: discovery, the JWKS, and the tokens of a password grant."""
    discovery = httpx.get(server.discovery_url, timeout=TIMEOUT, verify=_verify(server)).json()
    jwks = httpx.get(discovery["jwks_uri"], timeout=TIMEOUT, verify=_verify(server)).json()
    grant = password_grant(server)
    fields: dict[str, Any] = {
        "idp_name": "Test IdP",
        "entity_id": server.issuer,
        "issuer": server.issuer,
        "audiences": (AUDIENCE,),
        "external_id": EXTERNAL_ID,
        "tokens": (
            SampleToken(grant["access_token"], "access_token", "password grant"),
            SampleToken(grant["id_token"], "id_token", "password grant"),
        ),
        "token_requested": True,
        **inputs,
    }
    observations = Observations(
        discovery=fetched(server.discovery_url, discovery),
        jwks=fetched(discovery["jwks_uri"], jwks),
        jwks_url_used=discovery["jwks_uri"],
    )
    return Context(Inputs(**fields), observations, now)


def unzip(data: bytes | Path) -> dict[str, bytes]:
    raw = data.read_bytes() if isinstance(data, Path) else data
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(files: dict[str, bytes], path: Path) -> Path:
    """A bundle rewritten by hand (what tampering looks like)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path
