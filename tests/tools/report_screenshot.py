"""``make screenshot``: render docs/report-screenshot.png, the HTML report of a check against the test IdP.

Starts the embedded test IdP over TLS with scenarios that give the report something to show (a key
rotation in progress, the signing certificate expiring in 10 days, access tokens for the wrong audience),
runs ``oidc-validator check --format html`` with the password grant, and has headless Chromium (Debian's,
as the browser tests use) take a screenshot of the top of the page. The clock is fixed, so the page is the same
every time; the PNG may still differ by a few pixels from one Chromium version to the next.

Run from the repository root: ``make screenshot`` (or ``PYTHONPATH=tests/support .venv/bin/python
tests/tools/report_screenshot.py [OUT.png]``).
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from chromium import browser
from oidc_idp import Clock, running
from oidc_idp.config import DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_USERNAME
from oidc_validator.cli.main import main as validator
from oidc_validator.observe.environment import Environment

OUT = Path("docs/report-screenshot.png")
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SCENARIOS = ("rotation_in_progress", "certificate_expiring_soon", "wrong_audience")
WIDTH, HEIGHT = 1100, 1650  # the summary, the timeline, the error and the warning; the info findings follow below the fold


def report_html(directory: Path) -> str:
    """The page ``check --format html`` prints for the test IdP with SCENARIOS active."""
    with running(tls=True, clock=Clock(fixed=NOW), keys_dir=directory / "keys") as idp, idp.scenario(*SCENARIOS):
        argv = [
            "check", "--idp-name", "Demo IdP", "--entity-id", idp.issuer, "--issuer", idp.issuer,
            "--audience", DEFAULT_AUDIENCE, "--external-id", "demo@example.com",
            "--client-id", DEFAULT_CLIENT_ID, "--client-secret-env", "DEMO_CLIENT_SECRET",
            "--username", DEFAULT_USERNAME, "--password-env", "DEMO_PASSWORD",
            "--ca-file", str(idp.ca_file), "--now", NOW.isoformat(), "--format", "html",
        ]  # fmt: skip
        environ = {"DEMO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET, "DEMO_PASSWORD": DEFAULT_PASSWORD}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = validator(argv, Environment(stdin=io.StringIO(), environ=environ))
    if code not in (0, 1):
        raise SystemExit(f"check could not run (exit {code})")
    return out.getvalue()


def screenshot(page: Path, png: Path, *, size: tuple[int, int] = (WIDTH, HEIGHT)) -> bytes:
    """A PNG of the top of ``page`` in headless Chromium, at ``size``."""
    with browser(window=size) as driver:
        driver.get(page.resolve().as_uri())
        data: bytes = driver.get_screenshot_as_png()
    png.parent.mkdir(parents=True, exist_ok=True)
    png.write_bytes(data)
    return data


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    with tempfile.TemporaryDirectory(prefix="report-screenshot-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(report_html(Path(tmp)), encoding="utf-8")
        data = screenshot(page, out)
    print(f"wrote {out} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
