"""oidc-onboarding's test identity provider.

The package face is lazy: ``import oidc_idp`` (and so the pytest plugin) loads no web
framework until one of these names is used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oidc_idp.config import IdpConfig, build_config
    from oidc_idp.core.clock import Clock
    from oidc_idp.errors import IdpError
    from oidc_idp.run.embedded import running
    from oidc_idp.run.server import RunningIdp

__all__ = ["Clock", "IdpConfig", "IdpError", "RunningIdp", "build_config", "running"]
__version__ = "0.2.0"

_HOMES = {
    "Clock": "oidc_idp.core.clock",
    "IdpConfig": "oidc_idp.config",
    "build_config": "oidc_idp.config",
    "IdpError": "oidc_idp.errors",
    "running": "oidc_idp.run.embedded",
    "RunningIdp": "oidc_idp.run.server",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'oidc_idp' has no attribute {name!r}")
    return getattr(import_module(home), name)
