"""The one table of what an onboarding package may hold: its entry names and their file mode.

``bundle`` writes only names this table allows (contents.py asserts it before the guard runs), and
``verify-bundle`` refuses any entry it does not allow, so both read the same list rather than two
that could drift apart.
"""

from __future__ import annotations

import re
import stat

SAMPLE_TOKEN_FILE = "sample-token-expired.jwt"  # noqa: S105 - a file name, not a secret
CERT_DIR = "certs/"

# Every bundle has these.
REQUIRED = ("REQUEST.md", "onboarding.json", "report.json", "report.txt")
# Written since 0.2.0. Packages of earlier versions were sent to Support without it and stay valid: drift
# reads them back as the record of what Qualys holds.
REPORT_HTML = "report.html"
REPORT_HTML_SINCE = (0, 2)
# The names bundle may write, beside the certificates: REQUIRED, the checksums, the key set snapshot
# (when a JWKS was fetched) and the expired sample token (with --include-token).
FIXED_NAMES = (*REQUIRED, REPORT_HTML, "SHA256SUMS", "jwks.json", SAMPLE_TOKEN_FILE)
# certs/<stem>.pem, with the stem material.file_stem makes from a kid: no leading dot, no separators.
CERTIFICATE_NAME = re.compile(r"certs/[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}\.pem")

# Regular files, read-only for group and others, never executable (archive.zip_bytes writes exactly this).
FILE_MODE = 0o644
_EXECUTE_BITS = 0o111
_DOS_DIRECTORY = 0x10  # the MS-DOS attribute byte (low byte of external_attr)


def required_names(tool_version: object) -> tuple[str, ...]:
    """The entries a package made by ``tool_version`` must hold (an unreadable version must hold them all)."""
    try:
        made_by = tuple(int(part) for part in str(tool_version).split(".")[:2])
    except ValueError:
        made_by = REPORT_HTML_SINCE
    return (*REQUIRED, REPORT_HTML) if made_by >= REPORT_HTML_SINCE else REQUIRED


def certificate_file(stem: str) -> str:
    return f"{CERT_DIR}{stem}.pem"


def is_allowed_name(name: str) -> bool:
    """Whether ``bundle`` could have written an entry of this name (exact case: the writer's names are fixed)."""
    return name in FIXED_NAMES or CERTIFICATE_NAME.fullmatch(name) is not None


def mode_problem(external_attr: int) -> str | None:
    """Why an entry's attributes are not a plain, non-executable regular file; None when they are.

    Mode 0 (an archiver that records no Unix mode) counts as a plain file: it asks for nothing special.
    """
    mode = external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "a symbolic link"
    if kind not in (0, stat.S_IFREG) or external_attr & _DOS_DIRECTORY:
        return "not a regular file"
    if mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX):
        return f"setuid, setgid or sticky (mode {mode & 0o7777:04o})"
    if mode & _EXECUTE_BITS:
        return f"executable (mode {mode & 0o7777:04o})"
    return None
