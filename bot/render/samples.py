"""Sample data for every template Warroom renders, with the variables the code passes, to prove they render."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.playbook import Playbook
from bot.render.text import clock_time, day_and_time, span

DRAFT_PHASES = ("investigating", "identified", "monitoring", "resolved", "no_new_information")
_LEAD, _COMMUNICATOR, _WAR_ROOM, _MIRROR = "ULEAD0001", "UDANA0001", "CWARROOM1", "CMIRROR01"


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
    return {
        "activation.md.j2": [
            {
                **incident,
                "started": day_and_time(start, zone),
                "first_update_due": due,
                "cadence": span(severity.cadence),
                "authority": playbook.briefing.authority,
                "escalate": playbook.briefing.escalate,
            }
        ],
        "communicator_dm.md.j2": [
            {
                **incident,
                "channel": _WAR_ROOM,
                "by": _LEAD,
                "cadence": span(severity.cadence),
                "due": due,
                "due_in": "in 5 min",
            }
        ],
        "communicator_named.md.j2": [
            {"ref": "INC-42", "communicator": who, "by": _LEAD, "self_nominated": who == _LEAD}
            for who in (_COMMUNICATOR, _LEAD)
        ],
        "customer_email.md.j2": [
            {
                **resolved,
                "day": start.astimezone(zone).strftime("%A %d %B"),
                "label": severity.label,
                "cause": "a configuration change overloaded the payment database",
                "resolution": "the cause above; the service has worked normally since 14:49 UTC.",
                "postmortem": severity.postmortem,
                "credits": playbook.credits.policy,
                "sender": email_sender,
            }
        ],
        "draft_dm.md.j2": [
            {"ref": "INC-42", "channel": _WAR_ROOM, "resolution": resolution, "state": state}
            for resolution in (False, True)
            for state in ("draft", "approved", "rejected")
        ],
        "email_drafted.md.j2": [
            {"ref": "INC-42", "due": due, "within": span(playbook.customer_email_within), "sender": email_sender}
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
        "entry.md.j2": [{**entry, "phase": "Investigating", "next_update": due}],
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
                "pending": pending,
                "channel": _WAR_ROOM,
                "communicator": who,
            }
            for pending, who in ((True, _COMMUNICATOR), (False, None))
        ],
        "reminder_nobody_owns.md.j2": [{"ref": "INC-42", "due": due, "lead": _LEAD}],
        "reminder_overdue.md.j2": [{"ref": "INC-42", "due": due}],
        "resolved_entry.md.j2": [
            {**entry, **resolved, "cause": "a configuration change", "postmortem": severity.postmortem}
        ],
        "severity_changed.md.j2": [{**change, "by": _LEAD, "due": due}],
        "severity_changed_mirror.md.j2": [{**change, "at": due}],
        **{
            f"drafts/{phase}.md.j2": [
                {"ref": "INC-42", "severity": key, "label": level.label, "tone": level.tone}
                for key, level in playbook.severities.items()
            ]
            for phase in DRAFT_PHASES
        },
    }
