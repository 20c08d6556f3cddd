"""oidc-onboarding's test identity provider."""

from .clock import Clock
from .config import IdpConfig, build_config
from .embedded import running
from .errors import IdpError
from .server import RunningIdp

__all__ = ["Clock", "IdpConfig", "IdpError", "RunningIdp", "build_config", "running"]
__version__ = "0.1.0"
