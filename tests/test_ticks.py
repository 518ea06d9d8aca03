"""The periodic work: each tick runs on its own, and due work is claimed by exactly one replica."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.incidents.claims import claim, claim_one, unchanged
from bot.store.db import session_scope
from bot.store.models import Incident
from tests.support import followups
from tests.support.fake_slack import Call
from tests.support.harness import DANA, LEAD, OTHER_ROOM, Harness, running

CADENCE_TEMPLATES = ("reminder_heads_up", "reminder_overdue", "reminder_escalation", "reminder_nobody_owns")


def _broken(tmp_path: Path, *names: str) -> Path:
    """A team's template directory in which `names` use a variable Warroom does not pass: rendering them raises."""
    team = tmp_path / "team-templates"
    team.mkdir()
    for name in names:
        (team / f"{name}.md.j2").write_text("{{ no_such_variable }}\n")
    return team


@pytest.fixture
def broken_cadence(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    with running(database_url, templates=_broken(tmp_path, *CADENCE_TEMPLATES)) as harness:
        yield harness


@pytest.fixture
def broken_email_reminder(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    with running(database_url, templates=_broken(tmp_path, "email_reminder"), background=False) as harness:
        yield harness


def _email_and_update_both_owed(warroom: Harness) -> None:
    """INC-1 resolved at 15:10 (its customer email reminder falls due at 16:40); INC-2 declared at 16:30 in
    another room, so by 16:40 its first update is overdue."""
    followups.named(warroom)
    followups.first_update(warroom)  # 14:04
    for n in range(4):  # 14:18 … 15:00, each on time
        followups.update(warroom, f"We continue to work on card payments, update {n}.", minutes=14, response=f"u{n}")
    followups.resolve(warroom, minutes=10)  # 15:10
    warroom.clock.advance(minutes=80)  # 16:30
    warroom.declare("P1 Search returns nothing", channel=OTHER_ROOM)
    warroom.clock.advance(minutes=10)  # 16:40


def _email_reminders(warroom: Harness) -> list[Call]:
    return warroom.fake.received("chat.postMessage", channel=DANA, where=lambda c: "customer email for INC-1" in c.text)


def _overdue_reminders(warroom: Harness) -> list[Call]:
    return warroom.fake.received("chat.postMessage", channel=LEAD, where=lambda c: "Update overdue" in c.text)


def test_a_failing_cadence_tick_does_not_hold_back_the_email_reminder(broken_cadence: Harness) -> None:
    warroom = broken_cadence
    _email_and_update_both_owed(warroom)

    [dm] = warroom.fake.wait_for(
        "chat.postMessage", channel=DANA, where=lambda c: "customer email for INC-1" in c.text
    )  # the background scheduler, its cadence tick raising every beat meanwhile

    assert "*The customer email for INC-1 is due by 17:10 UTC* (30 min left)" in dm.text
    assert _overdue_reminders(warroom) == [], "the cadence's reminders could not be rendered"
    round_ = warroom.warroom.ticker.round()
    assert "cadence reminders" in round_.failed and "no_such_variable" in str(round_.failed["cadence reminders"])
    assert [e.data["reminder"] for e in warroom.events("reminder_sent")] == [], "a failed tick claims nothing"


def test_a_failing_email_reminder_does_not_hold_back_the_cadence(broken_email_reminder: Harness) -> None:
    warroom = broken_email_reminder
    _email_and_update_both_owed(warroom)

    round_ = warroom.warroom.ticker.round()
    warroom.drain()

    assert list(round_.failed) == ["customer email reminders"]
    assert round_.done["cadence reminders"] >= 1 and round_.done["postmortem reminders"] == 0
    [overdue] = _overdue_reminders(warroom)
    assert "(INC-2)" in overdue.text
    assert _email_reminders(warroom) == []
    assert warroom.incidents()[0].email_reminded_at is None, "the failed reminder is still owed"

    warroom.clock.advance(hours=22, minutes=31)  # a day after the resolution: the postmortem link is asked for
    next_day = warroom.warroom.ticker.round()
    warroom.drain()

    assert list(next_day.failed) == ["customer email reminders"], "the email reminder still fails, and is still owed"
    assert next_day.done["postmortem reminders"] == 1, "a sibling follow-up reminder is not skipped"
    no_link = warroom.fake.received("chat.postMessage", where=lambda c: "postmortem has no link yet" in c.text)
    assert sorted(c.channel or "" for c in no_link) == sorted([DANA, LEAD])
    with pytest.raises(Exception, match="no_such_variable"):  # driving by hand, the failure is raised after the rest
        warroom.warroom.ticker.tick_now()


def test_a_claim_is_won_once_per_due_value(broken_email_reminder: Harness) -> None:
    warroom = broken_email_reminder
    incident = warroom.declare()
    assert incident.id is not None
    due = warroom.clock.now()

    with session_scope(warroom.engine) as session:
        won = claim(session, [incident.id], marker_name="heads_up_sent_for", due=due)
    with session_scope(warroom.engine) as session:
        again = claim(session, [incident.id], marker_name="heads_up_sent_for", due=due)
    later = warroom.clock.advance(minutes=15)
    with session_scope(warroom.engine) as session:
        moved = claim(session, [incident.id, 404], marker_name="heads_up_sent_for", due=later)

    assert won == {incident.id: due}
    assert again == {}, "the second replica finds the marker set and sends nothing"
    assert moved == {incident.id: later}, "a new due value is owed again; a missing incident is never won"


def test_a_claim_rolls_back_with_its_transaction_and_loses_to_one_made_since_it_looked(
    broken_email_reminder: Harness,
) -> None:
    warroom = broken_email_reminder
    incident = warroom.declare()
    assert incident.id is not None
    now = warroom.clock.now()

    with pytest.raises(RuntimeError), session_scope(warroom.engine) as session:
        assert claim_one(session, incident.id, marker_name="email_reminded_at", due=now) is not None
        raise RuntimeError("the outbox write failed")
    with Session(warroom.engine) as session:
        rolled_back = session.get(Incident, incident.id)
        assert rolled_back is not None and rolled_back.email_reminded_at is None

    seen = None  # what a replica read before another claimed
    with session_scope(warroom.engine) as session:
        claimed = claim_one(session, incident.id, marker_name="email_reminded_at", due=now)
        assert claimed is not None and claimed.email_reminded_at is not None
    later = warroom.clock.advance(minutes=1)
    with session_scope(warroom.engine) as session:
        stale = claim_one(
            session, incident.id, marker_name="email_reminded_at", due=later,
            still=[unchanged("email_reminded_at", seen)],
        )  # fmt: skip
    assert stale is None, "the marker moved since it was read: someone else sent it"
