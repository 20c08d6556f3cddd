"""The onboarding package for Qualys Support (``oidc-validator bundle``) and its verifier (``verify-bundle``)."""

from .archive import write_zip, zip_bytes
from .codes import BUNDLE_CATALOGUE
from .contents import BundleOptions, build_contents
from .errors import BundleError
from .keysource import KEY_SOURCES, MAX_CERTIFICATES, KeySourceName
from .verify import verify_bundle, verify_files

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
