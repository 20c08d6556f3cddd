"""oidc-onboarding's pre-onboarding validator."""

__version__ = "0.2.0"
