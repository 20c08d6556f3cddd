"""``idp.running()``: a test IdP for any Python test, without pytest."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oidc_idp.config import build_config, default_issuer
from oidc_idp.core.clock import Clock, clock_from_values
from oidc_idp.keys.keystore import KeyStore
from oidc_idp.run.server import RunningIdp, bind, running_in_thread


@contextmanager
def running(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = False,
    keys_dir: str | Path | None = None,
    issuer: str | None = None,
    clock: Clock | None = None,
    seed_keys: str | Path | None = None,
    **config: Any,
) -> Iterator[RunningIdp]:
    """Start a test IdP in a thread on a free loopback port; stop it when the block ends.

    ``config`` takes any IdpConfig field (``alg``, ``clients``, ``users``, ``access_token_ttl_seconds``...).
    Without ``keys_dir`` the keys live in a temporary directory removed afterwards.
    ``seed_keys`` copies pre-generated keys (e.g. ``fixtures/keys``) there first, so
    starting costs no key generation.
    """
    if config.get("admin_enabled"):
        from oidc_idp.web.admin import check_admin_allowed  # FastAPI's module: only when the control API is asked for

        check_admin_allowed(host)
    with tempfile.TemporaryDirectory(prefix="oidc-idp-") as tmp:
        directory = Path(keys_dir) if keys_dir is not None else Path(tmp) / "keys"
        if seed_keys is not None:
            KeyStore(directory).seed(Path(seed_keys))
        listener = bind(host, port, tls_dir=directory / "tls" if tls else None, clock=clock or clock_from_values(config))
        try:
            cfg = build_config({"issuer": issuer or default_issuer(config, listener.base_url), "keys_dir": directory, **config})
        except Exception:
            listener.sock.close()
            raise
        with running_in_thread(cfg, listener, clock=clock) as server:
            yield server
