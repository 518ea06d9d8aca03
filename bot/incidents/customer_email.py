"""The post-incident email to customers: plain text a person would write, with the communicator's own sentence."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.incidents.audit import NOT_OWED, credits_owed
from bot.incidents.people import Person
from bot.incidents.wording import check
from bot.playbook import Playbook, Wording
from bot.render.drills import EMAIL_HEADER
from bot.render.templates import Templates
from bot.render.text import clock_time, escape, span
from bot.store.models import Entry, Incident
from bot.vocabulary import PREVENTION_LIMIT

PREVENTION_PLACEHOLDER = "[Write one sentence on what you are changing so it does not happen again]"
NO_CAUSE = "We are still confirming the cause, and will write to you again once we know it."
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_COURTESY = re.compile(r"\b(sorry|apologi[sz]e|thank you|thanks)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Sender:
    """Who signs the email: a real name, and a title when there is one."""

    name: str
    title: str | None = None

    def signature(self) -> str:
        """The name, with the title on the next line."""
        return f"{self.name}\n{self.title}" if self.title else self.name


def sender(playbook: Playbook, person: Person | None) -> Sender:
    """The playbook's customer_email.sender, else the person's real name (never their handle) and title."""
    if playbook.customer_email.sender:
        return Sender(name=playbook.customer_email.sender.strip())
    if person is not None and person.real_name:
        return Sender(name=person.real_name, title=person.title)
    return Sender(name="The support team")


def prevention_problem(sentence: str) -> str | None:
    """Why `sentence` can't be the email's prevention sentence, or None."""
    clean = " ".join(sentence.split())
    if not clean or clean == PREVENTION_PLACEHOLDER:
        return (
            "Write what you are changing so it does not happen again, e.g. “We now test every configuration "
            "change against peak load.”"
        )
    if len(clean) > PREVENTION_LIMIT:
        return f"Keep it to one or two sentences ({PREVENTION_LIMIT} characters at most); it is {len(clean)}."
    return None


def compose(
    templates: Templates,
    playbook: Playbook,
    incident: Incident,
    *,
    resolution: Entry | None,
    held: Mapping[str, timedelta],
    signed: str,
) -> str:
    """The email as plain text: subject, reply-to, greeting, what happened, who, what we fixed, what we change."""
    assert incident.resolved_at is not None
    zone, settings = playbook.zone, playbook.customer_email
    impact = (incident.impact or "").strip().rstrip(".").strip() or None
    header = f"{EMAIL_HEADER}\n\n" if incident.drill else ""  # a drill's email is a rehearsal: never to be sent
    return header + templates.render_text(
        "customer_email.md.j2",
        day=incident.declared_at.astimezone(zone).strftime("%A %d %B"),
        started=clock_time(incident.declared_at, zone),
        ended=clock_time(incident.resolved_at, zone),
        duration=span(incident.resolved_at - incident.declared_at),
        greeting=settings.greeting,
        impact=impact,
        cause=((resolution.cause if resolution else None) or "").strip() or NO_CAUSE,
        fixed=_what_was_fixed(resolution.text if resolution else ""),
        prevention=(incident.email_prevention or "").strip() or PREVENTION_PLACEHOLDER,
        credits=playbook.credits.policy if promises_credits(playbook, incident, held) else "",
        reply_to=settings.reply_to,
        sender=signed,
    )


def warnings(wording: Wording, incident: Incident, resolution: Entry | None, *, fixes: bool = True) -> list[str]:
    """The wording check on the team's words the email carries (cause, what we fixed, prevention), with the fix."""
    correct = "Correct the resolved entry's {} (its *Correct* button) before you send."
    parts = (
        ("the cause", (resolution.cause if resolution else None) or "", correct.format("cause")),
        ("what we fixed", _what_was_fixed(resolution.text) if resolution else "", correct.format("text")),
        ("the prevention sentence", incident.email_prevention or "", "Press *Change prevention sentence* first."),
    )
    return [
        f"In {name}: {warning}" + (f" {fix}" if fixes else "")
        for name, words, fix in parts
        if words
        for warning in check(words, wording, fragment=True)
    ]


def sent_note(ref: str, flagged: list[str]) -> str | None:
    """What to tell whoever marks the email sent when the wording check flagged words in it; None when clean."""
    if not flagged:
        return None
    found = "".join(f"\n:warning: {escape(warning)}" for warning in flagged)
    return (
        f"Marked {ref}'s customer email as sent. The wording check still flags what it said:{found}\n"
        "If customers reply asking what that means, answer in words they know."
    )


def promises_credits(playbook: Playbook, incident: Incident, held: Mapping[str, timedelta]) -> bool:
    """Whether the email offers credits: owed by the rule, and not recorded as not owed by the team."""
    return credits_owed(playbook, held).owed and incident.credits != NOT_OWED


def _what_was_fixed(text: str) -> str:
    """The resolved post's text without its apology or thanks: the email apologises once, in its own words."""
    facts = [sentence for sentence in _SENTENCE.split(text.strip()) if sentence and not _COURTESY.search(sentence)]
    return " ".join(facts) or text.strip() or "Our service has worked normally since then."
