"""A whole P1 through the sandbox page in headless Chromium, asserting only on what the page shows.

The sandbox runs the real Warroom against its Slack stand-in, at drill speed (60x: the 5-minute acknowledgement
window passes in 5 s), so the overdue notice comes while the test watches. Screenshots of each step are kept in
build/screenshots.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.sandbox.runner import Options, Sandbox, running
from bot.sandbox.workspace import COMMUNICATOR, LEAD, MIRROR, SUPPORT_LEAD
from tests.support.browser import browser_page, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

SPEED = 60
WAIT_MS = 15_000  # generous: the page long-polls, and the delivery worker posts within a tick


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with running(Options(port=0, speed=SPEED, db=tmp_path / "sandbox.db")) as running_sandbox:
        yield running_sandbox


def be(page: Page, person: str, *, channel: str | None = None) -> None:
    """Switch who you are (and open a conversation) as a person does: the switcher, then the sidebar."""
    page.select_option("#person", person)
    if channel is not None:
        page.click(f'[data-channel-link="{channel}"]')
        page.wait_for_selector(f'#conversation .conv-head[data-channel="{channel}"]', timeout=WAIT_MS)


def type_command(page: Page, text: str) -> None:
    page.fill("#compose", text)
    page.press("#compose", "Enter")


def message(page: Page, text: str) -> Locator:
    """The newest message in the open conversation that shows `text`, once it does."""
    found = page.locator("#conversation .msg", has_text=text).last
    found.wait_for(timeout=WAIT_MS)
    return found


def drafted(page: Page, command: str, *, answer: str, draft: str) -> Locator:
    """The lead drafts in the war room; the draft card, as it reaches the communicator's DM."""
    be(page, LEAD, channel="CWARROOM1")
    type_command(page, command)
    message(page, answer)
    be(page, COMMUNICATOR, channel=dm(COMMUNICATOR))
    return message(page, draft)


def dm(person: str) -> str:
    return "D" + person[1:]


