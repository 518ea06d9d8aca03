"""The follow-up checklist's lines: what is done, what is owed and by when; buttons only where a decision exists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot import ids
from bot.incidents.audit import OFFERED, follow_ups_due
from bot.incidents.customer_email import PREVENTION_PLACEHOLDER
from bot.incidents.severities import Verdict
from bot.playbook import Playbook
from bot.render.followups import Line
from bot.render.text import clock_time, escape, mention, span
from bot.store.models import Incident


def follow_up_lines(
    incident: Incident, playbook: Playbook, verdict: Verdict, *, now: datetime, warnings: Sequence[str] = ()
) -> tuple[str, list[Line]]:
    """The checklist's title and its three lines: the customer email (flagged with `warnings`), credits, postmortem."""
    assert incident.resolved_at is not None
    lasted = incident.resolved_at - incident.declared_at
    title = f"Follow-ups for {incident.ref}: resolved {_at(incident.resolved_at, playbook)} after {span(lasted)}"
    return title, [
        _email(incident, playbook, now, warnings),
        _credits(incident, playbook, verdict, now),
        _postmortem(incident, verdict, playbook),
    ]


def _email(incident: Incident, playbook: Playbook, now: datetime, warnings: Sequence[str]) -> Line:
    assert incident.resolved_at is not None
    if incident.email_text is None:
        lasted = incident.resolved_at - incident.declared_at
        return Line(
            f"*Customer email:* not needed; it lasted {span(lasted)}, "
            f"under {span(playbook.customer_email_min_duration)}."
        )
    if incident.email_sent_at and incident.email_sent_by:
        return Line(
            f"✅ *Customer email:* sent, marked by {mention(incident.email_sent_by)} at "
            f"{_at(incident.email_sent_at, playbook)}."
        )
    due = follow_ups_due(incident, playbook)
    assert due is not None
    send = f"send it by {_at(due, playbook)}" if now < due else f"it was due by {_at(due, playbook)}: send it now"
    flagged = "".join(f"\n:warning: {escape(warning)}" for warning in warnings)
    if PREVENTION_PLACEHOLDER in incident.email_text:
        return Line(
            f"*Customer email:* drafted above; {send}. First write the sentence on what you "
            "are changing so it does not happen again: until then it carries a placeholder and can't be marked sent."
            + flagged,
            (
                ("Write prevention sentence", ids.PREVENTION_ACTION, "primary"),
                ("Mark sent", ids.EMAIL_SENT_ACTION, None),
            ),
        )
    return Line(
        f"*Customer email:* drafted above, with your prevention sentence; {send}.{flagged}",
        (("Mark sent", ids.EMAIL_SENT_ACTION, "primary"), ("Change prevention sentence", ids.PREVENTION_ACTION, None)),
    )


def _credits(incident: Incident, playbook: Playbook, verdict: Verdict, now: datetime) -> Line:
    if incident.credits and incident.credits_by and incident.credits_at:
        mark, said = ("✅ ", "offered") if incident.credits == OFFERED else ("", "not owed")
        return Line(
            f"{mark}*Credits:* {said}, recorded by {mention(incident.credits_by)} at "
            f"{_at(incident.credits_at, playbook)}; the rule said {verdict.says()}."
        )
    if not verdict.owed:
        return Line(f"*Credits:* {verdict.says()}. Nothing to offer.")
    due = follow_ups_due(incident, playbook)
    assert due is not None
    offer = (
        f"Offer them by {_at(due, playbook)}" if now < due else f"They were due by {_at(due, playbook)}: offer them now"
    )
    return Line(
        f"*Credits:* *{verdict.says()}*. {offer} (the customer email is the place), "
        f"before anyone asks. Policy: {escape(playbook.credits.policy)}",
        (("Offered", ids.CREDITS_OFFERED_ACTION, "primary"), ("Not owed", ids.CREDITS_NOT_OWED_ACTION, None)),
    )


def _postmortem(incident: Incident, verdict: Verdict, playbook: Playbook) -> Line:
    severity = playbook.severity(verdict.highest)
    if severity is not None and not severity.postmortem:
        return Line(f"*Postmortem:* not needed for {verdict.highest}.")
    if incident.postmortem_url and incident.postmortem_by:
        return Line(f"✅ *Postmortem:* {escape(incident.postmortem_url)}, added by {mention(incident.postmortem_by)}.")
    return Line(
        "*Postmortem:* promised in the resolved post. Add its link once it is scheduled; "
        "until then the communicator and the lead are reminded.",
        (("Add link", ids.POSTMORTEM_ACTION, None),),
    )


def _at(moment: datetime, playbook: Playbook) -> str:
    return clock_time(moment, playbook.zone)
