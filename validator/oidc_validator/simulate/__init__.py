"""The Qualys-side stand-in (``oidc-validator simulate``): verify Bearer JWTs as Qualys would, map them to users."""

from .config import StandInConfig, load_bundle, parse_users
from .decide import Decision, decide
from .keyring import CertificateKeys, JwksKeys, Keyring

__all__ = ["CertificateKeys", "Decision", "JwksKeys", "Keyring", "StandInConfig", "decide", "load_bundle", "parse_users"]