@pytest.mark.usefixtures("browser_alone")
def test_a_whole_p1_in_the_browser(sandbox: Sandbox) -> None:
    with browser_page() as page:
        page.goto(sandbox.url)
        page.evaluate("localStorage.clear()")
        page.reload()
        page.wait_for_selector("#conversation .conv-head")
        assert page.locator("#guide").is_visible(), "the guided first incident shows to a newcomer"
        screenshot(page, "01-start")

        # Declare, as the incident lead, from the composer.
        be(page, LEAD)
        type_command(page, "/incident declare P1 Card payments failing at checkout")
        card = message(page, "INC-1 · P1")
        assert "Card payments failing at checkout" in card.inner_text()

        # The picker Warroom showed only to the lead: choose the communicator.
        picker = message(page, "Who owns communication for INC-1?")
        assert "Only visible to you" in picker.inner_text()
        picker.locator("select").select_option(COMMUNICATOR)
        message(page, "as the communicator for INC-1")
        page.locator('#guide li[data-step="nominate"].done').wait_for(timeout=WAIT_MS)
        screenshot(page, "02-declared-and-named")

        # The draft card waits in the war room, in the thread under the incident card.
        be(page, COMMUNICATOR, channel="CWARROOM1")
        message(page, "INC-1 · P1").locator(".replies").click()
        pending = page.locator("#thread .msg", has_text="Draft update for INC-1").last
        pending.get_by_role("button", name="Approve").wait_for(timeout=WAIT_MS)
        page.locator("#thread .msg", has_text="Draft update for INC-1").last.scroll_into_view_if_needed()
        screenshot(page, "03-war-room-with-a-draft-card")

        # The communicator edits Warroom's automatic draft in the modal.
        page.click(".thread-close")
        be(page, COMMUNICATOR, channel=dm(COMMUNICATOR))
        draft = message(page, "Draft update for INC-1")
        draft.get_by_role("button", name="Edit").click()
        modal = page.locator("#modal-layer .bk-modal")
        modal.wait_for(timeout=WAIT_MS)
        edited = (
            "Card payments fail at checkout for all customers; other payment methods work. "
            "We are investigating. Next update by the time below."
        )
        modal.locator("textarea").first.fill(edited)
        modal.locator('button[type="submit"]').click()
        page.locator("#modal-layer").wait_for(state="hidden", timeout=WAIT_MS)
        message(page, "Card payments fail at checkout for all customers")

        # Let it go overdue at drill speed: five playbook minutes are five seconds here.
        overdue = message(page, "Update overdue")
        assert "INC-1" in overdue.inner_text()
        screenshot(page, "04-overdue-in-the-communicators-dm")

        # Its link opens the draft where it waits, in this page: the war room, in the card's thread.
        overdue.get_by_role("link", name="Open it in the channel").click()
        page.wait_for_selector('#conversation .conv-head[data-channel="CWARROOM1"]', timeout=WAIT_MS)
        page.locator("#thread .msg", has_text="Draft update for INC-1").last.wait_for(timeout=WAIT_MS)
        assert "INC-1 · P1" in page.locator("#thread .msg").first.inner_text(), "the whole thread, from the card"
        assert len(page.context.pages) == 1, "not in a new tab"
        be(page, COMMUNICATOR, channel=dm(COMMUNICATOR))

        # Approve it; it goes to the war room and the support team's mirror.
        approve = page.locator("#conversation .msg", has_text="Draft update for INC-1").last
        approve.get_by_role("button", name="Approve").click()
        if page.locator("#confirm").is_visible():
            page.locator("#confirm .confirm-ok").click()
        message(page, "Approved: it goes to the war room")
        be(page, COMMUNICATOR, channel="CWARROOM1")
        card = message(page, "INC-1 · P1")
        card.locator(".replies").click()
        page.locator("#thread .msg", has_text="Card payments fail at checkout").last.wait_for(timeout=WAIT_MS)
        screenshot(page, "05-war-room-with-the-feed-thread")

        # The support lead sees the mirror: the approved words, with the reference, nothing to type into.
        be(page, SUPPORT_LEAD, channel=MIRROR)
        activation = message(page, "INC-1 declared")
        assert "Support team lead: activate outage handling now" in activation.inner_text()
        assert page.locator("#compose").is_disabled()
        assert page.locator('[data-channel-link="CWARROOM1"]').count() == 0, "the war room stays internal"
        activation.locator(".replies").click()
        mirrored = page.locator("#thread .msg", has_text="Card payments fail at checkout").last
        mirrored.wait_for(timeout=WAIT_MS)
        assert "INC-1" in page.locator("#thread").inner_text()
        page.locator('#guide li[data-step="mirror"].done').wait_for(timeout=WAIT_MS)
        assert "Card payments failing at checkout" not in page.locator("#thread").inner_text(), "no internal title"
        screenshot(page, "06-mirror")

        # A responder's draft is rejected by the communicator, with a reason.
        vendor = drafted(
            page,
            "/incident update The database vendor broke everything again",
            answer="Drafted. The communicator has been asked to approve it.",
            draft="The database vendor broke everything again",
        )
        vendor.get_by_role("button", name="Reject").click()
        modal.wait_for(timeout=WAIT_MS)
        modal.locator("textarea, input[type=text]").first.fill("Blames a vendor; say what customers see instead.")
        modal.locator('button[type="submit"]').click()
        page.locator("#modal-layer").wait_for(state="hidden", timeout=WAIT_MS)
        message(page, "Rejected")
        screenshot(page, "07-rejected")

        # The declare form checks on the ack: a second incident in this war room is refused beside the title.
        be(page, LEAD, channel="CWARROOM1")
        type_command(page, "/incident declare")
        modal.wait_for(timeout=WAIT_MS)
        modal.locator("select").first.select_option("P2")
        modal.locator("input[type=text]").first.fill("Slow dashboards")
        modal.locator('button[type="submit"]').click()
        error = modal.locator(".bk-error")
        error.wait_for(timeout=WAIT_MS)
        assert "INC-1" in error.inner_text()
        screenshot(page, "08-declare-form-error")
        modal.locator(".bk-close").click()
        page.locator("#modal-layer").wait_for(state="hidden", timeout=WAIT_MS)

        # ... and declared in the second war room, the two run side by side.
        be(page, LEAD, channel="CWARROOM2")
        type_command(page, "/incident declare")
        modal.wait_for(timeout=WAIT_MS)
        modal.locator("select").first.select_option("P2")
        modal.locator("input[type=text]").first.fill("Slow dashboards")
        modal.locator('button[type="submit"]').click()
        page.locator("#modal-layer").wait_for(state="hidden", timeout=WAIT_MS)
        assert "Slow dashboards" in message(page, "INC-2 · P2").inner_text()

        # Resolve with the cause; the communicator approves the resolution.
        resolution = drafted(
            page,
            "/incident resolve A configuration change sent card payments to a retired endpoint",
            answer="Resolution drafted",
            draft="retired endpoint",
        )
        resolution.get_by_role("button", name="Approve").click()
        if page.locator("#confirm").is_visible():
            page.locator("#confirm .confirm-ok").click()
        page.locator('#guide li[data-step="resolve"].done').wait_for(timeout=WAIT_MS)

        # The follow-ups, in the thread under the card.
        be(page, COMMUNICATOR, channel="CWARROOM1")
        message(page, "INC-1 · P1").locator(".replies").click()
        checklist = page.locator("#thread .msg", has_text="Follow-ups for INC-1").last
        checklist.wait_for(timeout=WAIT_MS)
        before = checklist.inner_text()
        checklist.get_by_role("button", name="Add link").click()
        modal.wait_for(timeout=WAIT_MS)
        modal.locator("input").first.fill("https://wiki")  # a URL to the browser, not a link to the bot
        modal.locator('button[type="submit"]').click()
        modal.locator(".bk-error").wait_for(timeout=WAIT_MS)  # the bot's own check, shown beside the field
        modal.locator("input").first.fill("https://wiki.example.com/postmortems/inc-1")
        modal.locator('button[type="submit"]').click()
        page.locator("#modal-layer").wait_for(state="hidden", timeout=WAIT_MS)
        screenshot(page, "09-follow-ups")
        page.locator('#guide li[data-step="followups"].done').wait_for(timeout=WAIT_MS)
        page.wait_for_function(
            "before => { const m = [...document.querySelectorAll('#thread .msg')]"
            ".filter(e => e.innerText.includes('Follow-ups for INC-1')).pop(); return m && m.innerText !== before; }",
            arg=before,
            timeout=WAIT_MS,
        )
        screenshot(page, "09-follow-ups")
