"""The codes verify-bundle reports about the package itself (area ``bundle``), in a table of their own.

Key checks on the bundled material reuse the validator's own JWKS and certificate checks and
report under their codes; these codes cover what only a bundle can get wrong.
"""

from __future__ import annotations

from oidc_validator.model.findings import Catalogue, Code, Severity

AREA = "bundle"
BUNDLE_CATALOGUE = Catalogue()

_REBUILD = "Build the bundle again with oidc-validator bundle; never edit a bundle by hand."


def _register(code: str, severity: Severity, meaning: str, fix: str = _REBUILD) -> Code:
    return BUNDLE_CATALOGUE.register(code, severity, AREA, meaning, fix)


UNREADABLE = _register("bundle_unreadable", Severity.ERROR, "The file is not a readable zip archive.")
ENTRY_UNSAFE = _register(
    "bundle_entry_unsafe",
    Severity.ERROR,
    "An entry name is absolute (also as a Windows path: C:/..., C:name, \\\\server), climbs out with '..', "
    "holds a backslash or control character, or appears twice: the archive was not made by this tool.",
)
ENTRY_NOT_ALLOWED = _register(
    "bundle_entry_not_allowed",
    Severity.ERROR,
    "An entry's name is not one bundle writes (REQUEST.md, onboarding.json, report.json, report.txt, report.html, jwks.json, SHA256SUMS, "
    "sample-token-expired.jwt, certs/<kid>.pem): something was added. SHA256SUMS proves integrity, not origin, so a listed "
    "extra file is refused all the same.",
)
ENTRY_CASE_TWIN = _register(
    "bundle_entry_case_twin",
    Severity.ERROR,
    "Two entry names differ only in letter case (request.md beside REQUEST.md): on a case-insensitive file system one "
    "would overwrite the other when the package is unpacked.",
)
ENTRY_MODE = _register(
    "bundle_entry_mode",
    Severity.ERROR,
    "An entry is not a plain, non-executable regular file: a symbolic link, a directory or device, setuid/setgid/sticky, "
    "or executable. bundle writes every entry as a regular file with mode 0644.",
)
ENTRY_TOO_LARGE = _register(
    "bundle_entry_too_large", Severity.ERROR, "An entry is larger than any file a bundle holds (possible zip bomb); it was not read."
)
CHECKSUMS_MISSING = _register("bundle_checksums_missing", Severity.ERROR, "SHA256SUMS is missing, so no file can be trusted.")
CHECKSUMS_MALFORMED = _register("bundle_checksums_malformed", Severity.ERROR, "A line of SHA256SUMS is not '<64 hex>  <name>'.")
FILE_TAMPERED = _register(
    "bundle_file_tampered", Severity.ERROR, "A file's SHA-256 differs from SHA256SUMS: it changed after the bundle was made."
)
FILE_MISSING = _register("bundle_file_missing", Severity.ERROR, "A file listed in SHA256SUMS is not in the archive.")
FILE_UNLISTED = _register(
    "bundle_file_unlisted", Severity.ERROR, "A file in the archive is not listed in SHA256SUMS: it was added afterwards."
)
REQUIRED_MISSING = _register(
    "bundle_required_file_missing",
    Severity.ERROR,
    "A file every bundle has (REQUEST.md, onboarding.json, report.json, report.txt, report.html) is missing.",
)
ONBOARDING_INVALID = _register(
    "bundle_onboarding_invalid", Severity.ERROR, "onboarding.json is not valid JSON or does not follow the onboarding JSON Schema."
)
REPORT_INVALID = _register(
    "bundle_report_invalid",
    Severity.ERROR,
    "report.json is not valid JSON or does not follow the report JSON Schema (schemas/report.schema.json).",
)
TEXT_INCONSISTENT = _register(
    "bundle_text_inconsistent",
    Severity.ERROR,
    "REQUEST.md, report.txt or report.html says something other than onboarding.json and report.json: it was edited after "
    "the bundle was made.",
)
TEXT_NOT_REDERIVED = _register(
    "bundle_text_not_rederived",
    Severity.INFO,
    "The bundle was made by another version of the tool, so REQUEST.md, report.txt and report.html were not derived again for comparison.",
    "Nothing to fix; verify with the version that made the bundle to compare the texts too.",
)
JWKS_INVALID = _register("bundle_jwks_invalid", Severity.ERROR, 'jwks.json is not a JSON key set {"keys": [...]}.')
SECRET = _register(
    "bundle_secret",
    Severity.ERROR,
    "A file holds secret material: a PEM private key, private JWK members (d p q dp dq qi oth k) at any depth of any "
    "JSON file, or a credential assignment such as client_secret=...; every file and every JSON string is scanned.",
    "Do not send this bundle. Rotate the exposed key, then build a new bundle with oidc-validator bundle.",
)
LIVE_TOKEN = _register(
    "bundle_live_token",
    Severity.ERROR,
    "A file (or a string of a JSON file) holds a token that has not expired, or expired less than the stand-in's leeway "
    "ago, by --now or the real clock: a live token is a credential.",
    "Do not send this bundle; build it again without --include-token, or once the token has expired. "
    "If you did not put the token there, treat it as leaked: revoke it.",
)
CERT_FILE_MISSING = _register(
    "bundle_certificate_file_missing", Severity.ERROR, "onboarding.json names a certificate file the archive does not hold."
)
CERT_UNLISTED = _register(
    "bundle_certificate_unlisted", Severity.ERROR, "A certs/ file is not described in onboarding.json, so its kid is unknown."
)
CERT_UNREADABLE = _register("bundle_certificate_unreadable", Severity.ERROR, "A certificate file is not one PEM X.509 certificate.")
CERT_FACTS_MISMATCH = _register(
    "bundle_certificate_facts_mismatch",
    Severity.ERROR,
    "onboarding.json's facts about a certificate (fingerprint, x5t#S256, dates) are not the file's.",
)
TOKEN_KID_NOT_BUNDLED = _register(
    "bundle_token_kid_not_bundled",
    Severity.ERROR,
    "The sample token is signed under a kid for which the bundle sends no key for OIDC: Qualys would reject such tokens.",
    "Include that kid's certificate (--use-kid KID) or send the JWKS URL (--key-source jwks_url).",
)
TOKEN_KID_NOT_IN_SNAPSHOT = _register(
    "bundle_token_kid_not_in_jwks",
    Severity.WARNING,
    "The sample token's kid is not in the bundled jwks.json snapshot; Qualys polls the live URL, which may have it by now.",
    "Check that the IdP publishes the token's kid at the JWKS URL, then build the bundle again.",
)
ERRORS_REMAIN = _register(
    "bundle_errors_remain",
    Severity.WARNING,
    "The bundle was written with --allow-errors: its validation report still has errors.",
    "Read REQUEST.md's opening list; fix them and build the bundle again if you can.",
)
VERIFIED = _register(
    "bundle_verified", Severity.INFO, "Every file matches SHA256SUMS and onboarding.json follows the schema.", "Nothing to fix."
)
