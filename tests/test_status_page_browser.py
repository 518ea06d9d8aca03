"""The status page in headless Chromium: renders with scripts on and off, no errors, and its screenshot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.browser import browser_page, screenshot
from tests.support.harness import OTHER_ROOM
from tests.support.status import TITLE, public_side

IMPACT = "Card payments fail for some customers in the EU"
EARLIER = "Dashboard charts load slowly"


@pytest.mark.usefixtures("browser_alone")
def test_the_status_page_reads_well_with_and_without_javascript(migrated_sqlite: Path, tmp_path: Path) -> None:
    database = tmp_path / "warroom.db"
    shutil.copyfile(migrated_sqlite, database)
    with public_side(f"sqlite:///{database}") as public:
        harness = public.harness
        earlier = harness.declare(f"P3 {EARLIER} after the 4.2 release", channel=OTHER_ROOM)
        harness.command(f"impact {EARLIER}", channel=OTHER_ROOM, response="impact-earlier")
        public.approve(harness.entries()[0].id or 0, response="earlier")
        public.mark(earlier.id or 0, Dashboard="degraded_performance")
        harness.clock.advance(minutes=40)
        harness.command("resolve A slow query; it is fixed.", channel=OTHER_ROOM, response="resolve-earlier")
        resolution = harness.wait_until(lambda: [e for e in harness.entries() if e.kind == "resolution"])[0]
        public.approve(resolution.id or 0, response="resolved-earlier")
        harness.clock.advance(days=3)

        incident = harness.declare(f"P2 {TITLE}")
        harness.command(f"impact {IMPACT}", response="impact")
        public.approve(harness.entries()[-1].id or 0, response="first")
        public.mark(incident.id or 0, Checkout="partial_outage", API="degraded_performance")
        harness.clock.advance(minutes=12)
        public.approve(
            public.draft(
                "identified: A configuration change is rejecting card payments in the EU. We are rolling it back "
                "now and will say here as soon as payments succeed again."
            ),
            response="fix",
        )
        html = public.get("/").text
        assert IMPACT in html and TITLE not in html

        with browser_page(width=1200, height=1000) as page:
            page.goto(public.server.url + "/")
            assert page.locator("h1").first.inner_text() == "Partial System Outage"
            assert page.locator(".components li").count() == 3
            assert page.locator("article.incident time").count() >= 3
            screenshot(page, "status-page")
            page.set_viewport_size({"width": 390, "height": 844})
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
            screenshot(page, "status-page-phone")
            browser = page.context.browser
            assert browser is not None
            without = browser.new_context(java_script_enabled=False).new_page()
            without.goto(public.server.url + "/incidents/INC-2")
            assert without.locator("h1").inner_text() == IMPACT
            assert without.locator("ol.updates li").count() == 2
