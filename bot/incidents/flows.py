"""What every flow shares: the database, the clock, the playbook, what to say, and who may approve."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.delivery import outbox
from bot.incidents import components, keys, severities, timeline
from bot.incidents.errors import UserError
from bot.incidents.notices import Notices
from bot.playbook import Playbook
from bot.render.blocks import Message
from bot.render.drills import drill_marked
from bot.store.models import (
    DRAFT,
    RESOLUTION,
    SUPERSEDED,
    UPDATE,
    Entry,
    Incident,
    MirrorBriefing,
    OutboxMessage,
    TimelineEvent,
)
from bot.vocabulary import Channel, Event, Said


class OutboxNotifier:
    """Tells whoever delivers the outbox that a transaction just committed rows for it (so it need not wait a poll).

    Made before both the flows and the delivery worker: the flows notify it, the worker listens to it.
    """

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def listen(self, wake: Callable[[], None]) -> None:
        """Call `wake` after each commit that owes Slack something."""
        with self._lock:
            self._listeners.append(wake)

    def notify(self) -> None:
        """Rows were committed to the outbox."""
        with self._lock:
            listeners = list(self._listeners)
        for wake in listeners:
            wake()


@dataclass(frozen=True)
class FlowDeps:
    """What every flow is built with."""

    engine: Engine
    clock: Clock
    playbook: Playbook
    notices: Notices
    mirror_channel: str
    outbox: OutboxNotifier = field(default_factory=OutboxNotifier)


class Flows:
    """Shared plumbing of the incident and update-feed flows."""

    def __init__(self, deps: FlowDeps) -> None:
        self._engine = deps.engine
        self._clock = deps.clock
        self._playbook = deps.playbook
        self._notices = deps.notices
        self._mirror = deps.mirror_channel
        self._on_commit = deps.outbox.notify

    def _owe(
        self,
        session: Session,
        incident: Incident,
        message: Message,
        *,
        channel_id: str | None = None,
        key: str | None = None,
        user_id: str | None = None,
        link_key: str | None = None,
        thread_key: str | None = None,
        broadcast: bool = False,
    ) -> None:
        assert incident.id is not None
        if incident.drill:  # the one place that marks a drill's messages: every message Warroom owes goes here
            message = drill_marked(message)
        outbox.enqueue(
            session,
            text=message.text,
            blocks=message.blocks,
            incident_id=incident.id,
            channel_id=channel_id or incident.channel_id,
            at=self._clock.now(),
            key=key,
            user_id=user_id,
            link_key=link_key,
            thread_key=thread_key,
            broadcast=broadcast,
        )

    def _to_mirror(
        self, session: Session, incident: Incident, message: Message, *, key: str | None = None, broadcast: bool = False
    ) -> None:
        """Owe the mirror a message in the incident's own thread, under its activation notice."""
        assert incident.id is not None
        self._owe(
            session, incident, message, channel_id=self._mirror, key=key,
            thread_key=keys.activation(incident.id), broadcast=broadcast,
        )  # fmt: skip

    def _activate(self, session: Session, incident: Incident) -> None:
        """Owe the mirror the incident's activation notice, or its update in place (the parent of its thread).

        The briefing goes out in full only with the first activation that carries its current content; every
        later one says it still stands and links to that activation.
        """
        assert incident.id is not None
        declared = session.exec(
            select(TimelineEvent.data).where(
                TimelineEvent.incident_id == incident.id, TimelineEvent.kind == Event.DECLARED
            )
        ).first()
        declared_as = str((declared or {}).get("severity") or incident.severity)
        carrier = self._briefing_carrier(session, incident)
        notice = self._notices.mirror.activation(  # in the current severity's tone: a P3 raised to P1 says activate
            incident, declared_as=declared_as, briefing_from=None if carrier == incident.id else f"INC-{carrier}"
        )
        link = None if carrier == incident.id else keys.activation(carrier)
        self._owe(session, incident, notice, channel_id=self._mirror, key=keys.activation(incident.id), link_key=link)

    def _briefing_carrier(self, session: Session, incident: Incident) -> int:
        """The incident whose activation carries the briefing as it is now: this one, if none has yet."""
        assert incident.id is not None
        digest = self._playbook.briefing.digest()
        row = {"digest": digest, "incident_id": incident.id, "posted_at": self._clock.now()}
        insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
        session.execute(insert(MirrorBriefing).values(row).on_conflict_do_nothing(index_elements=["digest"]))
        carrier = session.exec(select(MirrorBriefing.incident_id).where(MirrorBriefing.digest == digest)).one()
        return int(carrier)

    def _to_war_room_thread(
        self, session: Session, incident: Incident, message: Message, *, key: str | None = None
    ) -> None:
        """Owe the war room a message in the thread under the incident card, out of the responders' way."""
        assert incident.id is not None
        self._owe(session, incident, message, key=key, thread_key=keys.card(incident.id))

    def _held(self, session: Session, incident: Incident) -> dict[str, timedelta]:
        """Time at each severity the incident held (to its resolution, or now), from its timeline."""
        assert incident.id is not None
        end = incident.resolved_at or self._clock.now()
        events = timeline.events(session, incident.id)
        return severities.from_timeline(events, severity=incident.severity, declared_at=incident.declared_at, end=end)

    def _open_in(self, session: Session, channel_id: str) -> Incident | None:
        query = select(Incident).where(Incident.channel_id == channel_id, col(Incident.resolved_at).is_(None))
        return session.exec(query).first()

    def _find(
        self, session: Session, *, channel_id: str | None = None, incident_id: int | None = None, lock: bool = False
    ) -> Incident:
        if incident_id is not None:
            query = select(Incident).where(Incident.id == incident_id)
        else:
            assert channel_id is not None
            query = select(Incident).where(Incident.channel_id == channel_id, col(Incident.resolved_at).is_(None))
        incident = session.exec(query.with_for_update() if lock else query).first()
        if incident is None or incident.resolved_at is not None:
            where: Said = Channel(channel_id) if channel_id and channel_id[0] in "CG" else "this channel"
            if incident is not None:
                raise UserError(f"{incident.ref} is resolved; there is nothing more to change on it.")
            raise UserError(
                "There is no open incident in ", where, ". Run the command in the incident's war-room channel, "
                "or declare one with `/incident declare P1 <title>`. `/incident list` shows the open ones."
            )  # fmt: skip
        return incident

    def _entry(self, session: Session, entry_id: int, *, lock: bool = False) -> tuple[Entry, Incident]:
        """The entry and its incident; `lock` takes the incident's row first, then the entry's.

        Every decision on an incident's entries locks in that order, so an approval that supersedes older drafts
        and a concurrent decision on one of them wait for each other instead of deadlocking.
        """
        incident_id = session.exec(select(Entry.incident_id).where(Entry.id == entry_id)).first()
        if incident_id is None:
            raise UserError("That update no longer exists. `/incident update <text>` drafts a new one.")
        incident_query = select(Incident).where(Incident.id == incident_id)
        incident = session.exec(incident_query.with_for_update() if lock else incident_query).first()
        query = select(Entry).where(Entry.id == entry_id)
        entry = session.exec(query.with_for_update() if lock else query).first()
        assert incident is not None and entry is not None
        return entry, incident

    # -- drafts and cards shared by the incident and feed flows ---------------------------------------------

    def _draft(
        self,
        session: Session,
        incident: Incident,
        *,
        text: str,
        phase: str | None,
        by: str | None,
        kind: str = UPDATE,
        cause: str | None = None,
        at: datetime | None = None,
        marks: dict[str, str] | None = None,
    ) -> Entry:
        """Add a draft entry: its card in the war room, and the approver asked by DM (unless they drafted it)."""
        now = at or self._clock.now()
        assert incident.id is not None
        entry = Entry(
            incident_id=incident.id, kind=kind, phase=phase, text=text, cause=cause, drafted_by=by, drafted_at=now,
            components=marks,
        )  # fmt: skip
        session.add(entry)
        session.flush()
        assert entry.id is not None
        timeline.record(
            session, incident, Event.DRAFTED, by=by, at=now, entry=entry.id, entry_kind=kind, phase=phase, text=text
        )
        self._to_war_room_thread(session, incident, self._notices.draft_card(incident, entry), key=keys.draft(entry.id))
        self._ask_approval(session, incident, entry)
        return entry

    def _ask_approval(self, session: Session, incident: Incident, entry: Entry) -> None:
        """Send the approver a copy of the draft by DM, unless they wrote it: the card in the thread is enough."""
        assert entry.id is not None
        who = approver(incident)
        if entry.drafted_by == who:
            return
        self._owe(
            session,
            incident,
            self._notices.draft_dm(incident, entry),
            channel_id=who,
            key=keys.draft_dm(entry.id, who),
            link_key=keys.draft(entry.id),
        )

    def _refresh_draft(self, session: Session, incident: Incident, entry: Entry) -> None:
        """Update the draft card, and every copy sent by DM, to the entry's current state.

        A copy held by someone who may no longer approve (the lead, once a communicator is named) loses its
        buttons and says who approves now.
        """
        assert entry.id is not None
        self._to_war_room_thread(session, incident, self._notices.draft_card(incident, entry), key=keys.draft(entry.id))
        prefix = keys.draft_dm(entry.id, "")
        dm_keys = session.exec(  # the incident's own rows (an index), never the whole outbox
            select(OutboxMessage.message_key, OutboxMessage.channel_id)
            .where(OutboxMessage.incident_id == incident.id, col(OutboxMessage.message_key).startswith(prefix))
            .distinct()
        )
        for key, channel in dm_keys:
            assert key is not None
            copy = self._notices.draft_dm(incident, entry, holder=key.removeprefix(prefix))
            self._owe(session, incident, copy, channel_id=channel, key=key)

    def _supersede(self, session: Session, incident: Incident, newer: Entry, *, by: str, at: datetime) -> None:
        """Mark the drafts `newer` makes stale superseded: older pending ones, or every pending one on resolution."""
        assert newer.id is not None
        query = select(Entry).where(Entry.incident_id == incident.id, Entry.state == DRAFT, Entry.id != newer.id)
        if newer.kind != RESOLUTION:
            query = query.where(col(Entry.id) < newer.id)
        for stale in list(session.exec(query.order_by(col(Entry.id)).with_for_update())):
            stale.state, stale.superseded_by, stale.decided_by, stale.decided_at = SUPERSEDED, newer.id, by, at
            session.add(stale)
            timeline.record(
                session, incident, Event.SUPERSEDED, by=by, at=at, entry=stale.id, superseded_by=newer.id
            )  # fmt: skip
            self._refresh_draft(session, incident, stale)

    def _refresh_card(self, session: Session, incident: Incident) -> None:
        assert incident.id is not None
        card = self._notices.card(incident, components=components.marks(session, incident))
        self._owe(session, incident, card, key=keys.card(incident.id))


def approver(incident: Incident) -> str:
    """Who may approve, edit or reject entries: the communicator, or the lead until one is named."""
    return incident.communicator_id or incident.lead_id
