"""The onboarding package for Qualys Support (``oidc-validator bundle``) and its verifier (``verify-bundle``).

Nothing is imported here, so ``oidc_validator.bundle.limits`` stays cheap for ``--help``.
"""
