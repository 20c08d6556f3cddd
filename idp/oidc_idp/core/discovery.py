"""The discovery document (OpenID Connect Discovery 1.0 section 3), listing only what is enabled.

A peer's common defect is a discovery that advertises what the server does not do
(algorithms without keys, PKCE it does not enforce); every list here is computed from
the config and the key set, and an endpoint appears only when its route exists.
"""

from __future__ import annotations

from typing import Any

from oidc_idp.config import RESPONSE_MODES, IdpConfig
from oidc_idp.keys.client_keys import ASSERTION_ALGORITHMS

BASE_CLAIMS = {"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "azp", "auth_time"}


def _union(values: Any) -> list[str]:
    return sorted({v for group in values for v in group})


def enabled_endpoints(cfg: IdpConfig) -> set[str]:
    """The optional endpoints this issuer serves; the app routes exactly these, discovery lists exactly these."""
    enabled = set()
    if cfg.grant_enabled("authorization_code"):
        enabled |= {"authorize", "end_session"}
    if cfg.introspection_enabled and any(m != "none" for c in cfg.clients for m in c.token_endpoint_auth_methods):
        enabled.add("introspect")
    if cfg.revocation_enabled:
        enabled.add("revoke")
    return enabled


def discovery_document(cfg: IdpConfig, signing_algorithms: list[str], user_claims: set[str]) -> dict[str, Any]:
    enabled = enabled_endpoints(cfg)
    code = "authorize" in enabled
    methods = _union(c.token_endpoint_auth_methods for c in cfg.clients)
    doc: dict[str, Any] = {
        "issuer": cfg.issuer,
        "jwks_uri": cfg.endpoint_url("jwks"),
        "token_endpoint": cfg.endpoint_url("token"),
        "userinfo_endpoint": cfg.endpoint_url("userinfo"),
        "grant_types_supported": _union(c.grant_types for c in cfg.clients),
        "token_endpoint_auth_methods_supported": methods,
        "scopes_supported": _union(c.scopes for c in cfg.clients),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": signing_algorithms,
        "claims_supported": sorted(BASE_CLAIMS | ({"nonce", "at_hash"} if code else set()) | user_claims),
    }
    if "private_key_jwt" in methods:
        doc["token_endpoint_auth_signing_alg_values_supported"] = list(ASSERTION_ALGORITHMS)
    if code:
        code_clients = [c for c in cfg.clients if "authorization_code" in c.grant_types]
        doc["authorization_endpoint"] = cfg.endpoint_url("authorize")
        doc["response_types_supported"] = ["code"]
        doc["response_modes_supported"] = list(RESPONSE_MODES)
        doc["code_challenge_methods_supported"] = _union(c.pkce_methods for c in code_clients)
        doc["prompt_values_supported"] = ["none", "login"]
        doc["authorization_response_iss_parameter_supported"] = True  # RFC 9207
        doc["end_session_endpoint"] = cfg.endpoint_url("end_session")
    confidential = [m for m in methods if m != "none"]
    if "introspect" in enabled:
        doc["introspection_endpoint"] = cfg.endpoint_url("introspect")
        doc["introspection_endpoint_auth_methods_supported"] = confidential
    if "revoke" in enabled:
        doc["revocation_endpoint"] = cfg.endpoint_url("revoke")
        doc["revocation_endpoint_auth_methods_supported"] = methods
    return doc
