"""The onboarding package for Qualys Support (``oidc-validator bundle``) and its verifier (``verify-bundle``).

Names load on first use (PEP 562), so ``oidc_validator.bundle.limits`` stays cheap for ``--help``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from oidc_validator.bundle.limits import KEY_SOURCES, MAX_CERTIFICATES, KeySourceName

if TYPE_CHECKING:
    from oidc_validator.bundle.archive import write_zip, zip_bytes
    from oidc_validator.bundle.codes import BUNDLE_CATALOGUE
    from oidc_validator.bundle.contents import BundleOptions, build_contents
    from oidc_validator.bundle.errors import BundleError
    from oidc_validator.bundle.verify import verify_bundle, verify_files

_WHERE = {
    "write_zip": "archive",
    "zip_bytes": "archive",
    "BUNDLE_CATALOGUE": "codes",
    "BundleOptions": "contents",
    "build_contents": "contents",
    "BundleError": "errors",
    "verify_bundle": "verify",
    "verify_files": "verify",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUNDLE_CATALOGUE",
    "KEY_SOURCES",
    "MAX_CERTIFICATES",
    "BundleError",
    "BundleOptions",
    "KeySourceName",
    "build_contents",
    "verify_bundle",
    "verify_files",
    "write_zip",
    "zip_bytes",
]
