"""Several issuers on one server: one IdpService per issuer, each under its own path with its own keys.

The ``[[issuers]]`` tables become full configs (``IdpConfig.issuer_configs``); what is
server-wide (clock, lifetimes, CORS, the admin API) is shared, so one process can
stand in for several IdPs in a test.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from oidc_idp.config import IdpConfig
from oidc_idp.core.clock import Clock
from oidc_idp.core.service import IdpService
from oidc_idp.keys.keystore import KeyStore


def build_services(config: IdpConfig, clock: Clock) -> dict[str | None, IdpService]:
    """The main issuer under ``None``, then each extra issuer under its id; all share the one clock."""
    services: dict[str | None, IdpService] = {}
    ids: list[str | None] = [None, *(i.id for i in config.issuers)]
    for issuer_id, cfg in zip(ids, config.issuer_configs(), strict=True):
        services[issuer_id] = IdpService(cfg, KeyStore(cfg.keys_dir), clock, issuer_id=issuer_id)
    return services


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Any loopback origin, any port (what a zero-config web app runs on); fullmatched by Starlette.
LOOPBACK_ORIGIN_REGEX = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?"


def cors_origin_regex(config: IdpConfig) -> str | None:
    """Loopback origins, by default, when a client accepts loopback redirect URIs (the default clients do)."""
    if config.cors_allowed_origins is not None:
        return None
    loopback = any(c.loopback_redirect_uris for cfg in config.issuer_configs() for c in cfg.clients)
    return LOOPBACK_ORIGIN_REGEX if loopback else None


def cors_origins(config: IdpConfig) -> list[str]:
    """The configured origins, or by default every client's redirect URI origin (across all issuers)."""
    if config.cors_allowed_origins is not None:
        return list(config.cors_allowed_origins)
    origins = {origin_of(uri) for cfg in config.issuer_configs() for c in cfg.clients for uri in c.redirect_uris}
    return sorted(o for o in origins if o.startswith(("http://", "https://")))
