"""Debian's headless Chromium driven by selenium, for the browser tests and the docs' screenshot.

Needs Debian's ``chromium`` and ``chromium-driver`` and PyPI's ``selenium``. ``browser()`` raises
``BrowserMissing`` naming what to install; the tests turn that into a failure (never a skip), so a
machine without a browser cannot pass them by accident.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = "install them with: apt-get install -y chromium chromium-driver && pip install selenium (make test does both)"


class BrowserMissing(RuntimeError):
    pass


@contextmanager
def browser(*, performance_log: bool = False, window: tuple[int, int] | None = None) -> Iterator[Any]:
    """A headless Chrome WebDriver; ``performance_log`` records the DevTools events (Network.*) for get_log("performance")."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(path)]
    if missing:
        raise BrowserMissing(f"the browser test needs {', '.join(missing)}; {INSTALL_HINT}")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise BrowserMissing(f"the browser test needs the selenium package; {INSTALL_HINT}") from None
    # Selenium Manager must never download a browser or a driver: everything comes from Debian.
    previous = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "1"
    with tempfile.TemporaryDirectory(prefix="oidc-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
        ]
        if window is not None:
            flags.append(f"--window-size={window[0]},{window[1]}")
        for flag in flags:
            options.add_argument(flag)
        if performance_log:
            options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        try:
            driver.set_page_load_timeout(30)
            yield driver
        finally:
            driver.quit()
            if previous is None:
                os.environ.pop("SE_OFFLINE", None)
            else:
                os.environ["SE_OFFLINE"] = previous
