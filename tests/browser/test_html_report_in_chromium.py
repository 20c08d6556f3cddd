"""The HTML report in a real headless Chromium: it renders the verdict and the SVG timeline, runs nothing,
requests nothing but its own file, prints, and screenshots to a real PNG.

Needs Debian's ``chromium`` and ``chromium-driver`` and PyPI's ``selenium`` (``make test`` installs them);
when any is missing this test fails, never skips.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chromium import BrowserMissing, browser
from oidc_validator.model.findings import Finding, Severity
from oidc_validator.report.html import KeySpan, Timeline, render_html

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
# Each would fetch something or run if it were markup: the network log and window.pwned prove it is not.
BAIT = '"><img src="http://127.0.0.1:9/img" onerror="window.pwned=1"><script>window.pwned=2</script>'
SVG_BAIT = '</text></svg><svg onload="window.pwned=3"><image href="http://127.0.0.1:9/svg"/></svg>'


@contextmanager
def chromium() -> Iterator[Any]:
    try:
        with browser(performance_log=True, window=(1100, 1400)) as driver:
            yield driver
    except BrowserMissing as missing:
        pytest.fail(str(missing), pytrace=False)


def report(path: Path) -> Path:
    findings = [
        Finding("token_kid_unknown", Severity.ERROR, "token", f"The token names kid {BAIT}.", "Publish the key.", {"kid": BAIT}),
        Finding("certificate_expiring", Severity.WARNING, "jwks", "The certificate expires in 9 days.", "Renew it.", {"days": 9}),
        Finding("jwks_fetched", Severity.INFO, "jwks", "The key set was fetched.", "", {"url": "https://idp.example.com/jwks"}),
    ]
    timeline = Timeline(
        NOW,
        (
            KeySpan("current", "JWKS key, certificate in x5c", NOW - timedelta(days=20), NOW + timedelta(days=9)),
            KeySpan(SVG_BAIT, "certificate (pinned)", NOW - timedelta(days=400), NOW - timedelta(days=30)),
            KeySpan("bare", "JWKS key, no certificate", None, None),
        ),
        token_kid=BAIT,
        token_issued=NOW - timedelta(minutes=5),
        token_expires=NOW + timedelta(minutes=55),
    )
    page = render_html(title=f"Report {BAIT}", findings=findings, rows=[("IdP name", BAIT)], timeline=timeline)
    path.write_text(page, encoding="utf-8")
    return path


def requested_urls(driver: Any) -> list[str]:
    """Every URL the page asked for, from the DevTools Network.requestWillBeSent events."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_report_renders_its_verdict_and_timeline_requests_nothing_and_screenshots(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    page = report(tmp_path / "report.html")
    with chromium() as driver:
        # The browser's own start page loads chrome:// resources: leave it for a blank page, then forget its log,
        # so every request left in the log is the report's.
        driver.get("about:blank")
        requested_urls(driver)
        driver.get(page.as_uri())
        verdict = driver.find_element(By.ID, "verdict")
        assert verdict.is_displayed() and "Not ready" in verdict.text
        assert verdict.size["width"] > 0 and verdict.size["height"] > 0
        svg = driver.find_element(By.CSS_SELECTOR, "svg.timeline")
        assert svg.size["width"] > 300 and svg.size["height"] > 100
        bars = driver.find_elements(
            By.CSS_SELECTOR, "svg.timeline rect.bar-expiring, svg.timeline rect.bar-expired, svg.timeline rect.bar-token"
        )
        assert len(bars) == 3 and all(bar.size["width"] > 0 for bar in bars)
        assert driver.find_element(By.CSS_SELECTOR, "svg.timeline line.now").size["height"] > 0
        # The hostile strings are text: the title is exactly what was given, nothing ran, nothing was added.
        assert driver.title == f"Report {BAIT}"
        assert driver.execute_script("return window.pwned === undefined")
        assert driver.find_elements(By.CSS_SELECTOR, "img, script, image, iframe") == []
        assert len(driver.find_elements(By.CSS_SELECTOR, "svg")) == 1
        assert set(requested_urls(driver)) == {page.as_uri()}
        shot = tmp_path / "report.png"
        assert driver.save_screenshot(str(shot))
        pdf = base64.b64decode(driver.print_page())
    data = shot.read_bytes()
    width, height = png_size(data)
    assert width >= 800 and height >= 600 and len(data) > 20_000  # a blank page compresses to a few kilobytes
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
