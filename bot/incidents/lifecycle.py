"""An incident's life beside the update feed: declare, name the communicator, change severity, share the timeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import ids
from bot.delivery import outbox
from bot.delivery.outbox import FileUpload
from bot.incidents import keys, timeline
from bot.incidents.channels import ChannelAccess, Reach
from bot.incidents.components import check as check_marks
from bot.incidents.drills import Drills
from bot.incidents.errors import UserError
from bot.incidents.flows import FlowDeps, Flows
from bot.incidents.mirror import check_impact
from bot.incidents.people import Directory, Person
from bot.incidents.story import Told, markdown
from bot.render.blocks import Message, text_message
from bot.render.drills import PREFIX as DRILL_PREFIX
from bot.render.text import is_user_id
from bot.store.db import session_scope
from bot.store.models import DRAFT, Entry, Incident, OutboxMessage, TimelineEvent
from bot.vocabulary import TITLE_LIMIT, ComponentStatus, Event, Phase, User

_MAX_BLOCKS = 50  # Slack's limit for one message
_INVITE = "Run `/invite @Warroom` in this channel, then declare again."
_CANNOT_POST = {
    Reach.NOT_INVITED: f"Warroom isn't in this channel yet, so it can't post the incident card here. {_INVITE}",
    Reach.HIDDEN: f"Warroom can't see this channel: it is private and Warroom hasn't been invited. {_INVITE}",
    Reach.ARCHIVED: "This channel is archived, so Warroom can't post in it. Declare the incident in an active channel.",
    Reach.NOT_A_CHANNEL: (
        "A war room must be a channel, not a DM or a group DM. Create a channel for the incident "
        "(e.g. `#inc-checkout`), `/invite @Warroom` there, and declare it in that channel."
    ),
}


@dataclass(frozen=True)
class Declaration:
    """A checked request to declare an incident."""

    severity: str
    title: str


@dataclass(frozen=True)
class Nomination:
    """The outcome of naming a communicator."""

    incident: Incident
    communicator: Person
    self_nominated: bool


class Lifecycle(Flows):
    """Declaring an incident, naming its communicator, changing its severity, sharing its timeline.

    Each change commits its timeline event and owed messages in one transaction.
    """

    def __init__(self, deps: FlowDeps, *, directory: Directory, channels: ChannelAccess) -> None:
        super().__init__(deps)
        self._directory = directory
        self._channels = channels
        self._drills = Drills(deps)

    # -- checks -------------------------------------------------------------------------------------------

    def check_declaration(self, *, channel_id: str, severity: str, title: str, drill: bool = False) -> Declaration:
        """Validate a declaration without writing anything (no call to Slack: fit for an ack)."""
        command = "drill" if drill else "declare"
        name = self.check_severity(severity, example=f"/incident {command} P1 Checkout API down")
        clean = " ".join(title.split())
        if not clean:
            raise UserError(
                f"{'A drill' if drill else 'An incident'} needs a title that says what is broken, e.g. "
                f"`/incident {command} {name} Checkout API returning 500s`.",
                field=ids.TITLE_BLOCK,
            )
        if len(clean) > TITLE_LIMIT:
            raise UserError(
                f"The title is {len(clean)} characters; keep it to {TITLE_LIMIT} or fewer. "
                "Say what is broken; details go in the channel.",
                field=ids.TITLE_BLOCK,
            )
        with Session(self._engine) as session:
            self._refuse_if_open(session, channel_id, drill=drill)
        return Declaration(severity=name, title=clean)

    def check_severity(self, severity: str, *, example: str = "/incident declare P1 Checkout API down") -> str:
        """The playbook's name for `severity`, or a UserError naming the valid ones."""
        known = self._playbook.severity(severity) if severity.strip() else None
        if known is None:
            choices = ", ".join(f"`{name}` ({sev.label})" for name, sev in self._playbook.severities.items())
            what = f"“{severity.strip()}” is not a severity" if severity.strip() else "A severity is needed"
            raise UserError(f"{what}. Use one of {choices}, e.g. `{example}`.", field=ids.SEVERITY_BLOCK)
        return severity.strip().upper()

    def check_person(self, user_id: str, *, field: str | None = None) -> Person:
        """The person to nominate, refusing unknown, deleted and bot users, and people from another organisation."""
        person = self._directory.person(user_id) if is_user_id(user_id) else None
        if person is None:
            raise UserError(
                "I can't find that user in this workspace. Mention them, e.g. `/incident communicator @dana`.",
                field=field,
            )
        if person.deleted:
            raise UserError(f"{person.name} has been deactivated. Nominate an active member.", field=field)
        if person.is_bot:
            raise UserError(
                f"{person.name} is a bot. The communicator must be a person who can approve updates.",
                field=field,
            )
        if person.external:
            raise UserError(
                f"{person.name} is from another organisation (a Slack Connect guest). The communicator must be a "
                "member of this workspace, who speaks for the company. Nominate one of your own people.",
                field=field,
            )
        return person

    def check_postable(self, channel_id: str) -> None:
        """Refuse a war room Warroom can't post in, saying how to invite it (asks Slack: not for an ack path)."""
        problem = _CANNOT_POST.get(self._channels.reach(channel_id))
        if problem is not None:
            raise UserError(problem)

    def _refuse_if_open(self, session: Session, channel_id: str, *, drill: bool) -> None:
        """One channel holds one open incident; a real one stands an open drill down rather than wait for it."""
        existing = self._open_in(session, channel_id)
        if existing is not None and existing.drill and not drill:
            return
        if existing is not None and drill:
            what = "a drill" if existing.drill else "a real incident"
            raise UserError(
                f"{existing.ref}, {what}, is already open in this channel. Run the drill in another channel "
                "(e.g. `#drill-checkout`), or resolve it first."
            )
        if existing is not None:
            raise UserError(
                f"{existing.ref} is already open in this channel ({existing.title}). "
                "One channel holds one incident: resolve it first, or declare the new one in another channel."
            )

    # -- flows --------------------------------------------------------------------------------------------

    def declare(
        self,
        *,
        channel_id: str,
        lead_id: str,
        severity: str,
        title: str,
        communicator_id: str | None = None,
        impact: str | None = None,
        drill: bool = False,
        components: Mapping[str, str] | None = None,
        internal: bool = False,
    ) -> Incident:
        """Declare an incident: card, activation notice, the first draft, and a communicator or a prompt for one.

        An impact line given here is a proposal: it reaches the mirror when the first update is approved. A drill
        runs the same flow, marked DRILL; a real incident declared where a drill is open stands the drill down.
        Component marks go onto the first draft (approving it applies them); an internal incident stays in Slack.
        """
        declaration = self.check_declaration(channel_id=channel_id, severity=severity, title=title, drill=drill)
        proposed = check_impact(impact) if impact and impact.strip() else None
        marked = {name: str(status) for name, status in check_marks(self._playbook, components or {}).items()}
        marks = {name: status for name, status in marked.items() if status != ComponentStatus.OPERATIONAL} or None
        nominee = self.check_person(communicator_id, field=ids.COMMUNICATOR_BLOCK) if communicator_id else None
        self.check_postable(channel_id)
        now = self._clock.now()
        label = self._playbook.severities[declaration.severity].label
        try:
            with session_scope(self._engine) as session:
                if not drill:
                    self._stand_down_drill(session, channel_id, by=lead_id)
                incident = Incident(
                    channel_id=channel_id,
                    title=declaration.title,
                    severity=declaration.severity,
                    status=Phase.INVESTIGATING,
                    lead_id=lead_id,
                    communicator_id=nominee.id if nominee else None,
                    declared_at=now,
                    next_update_due_at=now + self._playbook.acknowledge_within,
                    impact_proposed=proposed,
                    impact_proposed_by=lead_id if proposed else None,
                    drill=drill,
                    internal=internal and not drill,
                )
                session.add(incident)
                session.flush()
                assert incident.id is not None
                timeline.record(
                    session, incident, Event.DECLARED, by=lead_id, at=now,
                    severity=declaration.severity, label=label, title=declaration.title,
                    **({"drill": True} if drill else {}), **({"internal": True} if incident.internal else {}),
                )  # fmt: skip
                if proposed:
                    timeline.record(session, incident, Event.IMPACT_PROPOSED, by=lead_id, at=now, text=proposed)
                self._owe(session, incident, self._notices.card(incident), key=keys.card(incident.id))
                self._activate(session, incident)
                if nominee is not None:
                    self._announce_communicator(session, incident, by=lead_id)
                else:
                    self._owe(session, incident, self._notices.nomination_prompt(incident), user_id=lead_id)
                first = self._notices.first_draft(incident)
                self._draft(session, incident, text=first, phase=None, by=None, marks=marks)
        except IntegrityError:
            with Session(self._engine) as session:
                self._refuse_if_open(session, channel_id, drill=drill)
            raise
        self._on_commit()
        return incident

    def nominate(
        self, *, by: str, nominee_id: str, channel_id: str | None = None, incident_id: int | None = None
    ) -> Nomination:
        """Name the communicator of the incident in `channel_id` (or with `incident_id`)."""
        with Session(self._engine) as session:
            incident = self._find(session, channel_id=channel_id, incident_id=incident_id)
            self._check_may_nominate(incident, by)
        person = self.check_person(nominee_id)
        if incident.communicator_id == person.id:
            raise UserError(f"{person.name} is already the communicator for {incident.ref}.")
        now = self._clock.now()
        with session_scope(self._engine) as session:
            incident = self._find(session, channel_id=channel_id, incident_id=incident_id, lock=True)
            self._check_may_nominate(incident, by)
            if incident.communicator_id == person.id:
                raise UserError(f"{person.name} is already the communicator for {incident.ref}.")
            previous = incident.communicator_id
            incident.communicator_id = person.id
            session.add(incident)
            timeline.record(
                session, incident, Event.COMMUNICATOR_NOMINATED, by=by, at=now,
                communicator=person.id, previous=previous,
            )  # fmt: skip
            self._announce_communicator(session, incident, by=by)
        self._on_commit()
        return Nomination(incident=incident, communicator=person, self_nominated=person.id == incident.lead_id)

    def change_severity(self, *, channel_id: str, by: str, severity: str) -> Incident:
        """Move the open incident in `channel_id` to another severity."""
        name = self.check_severity(severity, example="/incident severity P2")
        now = self._clock.now()
        with session_scope(self._engine) as session:
            incident = self._find(session, channel_id=channel_id, lock=True)
            old = incident.severity
            if old == name:
                raise UserError(f"{incident.ref} is already {name}. Nothing changed.")
            incident.severity = name
            session.add(incident)
            timeline.record(session, incident, Event.SEVERITY_CHANGED, by=by, at=now, old=old, new=name)
            war_room, mirror = self._notices.severity_changed(incident, old=old, by=by, at=now)
            self._owe(session, incident, war_room)
            self._refresh_card(session, incident)
            self._to_mirror(session, incident, mirror, broadcast=True)
            self._activate(session, incident)  # the thread's parent speaks for the severity it has now
        self._on_commit()
        return incident

    def war_room_unreachable(self, session: Session, row: OutboxMessage, error: str) -> None:
        """A war-room message Slack will never take was given up: tell the lead once, in a DM, how to fix it."""
        query = select(Incident).where(Incident.id == row.incident_id).with_for_update()
        incident = session.exec(query).first()
        if incident is None or row.channel_id != incident.channel_id:
            return
        told = select(TimelineEvent.id).where(
            TimelineEvent.incident_id == incident.id, TimelineEvent.kind == Event.WAR_ROOM_UNREACHABLE
        )
        if session.exec(told).first() is not None:
            return
        timeline.record(session, incident, Event.WAR_ROOM_UNREACHABLE, by=None, at=self._clock.now(), error=error)
        notice = self._notices.war_room_unreachable(incident, error=error)
        self._owe(session, incident, notice, channel_id=incident.lead_id)

    def share_timeline(self, incident: Incident, story: list[Told], *, by: str) -> None:
        """Owe the war room the incident's timeline as a message, then as a Markdown file for the postmortem.

        It holds internal text, so it only ever goes to the war room (never the mirror or another channel). The
        file is shared after the message (the channel's order), by the delivery worker like any message.
        """
        assert incident.id is not None
        message = text_message(f"*Timeline of {incident.ref}*\n" + "\n".join(told.mrkdwn for told in story))
        drill = DRILL_PREFIX if incident.drill else ""
        upload = FileUpload(
            name=f"{incident.ref}{'-DRILL' if incident.drill else ''}-timeline.md",
            title=f"{drill}{incident.ref} timeline",
            content=("**DRILL: no customer was affected.**\n\n" if incident.drill else "")
            + markdown(incident, story, self._playbook),
            comment=f"{drill}{incident.ref}'s timeline as Markdown, ready to paste into the postmortem.",
        )
        with session_scope(self._engine) as session:
            self._owe(session, incident, Message(text=message.text, blocks=message.blocks[:_MAX_BLOCKS]))
            outbox.enqueue_upload(
                session, upload, incident_id=incident.id, channel_id=incident.channel_id, requested_by=by,
                at=self._clock.now(),
            )  # fmt: skip
        self._on_commit()

    def open_incidents(self) -> list[Incident]:
        """Every open incident, oldest first."""
        with Session(self._engine) as session:
            query = select(Incident).where(col(Incident.resolved_at).is_(None)).order_by(col(Incident.id))
            return list(session.exec(query))

    # -- helpers ------------------------------------------------------------------------------------------

    def _stand_down_drill(self, session: Session, channel_id: str, *, by: str) -> None:
        query = select(Incident).where(Incident.channel_id == channel_id, col(Incident.resolved_at).is_(None))
        open_drill = session.exec(query.where(col(Incident.drill).is_(True)).with_for_update()).first()
        if open_drill is not None:
            self._drills.stand_down(session, open_drill, by=by)

    def _announce_communicator(self, session: Session, incident: Incident, *, by: str) -> None:
        now = self._clock.now()
        assert incident.communicator_id is not None and incident.id is not None
        self._refresh_card(session, incident)
        self._owe(session, incident, self._notices.communicator_named(incident, by=by))
        briefing = self._notices.communicator_briefing(incident, by=by, now=now)
        self._owe(session, incident, briefing, channel_id=incident.communicator_id)
        pending = select(Entry).where(Entry.incident_id == incident.id, Entry.state == DRAFT).order_by(col(Entry.id))
        for entry in session.exec(pending):
            self._refresh_draft(session, incident, entry)  # the card now names who may approve
            self._ask_approval(session, incident, entry)

    def _check_may_nominate(self, incident: Incident, by: str) -> None:
        if by not in (incident.lead_id, incident.communicator_id):
            raise UserError(
                "Only the incident lead (", User(incident.lead_id), ") or the current communicator can name the "
                f"communicator for {incident.ref}. Ask them in this channel."
            )  # fmt: skip
