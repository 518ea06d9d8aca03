"""Sample data for every template Warroom renders, with the variables the code passes, to prove they render."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.playbook import Playbook
from bot.render.text import clock_time, day_and_time, span
from bot.vocabulary import DRAFT_TEMPLATES, EntryState, Phase

_LEAD, _COMMUNICATOR, _WAR_ROOM, _MIRROR = "ULEAD0001", "UDANA0001", "CWARROOM1", "CMIRROR01"
_IMPACT = "Checkout and card payments fail for all customers in the EU"


def template_samples(playbook: Playbook) -> dict[str, list[dict[str, object]]]:
    """Each template's name with one or more contexts shaped exactly like the ones bot/incidents passes."""
    zone = playbook.zone
    start = datetime(2026, 11, 22, 14, 2, tzinfo=UTC)
    due = clock_time(start + playbook.acknowledge_within, zone)
    name, severity = next(iter(playbook.severities.items()))
    incident: dict[str, object] = {"ref": "INC-42", "severity": name, "label": severity.label}
    change = {**incident, "old_severity": name, "old_label": severity.label, "cadence": span(severity.cadence)}
    entry: dict[str, object] = {
        **incident,
        "at": clock_time(start + timedelta(minutes=4), zone),
        "text": "We are investigating errors at checkout. Next update by 14:30 UTC.",
        "corrected": None,
    }
    resolved = {
        "started": day_and_time(start, zone),
        "ended": day_and_time(start + timedelta(minutes=47), zone),
        "duration": span(timedelta(minutes=47)),
    }
    email_sender = playbook.customer_email.sender or "Dana Whitfield"
    impacts = (_IMPACT, None)
    drafted = clock_time(start + timedelta(minutes=3), zone)
    waits: list[dict[str, object]] = [  # the newest draft awaiting approval: someone's, Warroom's, the approver's own
        {"by": "UERIN0001", "yours": False, "at": drafted, "others": 1},
        {"by": None, "yours": False, "at": drafted, "others": 0},
        {"by": _COMMUNICATOR, "yours": True, "at": drafted, "others": 0},
    ]
    contacts = playbook.briefing.escalate_to
    return {
        "activation.md.j2": [
            {
                **incident,
                "impact": impact,
                "tone": level.tone,
                "started": day_and_time(start, zone),
                "first_update_due": due,
                "cadence": span(level.cadence),
                "briefing_from": briefing_from,
                "declared_as": declared_as,
                "resolved": resolved,
                "authority": playbook.briefing.authority,
                "escalate": playbook.briefing.escalate,
                "escalate_group": contacts.group if contacts else None,
                "escalate_people": contacts.people if contacts else [],
                "escalate_email": contacts.email if contacts else None,
                "lead": _LEAD,
                "drill": drill,
            }
            for level in playbook.severities.values()
            for impact, briefing_from in ((None, None), (_IMPACT, "INC-41"))
            for declared_as in (None, playbook.severity_names()[-1])
            for resolved in (None, due)
            for drill in (False, True)
        ],
        **_mirror_samples(playbook, incident, due),
        "communicator_dm.md.j2": [
            {
                **incident,
                "channel": _WAR_ROOM,
                "by": _LEAD,
                "cadence": span(severity.cadence),
                "due": due,
                "due_in": "in 5 min",
                "first": first,
            }
            for first in (True, False)
        ],
        "communicator_named.md.j2": [
            {"ref": "INC-42", "communicator": who, "by": _LEAD, "self_nominated": who == _LEAD}
            for who in (_COMMUNICATOR, _LEAD)
        ],
        "customer_email.md.j2": [
            {
                "day": start.astimezone(zone).strftime("%A %d %B"),
                "started": clock_time(start, zone),
                "ended": clock_time(start + timedelta(minutes=47), zone),
                "duration": span(timedelta(minutes=47)),
                "greeting": playbook.customer_email.greeting,
                "impact": impact,
                "cause": "A configuration change overloaded the payment database.",
                "fixed": "Service is fully restored.",
                "prevention": prevention,
                "credits": credits,
                "reply_to": playbook.customer_email.reply_to,
                "sender": email_sender,
            }
            for impact, prevention, credits in (
                ("Checkout and card payments failed for all customers in the EU", "We now test every change.", ""),
                (None, "[Write one sentence on what you are changing so it does not happen again]", "10% off."),
            )
        ],
        "draft_dm.md.j2": [
            {"ref": "INC-42", "channel": _WAR_ROOM, "resolution": resolution, "state": state, "now_for": now_for}
            for resolution in (False, True)
            for state in EntryState
            for now_for in (None, _COMMUNICATOR)
        ],
        "draft_rejected.md.j2": [
            {
                "ref": "INC-42",
                "by": _COMMUNICATOR,
                "reason": reason,
                "lines": ["We are investigating."],
                "channel": _WAR_ROOM,
            }
            for reason in ("Too vague: say which payments fail.", None)
        ],
        "email_drafted.md.j2": [
            {
                "ref": "INC-42",
                "due": due,
                "within": span(playbook.customer_email_within),
                "sender": email_sender,
                "placeholder": placeholder,
                "reply_to": reply_to,
                "warnings": warnings,
            }
            for placeholder, reply_to, warnings in (
                (True, None, []),
                (False, "support@example.com", ["In the cause: Internal identifier (a server name): “db-prod-03”."]),
            )
        ],
        "email_reminder.md.j2": [
            {
                "ref": "INC-42",
                "due": due,
                "left": "30 min",
                "within": span(playbook.customer_email_within),
                "channel": _WAR_ROOM,
            }
        ],
        "entry.md.j2": [
            {**entry, "impact": impact, "phase": Phase.INVESTIGATING.capitalize(), "next_update": due}
            for impact in impacts
        ],
        "help.md.j2": [{"severities": [(key, level.label) for key, level in playbook.severities.items()]}],
        "mirror_reachable.md.j2": [{"ref": "INC-42"}],
        "mirror_unreachable.md.j2": [{"ref": "INC-42", "error": "not_in_channel", "mirror": _MIRROR}],
        "nominate_prompt.md.j2": [{"ref": "INC-42", "due": due}],
        "war_room_unreachable.md.j2": [{"ref": "INC-42", "error": "not_in_channel", "channel": _WAR_ROOM}],
        "postmortem_reminder.md.j2": [{"ref": "INC-42", "channel": _WAR_ROOM}],
        "reminder_escalation.md.j2": [
            {"ref": "INC-42", "lead": _LEAD, "communicator": who, "due": due, "late": "5 min"}
            for who in (_COMMUNICATOR, None)
        ],
        "reminder_heads_up.md.j2": [
            {
                "ref": "INC-42",
                "due": due,
                "left": "3 min",
                "waiting": waiting,
                "channel": _WAR_ROOM,
                "communicator": who,
            }
            for waiting, who in ((waits[0], _COMMUNICATOR), (waits[1], None), (waits[2], _COMMUNICATOR), (None, None))
        ],
        "reminder_nobody_owns.md.j2": [{"ref": "INC-42", "due": due, "lead": _LEAD}],
        "reminder_overdue.md.j2": [
            {"ref": "INC-42", "due": due, "waiting": waiting, "channel": _WAR_ROOM} for waiting in (*waits, None)
        ],
        "resolved_entry.md.j2": [
            {
                **entry,
                **resolved,
                "impact": impact,
                "cause": "a configuration change",
                "postmortem": severity.postmortem,
                "ended_as": ended_as,
            }
            for impact in impacts
            for ended_as in (None, playbook.severity_names()[-1])
        ],
        "severity_changed.md.j2": [{**change, "by": _LEAD, "due": due, "impact": impact} for impact in impacts],
        "severity_changed_mirror.md.j2": [
            {**change, "at": due, "impact": impact, "tone": level.tone}
            for impact in impacts
            for level in playbook.severities.values()
        ],
        **{
            f"drafts/{phase}.md.j2": [
                {"ref": "INC-42", "severity": key, "label": level.label, "tone": level.tone, "impact": impact}
                for key, level in playbook.severities.items()
                for impact in impacts
            ]
            for phase in DRAFT_TEMPLATES
        },
    }


