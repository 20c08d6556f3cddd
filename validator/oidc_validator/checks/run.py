"""The one table of checks: every code in CATALOGUE, every check in CHECKS, run by run_checks.

Import CATALOGUE from here, not from ``base``: importing this module imports every area module, so every code is registered.

Each area module registers its codes into CATALOGUE (defined in ``base`` so the modules can import it
without a cycle) and exposes small pure check functions; CHECKS fixes their order, so reports are stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from oidc_validator.checks import certificates, discovery, entity, issuer, jwks, jwks_x5c, keysource, mapping, token, token_claims, vendor
from oidc_validator.checks.base import CATALOGUE
from oidc_validator.model.context import Context
from oidc_validator.model.findings import Finding, Severity

INTERNAL_ERROR = CATALOGUE.register(
    "internal_error",
    Severity.ERROR,
    "internal",
    "A check failed unexpectedly; the other checks still ran, but this one's verdict is unknown.",
    "Please report this as a bug of the validator, with the check name from the evidence (not the token).",
)

CHECKS: tuple[Callable[[Context], Iterable[Finding]], ...] = (
    entity.check_entity_id,
    entity.check_entity_issuer_relation,
    issuer.check_issuer_given,
    issuer.check_issuer_form,
    issuer.check_discovery_issuer,
    issuer.check_token_iss,
    discovery.check_discovery_fetched,
    discovery.check_discovery_members,
    discovery.check_jwks_url_matches_discovery,
    discovery.check_alg_advertised,
    jwks.check_jwks_fetched,
    jwks.check_kids,
    jwks.check_keys,
    jwks.check_private_material,
    jwks_x5c.check_certificates_in_jwks,
    certificates.check_certificate_files,
    certificates.check_certificate_validity,
    certificates.check_certificate_pairing,
    certificates.check_jwks_keys_have_certificates,
    keysource.check_key_source,
    token.check_tokens_given,
    token.check_token_form,
    token.check_token_signature,
    token_claims.check_audience_given,
    token_claims.check_token_audience,
    token_claims.check_token_dates,
    mapping.check_external_id,
    mapping.check_entra_sub,
    vendor.check_vendor,
)


def run_checks(ctx: Context, checks: Iterable[Callable[[Context], Iterable[Finding]]] = CHECKS) -> list[Finding]:
    """Run every check and collect every finding, in CHECKS order; a check that crashes becomes an internal_error finding."""
    findings: list[Finding] = []
    for check in checks:
        name = f"{getattr(check, '__module__', '?')}.{getattr(check, '__qualname__', repr(check))}"
        try:
            findings.extend(check(ctx))
        except Exception as exc:
            # Only the exception type: its text could quote token or key material.
            findings.append(
                INTERNAL_ERROR.finding(
                    f"The check {name} failed unexpectedly ({type(exc).__name__}).", check=name, exception=type(exc).__name__
                )
            )
    return findings


__all__ = ["CATALOGUE", "CHECKS", "INTERNAL_ERROR", "run_checks"]
