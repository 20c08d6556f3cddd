"""The Qualys-side stand-in (``oidc-validator simulate``): verify Bearer JWTs as Qualys would, map them to users."""

from oidc_validator.simulate.config import StandInConfig, load_bundle, parse_users
from oidc_validator.simulate.decide import Decision, decide
from oidc_validator.simulate.keyring import CertificateKeys, JwksKeys, Keyring

__all__ = ["CertificateKeys", "Decision", "JwksKeys", "Keyring", "StandInConfig", "decide", "load_bundle", "parse_users"]
