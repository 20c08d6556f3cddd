"""Qualys' limits on the onboarding package, importable without loading the bundle machinery."""

from __future__ import annotations

from typing import Literal

KeySourceName = Literal["jwks_url", "certificates"]
KEY_SOURCES: tuple[KeySourceName, ...] = ("jwks_url", "certificates")
MAX_CERTIFICATES = 5  # the onboarding page: "Up to 5 certificates can be provided"
# How long past exp a token still counts as live. The Qualys stand-in (simulate.config.StandInConfig.leeway_seconds)
# accepts tokens this long after exp, as relying parties allow for clock skew, so the bundle must treat them as
# credentials for as long (tests/validator/test_bundle_liveness.py keeps the two equal).
TOKEN_LEEWAY_SECONDS = 60
