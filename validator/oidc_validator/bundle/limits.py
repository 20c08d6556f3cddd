"""Qualys' limits on the onboarding package, importable without loading the bundle machinery."""

from __future__ import annotations

from typing import Literal

KeySourceName = Literal["jwks_url", "certificates"]
KEY_SOURCES: tuple[KeySourceName, ...] = ("jwks_url", "certificates")
MAX_CERTIFICATES = 5  # the onboarding page: "Up to 5 certificates can be provided"
