"""The codes ``oidc-validator drift`` reports (area ``drift``), in a table of their own that docs/checks.md lists.

Severity follows what Qualys does with the next token: error when it rejects tokens now,
warning when it will (a certificate about to expire, a key published but not yet signing),
info when nothing needs sending.
"""

from __future__ import annotations

from oidc_validator.model.findings import Catalogue, Code, Severity

AREA = "drift"
DRIFT_CATALOGUE = Catalogue()

_SEND_UPDATE = (
    "Write the follow-up package with 'oidc-validator drift --bundle ONBOARDED.zip --update-bundle NEW.zip' and send it to Qualys Support."
)


def _register(code: str, severity: Severity, meaning: str, fix: str = _SEND_UPDATE) -> Code:
    return DRIFT_CATALOGUE.register(code, severity, AREA, meaning, fix)


TOKEN_KID_NOT_PINNED = _register(
    "drift_token_kid_not_pinned",
    Severity.ERROR,
    "Tokens are signed under a kid whose certificate the onboarded (certificate-mode) package does not hold for OIDC: "
    "Qualys rejects them now. This is what a key rotation does to pinned certificates.",
)
TOKEN_KID_NOT_PUBLISHED = _register(
    "drift_token_kid_not_published",
    Severity.ERROR,
    "Tokens are signed under a kid the JWKS does not publish: Qualys polls the JWKS URL and cannot find the key, so it "
    "rejects them now (a rotation that signs before it publishes).",
    "Publish the new key in the JWKS before signing with it (most IdPs pre-publish the next key); nothing needs sending to Qualys.",
)
NO_PINNED_KEY_PUBLISHED = _register(
    "drift_no_pinned_key_published",
    Severity.ERROR,
    "None of the keys the certificate-mode package pins for OIDC is in the JWKS any more: whatever the IdP signs now, "
    "it signs with a key Qualys does not have, so every token is rejected (with or without a sample token to show it).",
    "Write the follow-up package with 'oidc-validator drift --bundle ONBOARDED.zip --update-bundle NEW.zip' and send it to "
    "Qualys Support. An IdP that rotates this often (Entra: every few weeks) is better onboarded by its JWKS URL, which "
    "Qualys follows by itself: add --key-source jwks_url.",
)
PINNED_KEY_CHANGED = _register(
    "drift_pinned_key_changed",
    Severity.ERROR,
    "A kid the package pins now names a different public key in the JWKS: tokens under that kid fail the signature "
    "check against the pinned certificate.",
)
ISSUER_CHANGED = _register(
    "drift_issuer_changed",
    Severity.ERROR,
    "The issuer differs from the onboarded one (in discovery or in the tokens' iss): Qualys compares iss exactly and rejects the tokens.",
)
JWKS_URI_CHANGED = _register(
    "drift_jwks_uri_changed",
    Severity.ERROR,
    "Discovery announces another jwks_uri than the JWKS URL Qualys was given: Qualys keeps polling the old one and "
    "will not see the keys published at the new one.",
)
AUDIENCE_CHANGED = _register(
    "drift_audience_changed",
    Severity.ERROR,
    "The tokens' aud holds none of the onboarded audiences: Qualys rejects them.",
)
CERTIFICATE_EXPIRED = _register(
    "drift_certificate_expired",
    Severity.ERROR,
    "A pinned certificate for OIDC has expired: Qualys no longer accepts tokens verified by it.",
    "Renew the IdP's signing certificate, then send the follow-up package (oidc-validator drift --update-bundle NEW.zip).",
)
CERTIFICATE_EXPIRING = _register(
    "drift_certificate_expiring",
    Severity.WARNING,
    "A pinned certificate for OIDC expires within --warn-days: Qualys starts rejecting tokens on that date.",
    "Renew the certificate (or plan the rotation) and send the follow-up package to Qualys Support before that date.",
)
NEW_KEY_NOT_PINNED = _register(
    "drift_new_key_not_pinned",
    Severity.WARNING,
    "The JWKS publishes a signing key that the certificate-mode package lacks; no sample token is signed with it yet, "
    "but the first one that is will be rejected.",
)
JWKS_UNREACHABLE = _register(
    "drift_jwks_unreachable",
    Severity.ERROR,
    "The JWKS URL Qualys polls cannot be fetched (or is not a key set): Qualys cannot fetch the keys either.",
    "Make the JWKS URL answer again with the key set (check the URL, the IdP's status and the TLS certificate).",
)
JWKS_UNOBSERVED = _register(
    "drift_jwks_unobserved",
    Severity.WARNING,
    "The live JWKS could not be fetched, so rotations cannot be seen; the pinned certificates were still checked for expiry.",
    "Make the key set readable from here so the next run can compare keys: give the JWKS URL (--jwks-url) or an issuer "
    "with discovery; --ca-file or --resolve for a private setup; --max-body-bytes for a key set over the size cap.",
)
DISCOVERY_UNREACHABLE = _register(
    "drift_discovery_unreachable",
    Severity.WARNING,
    "The discovery document could not be fetched, so the issuer and jwks_uri could not be compared with the package.",
    "Check that the issuer's /.well-known/openid-configuration answers from here (--ca-file, --resolve for private setups).",
)
KEY_REMOVED = _register(
    "drift_key_removed",
    Severity.INFO,
    "A key the package holds is no longer in the JWKS (a finished rotation). Harmless while no token is signed with it.",
    "Nothing to do now; the next follow-up package drops it.",
)
ROTATION_FOLLOWED = _register(
    "drift_rotation_followed",
    Severity.INFO,
    "The JWKS publishes keys that were not there at onboarding, and the package gave Qualys the JWKS URL: "
    "Qualys follows the rotation by itself.",
    "Nothing to send.",
)

# Warnings that say what drift could not see, not what Qualys will do: the summary line tells them apart.
BLIND_SPOTS = frozenset({JWKS_UNOBSERVED.code, DISCOVERY_UNREACHABLE.code})