def _mirror_samples(playbook: Playbook, incident: dict[str, object], due: str) -> dict[str, list[dict[str, object]]]:
    """The mirror's follow-up notices (bot/incidents/mirror.py), with and without an approved impact line."""
    heads = [{"ref": incident["ref"], "impact": impact} for impact in (_IMPACT, None)]
    email = "Dear customer,\n\nOn Sunday 22 November checkout failed.\n\nDana Whitfield"
    return {
        "mirror_late.md.j2": [{**head, "due": due, "first": first} for head in heads for first in (True, False)],
        "mirror_correction.md.j2": [
            {**head, "at": due, "posted": due, "text": "Card payments fail in the EU.\nWe are on it.", "cause": cause}
            for head in heads
            for cause in (None, "a configuration change")
        ],
        "mirror_stand_down.md.j2": [
            {
                **head,
                "tone": level.tone,
                "resolved": due,
                "credits_owed": owed,
                "credits_why": why,
                "coming": coming,
            }
            for head in heads
            for level in playbook.severities.values()
            for owed, why, coming in (
                (True, "1 h at P1 against the P1 SLA of 30 min", ["the credit decision", "the postmortem link"]),
                (False, "no SLA for P3", []),
            )
        ],
        "mirror_credits.md.j2": [
            {**head, "offered": offered, "policy": playbook.credits.policy}
            for head in heads
            for offered in (True, False)
        ],
        "mirror_email.md.j2": [{**head, "at": due, "email": email} for head in heads],
        "mirror_impact.md.j2": [
            {**head, "at": due, "previous": previous} for head in heads for previous in (None, "Checkout is slow")
        ],
        "mirror_postmortem.md.j2": [{**head, "url": "https://wiki.example.com/postmortems/inc-42"} for head in heads],
    }
