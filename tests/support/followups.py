"""Taking an incident to its follow-ups the way people do: name a communicator, update, resolve, fill the checklist."""

from __future__ import annotations

from tests.support.feed import approve, click, opened_view, wait_posted
from tests.support.harness import DANA, WAR_ROOM, Harness

PREVENTION = "We now load-test every configuration change before it reaches production."


def named(warroom: Harness, text: str = "P1 Checkout API returning 500s") -> None:
    """Declare an incident and name Dana its communicator."""
    warroom.declare(text)
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)


def first_update(warroom: Harness, *, minutes: float = 2) -> None:
    """After `minutes`, Dana approves the automatic first draft; wait until it is posted."""
    warroom.clock.advance(minutes=minutes)
    entry_id = warroom.entries()[0].id or 0
    approve(warroom, entry_id, by=DANA, response="first")
    wait_posted(warroom, entry_id)


def update(warroom: Harness, text: str, *, minutes: float, response: str) -> None:
    """After `minutes`, draft an update and have Dana approve it."""
    warroom.clock.advance(minutes=minutes)
    before = len(warroom.entries())
    warroom.command(f"update {text}")
    entry = warroom.wait_until(lambda: warroom.entries()[before:])[0]
    approve(warroom, entry.id or 0, by=DANA, response=response)
    wait_posted(warroom, entry.id or 0)


def resolve(warroom: Harness, *, minutes: float, cause: str = "A configuration change exhausted the pool.") -> None:
    """After `minutes`, resolve with `cause` and have Dana approve the resolution; wait until it is posted."""
    warroom.clock.advance(minutes=minutes)
    warroom.command(f"resolve {cause}", response="resolve")
    resolution = warroom.wait_until(lambda: [e for e in warroom.entries() if e.kind == "resolution"])[0]
    approve(warroom, resolution.id or 0, by=DANA, response="resolved")
    wait_posted(warroom, resolution.id or 0)


def checklist(warroom: Harness) -> str:
    """The follow-up checklist as the war room shows it now (posted once, updated in place)."""
    return _shown(warroom, "Follow-ups for", everything=True)


def email(warroom: Harness, where: str = "customer email for") -> str:
    """The drafted customer email as the war room shows it now (posted once, updated in place)."""
    return _shown(warroom, where)


def write_prevention(warroom: Harness, sentence: str = PREVENTION, *, by: str = DANA, count: int = 1) -> None:
    """Press Write prevention sentence in the checklist and submit the modal; wait until the email says it."""
    click(warroom, "followup_email_prevention", 1, by=by, response=f"prevention{count}")
    values = {"prevention": {"prevention_input": {"type": "plain_text_input", "value": sentence}}}
    assert warroom.slack.view_submission(user=by, view=opened_view(warroom, count), values=values).status == 200
    warroom.wait_until(lambda: sentence in email(warroom))


def _shown(warroom: Harness, phrase: str, *, everything: bool = False) -> str:
    """The latest version of the war-room message containing `phrase`: its last update, or the post itself."""
    if not warroom.background:
        warroom.drain()  # nothing delivers in the background: deliver what is owed now
    posted = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: phrase in c.text)
    updates = warroom.fake.received("chat.update", channel=WAR_ROOM, where=lambda c: phrase in c.text)
    latest = (updates or posted)[-1]
    return latest.everything if everything else latest.text
