"""What Warroom says, and to whom: every message is rendered from the team's templates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.incidents.components import described, pending
from bot.incidents.mirror import MirrorNotices
from bot.incidents.wording import check
from bot.playbook import Playbook, Severity
from bot.render import entries
from bot.render.blocks import SECTION_LIMIT, IncidentCard, Message, incident_card, nomination_prompt, text_message
from bot.render.templates import Templates
from bot.render.text import clock_time, day_and_time, escape, mention, span
from bot.store.models import DRAFT, REJECTED, RESOLUTION, SUPERSEDED, Entry, Incident
from bot.vocabulary import Phase


class Notices:
    """Renders the messages of the incident flows."""

    def __init__(self, *, playbook: Playbook, templates: Templates) -> None:
        self.playbook = playbook
        self.templates = templates
        self.mirror = MirrorNotices(playbook=playbook, templates=templates)

    def _severity(self, name: str) -> Severity:
        severity = self.playbook.severity(name)
        assert severity is not None, f"severity {name} is not in the playbook"
        return severity

    def _text(self, template: str, **context: object) -> Message:
        return text_message(self.templates.render(template, **context))

    def plain(self, text: str) -> Message:
        """A message of already-rendered mrkdwn."""
        return text_message(text)

    def card(self, incident: Incident, *, components: Mapping[str, str] | None = None) -> Message:
        """The incident card, with the components it marks."""
        return incident_card(card_of(incident, components=components), self.playbook)

    def nomination_prompt(self, incident: Incident) -> Message:
        """The lead's picker for the communicator."""
        prompt = self.templates.render(
            "nominate_prompt.md.j2",
            ref=incident.ref,
            due=clock_time(incident.next_update_due_at, self.playbook.zone),
        )
        assert incident.id is not None
        return nomination_prompt(incident.id, prompt)

    def communicator_named(self, incident: Incident, *, by: str) -> Message:
        """The war room's announcement of the communicator."""
        return self._text(
            "communicator_named.md.j2",
            ref=incident.ref,
            communicator=incident.communicator_id,
            by=by,
            self_nominated=incident.communicator_id == incident.lead_id,
        )

    def communicator_briefing(self, incident: Incident, *, by: str, now: datetime) -> Message:
        """The DM that tells the nominee what the role is and what is due next."""
        severity = self._severity(incident.severity)
        return self._text(
            "communicator_dm.md.j2",
            ref=incident.ref,
            severity=incident.severity,
            label=severity.label,
            channel=incident.channel_id,
            by=by,
            cadence=span(severity.cadence),
            due=clock_time(incident.next_update_due_at, self.playbook.zone),
            due_in=_due_in(incident.next_update_due_at, now),
            first=incident.last_update_at is None,  # a communicator named later takes over a running cadence
        )

    def severity_changed(self, incident: Incident, *, old: str, by: str, at: datetime) -> tuple[Message, Message]:
        """The war-room announcement and the mirror's notice (in the incident's thread) of a severity change."""
        before, after = self._severity(old), self._severity(incident.severity)
        context = {
            "ref": incident.ref,
            "old_severity": old,
            "old_label": before.label,
            "severity": incident.severity,
            "label": after.label,
            "cadence": span(after.cadence),
        }
        war_room = self._text(
            "severity_changed.md.j2",
            by=by,
            due=clock_time(incident.next_update_due_at, self.playbook.zone),
            impact=incident.impact,
            **context,
        )
        return war_room, self.mirror.severity_changed(incident, old=old, at=at)

    # -- the update feed ----------------------------------------------------------------------------------

    def draft_text(self, incident: Incident, phase: str) -> str:
        """A draft in the severity's tone for `phase` (investigating, identified, monitoring, resolved, …)."""
        return self.templates.render_text(
            f"drafts/{phase}.md.j2",
            ref=incident.ref,
            severity=incident.severity,
            label=self._severity(incident.severity).label,
            tone=self._severity(incident.severity).tone,
            impact=incident.impact_proposed or incident.impact,  # approving the draft approves a proposal with it
        )

    def first_draft(self, incident: Incident) -> str:
        """The "Investigating" entry that writes itself on declaration."""
        return self.draft_text(incident, Phase.INVESTIGATING)

    def draft_card(self, incident: Incident, entry: Entry, *, holder: str | None = None) -> Message:
        """The draft card in the war room (or `holder`'s copy by DM): buttons only while it is theirs to act on."""
        zone = self.playbook.zone
        what = "Resolution" if entry.kind == RESOLUTION else "Draft update"
        if entry.phase:  # what approving it does, which never changes after the fact
            phase = f" · → {entry.phase.capitalize()}"
        elif entry.state == DRAFT:  # the status it leaves alone is only worth saying while it is pending
            phase = f" · keeps {incident.status.capitalize()}"
        else:
            phase = ""
        by = (
            f"by {mention(entry.drafted_by)}"
            if entry.drafted_by
            else f"by Warroom from the {incident.severity} template"
        )
        drafted = f"drafted {by} at {clock_time(entry.drafted_at, zone)}"
        headline = f"*{what} for {incident.ref}* · {incident.severity}{phase} · {drafted}"
        if entry.edited_at and entry.edited_by:
            headline += f" · edited by {mention(entry.edited_by)} at {clock_time(entry.edited_at, zone)}"
        if entry.state == DRAFT and incident.impact_proposed:  # approving this draft approves the proposal too
            headline += f"\n*Impact line, approved with this update:* {escape(incident.impact_proposed)}"
        marks = pending(incident, entry) if entry.state == DRAFT else {}
        if marks:  # the entry's own marks and any proposal: what approving it applies
            headline += f"\n*Components, applied with this update:* {escape(described(marks))}"
        text = escape(entry.text)
        if entry.cause is not None:
            text += f"\n*Cause:* {escape(entry.cause)}"
        cadence = span(self._severity(incident.severity).cadence)
        footer = (
            f"Only {mention(incident.communicator_id)} (the communicator) can approve, edit or reject."
            if incident.communicator_id
            else f"Until a communicator is named, the incident lead {mention(incident.lead_id)} can approve."
        )
        if entry.kind != RESOLUTION:
            footer += (
                " Approving posts it to the war room and the support team's mirror;"
                f" the next update is due {cadence} later."
            )
        else:
            footer += " Approving posts it to the war room and the mirror, and closes the incident."
        decided = self._decided(incident, entry, holder=holder)
        assert entry.id is not None
        resolved = entry.kind == RESOLUTION
        said = check(entry.text, self.playbook.wording, is_resolution=resolved, cause=entry.cause)
        warnings = [escape(w) for w in said]
        if entry.cause:  # the cause is written for customers too: it goes into the resolved post and the email
            warnings += [f"In the cause: {escape(w)}" for w in check(entry.cause, self.playbook.wording, fragment=True)]
        return entries.draft_card(
            headline=headline, text=text, warnings=warnings, footer=footer, entry_id=entry.id, decided=decided
        )

    def _decided(self, incident: Incident, entry: Entry, *, holder: str | None) -> str | None:
        """What became of the draft, in place of its buttons; None while `holder` (or the room) may still act."""
        zone = self.playbook.zone
        if entry.state == DRAFT:
            now_for = incident.communicator_id or incident.lead_id
            if holder is None or holder == now_for:
                return None
            return f":arrow_right: {mention(now_for)} approves {incident.ref}'s updates now; nothing for you to do."
        if not (entry.decided_by and entry.decided_at):
            return None
        at = clock_time(entry.decided_at, zone)
        if entry.state == SUPERSEDED:
            resolved = incident.resolved_at is not None and entry.decided_at == incident.resolved_at
            newer = "resolution" if resolved else "update"
            return (
                f":fast_forward: Superseded by the {at} {newer} (approved by {mention(entry.decided_by)}). "
                "Nothing from this draft was posted."
            )
        if entry.state == REJECTED:
            reason = f" · Reason: {escape(entry.reason)}" if entry.reason else ""
            return f":x: Rejected by {mention(entry.decided_by)} at {at}{reason}"
        return f":white_check_mark: Approved by {mention(entry.decided_by)} at {at}"

    def draft_rejected(self, incident: Incident, entry: Entry) -> Message:
        """Told to whoever drafted an entry when it is rejected, with the reason if one was given."""
        return self._text(
            "draft_rejected.md.j2",
            ref=incident.ref,
            by=entry.decided_by,
            reason=entry.reason,
            lines=entry.text.splitlines() or [""],
            channel=incident.channel_id,
        )

    def draft_dm(self, incident: Incident, entry: Entry, *, holder: str | None = None) -> Message:
        """The copy of the draft card sent by DM to `holder` (the approver when None), buttons while theirs."""
        now_for = incident.communicator_id or incident.lead_id
        intro = self.templates.render(
            "draft_dm.md.j2",
            ref=incident.ref,
            channel=incident.channel_id,
            resolution=entry.kind == RESOLUTION,
            state=entry.state,
            now_for=now_for if holder not in (None, now_for) else None,
        )
        card = self.draft_card(incident, entry, holder=holder)
        return Message(text=f"{intro}\n{card.text}"[:SECTION_LIMIT], blocks=[*text_message(intro).blocks, *card.blocks])

    def entry_post(self, incident: Incident, entry: Entry, *, war_room: bool, highest: str | None = None) -> Message:
        """An approved entry, exactly as posted to the war room and to the mirror (under `highest` if given)."""
        zone = self.playbook.zone
        named = highest or incident.severity
        severity = self._severity(named)
        assert entry.decided_at is not None and entry.id is not None
        context: dict[str, object] = {
            "ref": incident.ref,
            "impact": incident.impact,
            "at": clock_time(entry.decided_at, zone),
            "severity": named,
            "label": severity.label,
            "text": entry.text,
            "corrected": clock_time(entry.corrected_at, zone) if entry.corrected_at else None,
        }
        if entry.kind == RESOLUTION:
            assert incident.resolved_at is not None
            rendered = self.templates.render(
                "resolved_entry.md.j2",
                started=day_and_time(incident.declared_at, zone),
                ended=day_and_time(incident.resolved_at, zone),
                duration=span(incident.resolved_at - incident.declared_at),
                cause=entry.cause or "",
                postmortem=severity.postmortem,
                ended_as=incident.severity if incident.severity != named else None,
                **context,
            )
        else:
            assert entry.next_update_due_at is not None
            rendered = self.templates.render(
                "entry.md.j2",
                phase=(entry.phase or incident.status).capitalize(),
                next_update=clock_time(entry.next_update_due_at, zone),
                **context,
            )
        return entries.entry_post(rendered, entry_id=entry.id, correctable=war_room)

    def mirror_unreachable(self, incident: Incident, *, error: str, mirror: str) -> Message:
        """Told once in the war room when the mirror channel can't be reached."""
        return self._text("mirror_unreachable.md.j2", ref=incident.ref, error=error, mirror=mirror)

    def war_room_unreachable(self, incident: Incident, *, error: str) -> Message:
        """Told once to the lead, in a DM, when Slack refuses every post in the war room."""
        return self._text("war_room_unreachable.md.j2", ref=incident.ref, error=error, channel=incident.channel_id)

    def mirror_reachable(self, incident: Incident) -> Message:
        """Told in the war room when the mirror channel works again."""
        return self._text("mirror_reachable.md.j2", ref=incident.ref)

    def help(self) -> str:
        """The usage message."""
        severities = [(name, severity.label) for name, severity in self.playbook.severities.items()]
        return self.templates.render("help.md.j2", severities=severities)


def card_of(incident: Incident, *, components: Mapping[str, str] | None = None) -> IncidentCard:
    """The incident card's values, read from the incident (and its component marks, from their own table)."""
    return IncidentCard(
        ref=incident.ref,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        lead_id=incident.lead_id,
        communicator_id=incident.communicator_id,
        declared_at=incident.declared_at,
        next_update_due_at=incident.next_update_due_at,
        resolved_at=incident.resolved_at,
        updated_once=incident.last_update_at is not None,
        components=tuple((components or {}).items()),
        internal=incident.internal,
    )


def _due_in(due: datetime, now: datetime) -> str:
    if due <= now:
        return f"overdue by {span(now - due)}"
    return f"in {span(due - now)}"
