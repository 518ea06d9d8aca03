"""Headless Chromium for the page tests: Debian's /usr/bin/chromium driven by Playwright for Python.

Without Chromium (or Playwright) the browser tests skip, saying why; with WARROOM_TEST_BROWSER=1 (CI sets it) they
fail instead, the way the PostgreSQL tests do. Screenshots are kept under build/screenshots as test artefacts.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

BROWSER_ENV = "WARROOM_TEST_BROWSER"
CHROMIUM = os.environ.get("WARROOM_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _missing() -> str | None:
    """Why the browser tests cannot run here, if they cannot."""
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    return None


@contextmanager
def browser_page(*, width: int = 1400, height: int = 860) -> Iterator[Page]:
    """A fresh page in headless Chromium; skips (or fails, with WARROOM_TEST_BROWSER=1) where there is none."""
    missing = _missing()
    if missing is not None:
        if os.environ.get(BROWSER_ENV) == "1":
            pytest.fail(f"{BROWSER_ENV}=1 but the browser tests cannot run: {missing}")
        pytest.skip(f"browser tests need Chromium and Playwright: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page
            assert not errors, f"the page's script failed: {errors}"
        finally:
            browser.close()


def screenshot(page: Page, name: str) -> Path:
    """Keep a screenshot of the page as a test artefact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
