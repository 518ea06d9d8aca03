"""Keys of the logical Slack messages Warroom keeps up to date: one message each, posted once, updated after."""

from __future__ import annotations

from enum import StrEnum


def card(incident_id: int) -> str:
    """The incident card in the war room."""
    return f"incident:{incident_id}:card"


def activation(incident_id: int) -> str:
    """The activation notice in the mirror: the parent of the incident's thread there."""
    return f"incident:{incident_id}:activation"


def draft(entry_id: int) -> str:
    """The draft card of an entry in the war room."""
    return f"entry:{entry_id}:draft"


def draft_dm(entry_id: int, user_id: str) -> str:
    """The copy of a draft card sent to the person who may approve it."""
    return f"entry:{entry_id}:dm:{user_id}"


def war_room_post(entry_id: int) -> str:
    """An approved entry as posted in the war room."""
    return f"entry:{entry_id}:war_room"


def mirror_post(entry_id: int) -> str:
    """An approved entry as posted in the support team's mirror channel."""
    return f"entry:{entry_id}:mirror"


def follow_ups(incident_id: int) -> str:
    """The follow-up checklist posted in the war room when the incident is resolved."""
    return f"incident:{incident_id}:follow_ups"


def audit(incident_id: int) -> str:
    """The trust audit posted in the war room when a P1 is resolved, kept up to date."""
    return f"incident:{incident_id}:audit"


def drill_report(incident_id: int) -> str:
    """The drill report posted in the war room when a drill is resolved, kept up to date with its follow-ups."""
    return f"incident:{incident_id}:drill_report"


class MirrorNotice(StrEnum):
    """The follow-up notices the mirror's incident thread gets once each."""

    STAND_DOWN = "stand_down"
    CREDITS = "credits"
    EMAIL = "email"
    POSTMORTEM = "postmortem"


def mirror_notice(incident_id: int, kind: MirrorNotice) -> str:
    """A follow-up notice in the incident's mirror thread (stand-down, credits, email, postmortem): one each."""
    return f"incident:{incident_id}:mirror:{kind}"


def customer_email(incident_id: int) -> str:
    """The drafted customer email shown in the war room, updated in place when it is re-rendered."""
    return f"incident:{incident_id}:customer_email"
