"""After onboarding: compare the live IdP with the package Qualys Support was sent, and write the follow-up package."""
