"""Why a bundle could not be built or read: one-line messages that say what to do, never a traceback."""

from __future__ import annotations

from oidc_validator.errors import ValidatorError


class BundleError(ValidatorError):
    """The bundle was not written (or cannot be read). ``code`` is stable snake_case, e.g.

    ``too_many_certificates``, ``no_certificates_available``, ``unpaired_certificate``, ``unknown_kid``,
    ``no_jwks_url``, ``no_key_material``, ``live_token_refused``, ``no_sample_token``,
    ``secret_in_bundle``, ``bundle_unwritable``, ``bundle_not_found``.
    """

    code = "bundle_error"
