"""Update on a clock: heads-up, overdue and escalation reminders, derived from the due times in the database.

Each reminder is owed while the incident's `*_sent_for` column differs from its `next_update_due_at`. Sending
one is a claim (bot/incidents/claims.py): an UPDATE that sets the column only if it still differs, in the
transaction that writes the messages to the outbox: so however many replicas tick, and whatever restarts happen,
each reminder goes out exactly once.
An approved entry moves `next_update_due_at`, which is what "a newer approved entry" means here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Executable, bindparam, or_
from sqlmodel import Session, col, select

from bot import ids
from bot.incidents import keys, timeline
from bot.incidents.claims import claim, differs
from bot.incidents.flows import Flows, approver
from bot.render.reminders import with_button
from bot.render.text import clock_time, span
from bot.store.db import session_scope
from bot.store.models import DRAFT, Entry, Incident, UTCDateTime
from bot.vocabulary import Event, Reminder

_MARKERS = ("heads_up_sent_for", "overdue_sent_for", "escalated_for")
# Reminders claimed by one UPDATE, in one writing transaction with their messages. SQLite has one writer at a
# time, shared with the delivery workers' settles: a transaction per reminder queued each claim behind them, and
# with 1,000 incidents due over 20 s the ticks fell so far behind that 225 of 1,000 heads-ups came too late to send.
CLAIMS_PER_TRANSACTION = 50


def _owed_query() -> Executable:
    """Open incidents due by `due_by` with a reminder not yet sent. Built once: it is read on every tick."""
    due = col(Incident.next_update_due_at)
    markers = [col(getattr(Incident, name)) for name in _MARKERS]
    return select(col(Incident.id), due, *markers).where(
        col(Incident.resolved_at).is_(None),
        due <= bindparam("due_by", type_=UTCDateTime()),
        or_(*(differs(name, due) for name in _MARKERS)),
    )


_OWED = _owed_query()


@dataclass(frozen=True)
class _Owed:
    """An open incident due soon, and the due time each reminder was last sent for."""

    incident_id: int
    due: datetime
    sent_for: dict[str, datetime | None]


class Cadence(Flows):
    """Holds the communicator to the committed update times."""

    def tick(self) -> int:
        """Send every reminder that is owed now; returns how many were sent."""
        now = self._clock.now()
        playbook = self._playbook
        owed = self._owed(due_by=now + playbook.remind_before)
        sent = 0
        sent += self._each(Reminder.OVERDUE, "overdue_sent_for", owed, due_by=now, now=now, send=self._overdue)
        sent += self._each(
            Reminder.ESCALATION, "escalated_for", owed, due_by=now - playbook.escalate_after, now=now,
            send=self._escalation,
        )  # fmt: skip
        sent += self._each(
            Reminder.HEADS_UP, "heads_up_sent_for", owed, due_by=now + playbook.remind_before, now=now,
            send=self._heads_up, not_yet_due=True,
        )  # fmt: skip
        if sent:
            self._on_commit()
        return sent

    def _owed(self, *, due_by: datetime) -> list[_Owed]:
        """Open incidents due by `due_by` with a reminder not yet sent: one indexed read per tick."""
        with Session(self._engine) as session:
            rows = list(session.execute(_OWED, {"due_by": due_by}))
        return [_Owed(row[0], row[1], dict(zip(_MARKERS, row[2:], strict=True))) for row in rows]

    def _each(
        self,
        kind: Reminder,
        marker_name: str,
        owed_rows: list[_Owed],
        *,
        due_by: datetime,
        now: datetime,
        send: Callable[[Session, Incident, datetime], None],
        not_yet_due: bool = False,
    ) -> int:
        due = col(Incident.next_update_due_at)
        candidates = [
            row.incident_id
            for row in owed_rows
            if row.due <= due_by and row.sent_for[marker_name] != row.due and not (not_yet_due and row.due <= now)
        ]  # a heads-up for an update that is already overdue would say the wrong thing
        still_owed = [col(Incident.resolved_at).is_(None), due <= due_by, *([due > now] if not_yet_due else [])]
        sent = 0
        for start in range(0, len(candidates), CLAIMS_PER_TRANSACTION):
            batch = candidates[start : start + CLAIMS_PER_TRANSACTION]
            with session_scope(self._engine) as session:  # each claim commits with its messages, or not at all
                due_at = claim(session, batch, marker_name=marker_name, due=due, still=still_owed)
                for incident_id in batch:  # in due order; the others another replica sent, or the plan changed
                    if incident_id not in due_at:
                        continue
                    incident = session.get(Incident, incident_id)
                    assert incident is not None
                    timeline.record(
                        session,
                        incident,
                        Event.REMINDER_SENT,
                        by=None,
                        at=now,
                        reminder=kind,
                        due=due_at[incident_id].isoformat(),
                    )
                    send(session, incident, now)
                    sent += 1
        return sent

    # -- the reminders ------------------------------------------------------------------------------------

    def _heads_up(self, session: Session, incident: Incident, now: datetime) -> None:
        assert incident.id is not None
        zone = self._playbook.zone
        due = clock_time(incident.next_update_due_at, zone)
        waiting, link = self._waiting(session, incident)
        text = self._notices.templates.render(
            "reminder_heads_up.md.j2",
            ref=incident.ref,
            due=due,
            left=span(incident.next_update_due_at - now),
            waiting=waiting,
            channel=incident.channel_id,
            communicator=incident.communicator_id,
        )
        message = with_button(text, label="Draft update", action_id=ids.REMINDER_DRAFT_ACTION, incident_id=incident.id)
        self._owe(session, incident, message, channel_id=approver(incident), link_key=link)
        if incident.communicator_id is None:
            nobody = self._notices.templates.render(
                "reminder_nobody_owns.md.j2", ref=incident.ref, due=due, lead=incident.lead_id
            )
            self._to_war_room_thread(session, incident, self._notices.plain(nobody))

    def _overdue(self, session: Session, incident: Incident, now: datetime) -> None:
        assert incident.id is not None
        waiting, link = self._waiting(session, incident)
        text = self._notices.templates.render(
            "reminder_overdue.md.j2",
            ref=incident.ref,
            due=clock_time(incident.next_update_due_at, self._playbook.zone),
            waiting=waiting,
            channel=incident.channel_id,
        )
        message = with_button(text, label="No new information", action_id=ids.NO_NEWS_ACTION, incident_id=incident.id)
        self._owe(session, incident, message, channel_id=approver(incident), link_key=link)  # only they can act
        self._to_mirror(session, incident, self._notices.mirror.late(incident), broadcast=True)  # once per due time

    def _escalation(self, session: Session, incident: Incident, now: datetime) -> None:
        text = self._notices.templates.render(
            "reminder_escalation.md.j2",
            ref=incident.ref,
            lead=incident.lead_id,
            communicator=incident.communicator_id,
            due=clock_time(incident.next_update_due_at, self._playbook.zone),
            late=span(now - incident.next_update_due_at),
        )
        self._to_war_room_thread(session, incident, self._notices.plain(text))  # it mentions the lead, who is notified

    def _waiting(self, session: Session, incident: Incident) -> tuple[dict[str, object] | None, str | None]:
        """The newest draft awaiting approval, for a reminder to name (who wrote it, when) and link to its card.

        Approving the newest supersedes the older ones, so it is the one to point at; `others` counts the rest.
        """
        query = select(Entry).where(Entry.incident_id == incident.id, Entry.state == DRAFT)
        pending = list(session.exec(query.order_by(col(Entry.id).desc())))
        if not pending:
            return None, None
        newest = pending[0]
        assert newest.id is not None
        waiting: dict[str, object] = {
            "by": newest.drafted_by,
            "yours": newest.drafted_by == approver(incident),
            "at": clock_time(newest.drafted_at, self._playbook.zone),
            "others": len(pending) - 1,
        }
        return waiting, keys.draft(newest.id)
