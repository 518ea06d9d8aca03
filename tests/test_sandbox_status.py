"""The sandbox's public status page: a link in the top bar opens it in a new tab; it shows only approved words."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

from bot import ids
from bot.sandbox.workspace import COMMUNICATOR, LEAD, WAR_ROOM
from tests.support.sandbox_page import do, element, sandbox, showing, until

TITLE = "Card payments failing at checkout after deploy 4411"
SAM_DM = "D" + COMMUNICATOR[1:]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def test_the_top_bar_links_to_the_status_page_which_shows_the_approved_update(tmp_path: Path) -> None:
    with sandbox(tmp_path) as box:
        page = _get(box.url)
        link = re.search(
            r'<a class="status-link" href="(http://127\.0\.0\.1:\d+)/" target="_blank" rel="noopener"', page
        )
        assert link is not None, "a Status page link that opens a new tab"
        status_url = link.group(1)
        assert box.status_url == status_url + "/", "the one the sandbox prints at start"
        page = _get(status_url + "/")
        assert "All Systems Operational" in page
        assert all(name in page for name in ("API", "Dashboard", "Checkout", "Notifications")), "sample components"

        assert do(box, LEAD, "command", WAR_ROOM, text=f"declare P1 {TITLE}") == (200, {"ok": True})
        pane = showing(box, LEAD, WAR_ROOM, ids.NOMINATE_ACTION)
        picker, ephemeral = element(pane, ids.NOMINATE_ACTION)
        do(box, LEAD, "click", WAR_ROOM, ephemeral=ephemeral, act=picker, value=COMMUNICATOR, label="Sam")
        draft = "We are investigating a full outage: customers cannot use the service."
        assert "All Systems Operational" in _get(status_url + "/"), "a draft is not public"
        approve, ts = element(showing(box, COMMUNICATOR, SAM_DM, "entry_approve"), ids.APPROVE_ACTION)
        assert do(box, COMMUNICATOR, "click", SAM_DM, ts=ts, act=approve, label="Approve") == (200, {"ok": True})

        def published() -> str | None:
            html = _get(status_url + "/")
            return html if draft in html else None

        shown = until(published, "the approved update")
        assert TITLE not in shown and "4411" not in shown
        assert "INC-1" in _get(status_url + "/api/v2/incidents/unresolved.json")
