"""Block Kit builders for the incident card, the nomination prompt and the declare modal."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.playbook import Playbook
from bot.render.text import clock_time, escape, mention
from bot.vocabulary import IMPACT_LIMIT, TITLE_LIMIT, ComponentStatus


@dataclass(frozen=True)
class Message:
    """What one Slack message says: fallback text and blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


# Slack's limits, in characters (https://api.slack.com/reference/block-kit/blocks).
SECTION_LIMIT = 3000  # a section's text
HEADER_LIMIT = 150  # a header's text
OPTION_LIMIT = 75  # an option's (and a button's) text


@dataclass(frozen=True)
class IncidentCard:
    """What the incident card shows, as plain values: the domain builds it from the incident."""

    ref: str
    title: str
    severity: str
    status: str
    lead_id: str
    communicator_id: str | None
    declared_at: datetime
    next_update_due_at: datetime
    resolved_at: datetime | None
    updated_once: bool  # whether a public update has gone out (the next one is then not the first)
    components: tuple[tuple[str, str], ...] = ()  # (name, Statuspage status) the incident marks
    internal: bool = False  # Slack only: never the status page, the API, the feeds or webhooks


def text_message(text: str) -> Message:
    """A message of rendered mrkdwn, in as many sections as Slack's 3,000-character limit needs."""
    chunks: list[str] = []
    for line in text.split("\n"):
        while len(line) > SECTION_LIMIT:
            chunks.append(line[:SECTION_LIMIT])
            line = line[SECTION_LIMIT:]
        if chunks and len(chunks[-1]) + 1 + len(line) <= SECTION_LIMIT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    blocks = [SectionBlock(text=MarkdownTextObject(text=chunk)).to_dict() for chunk in chunks if chunk.strip()]
    return Message(text=text[:SECTION_LIMIT], blocks=blocks)


def severity_label(playbook: Playbook, severity: str) -> str:
    """'P1 · Full outage'."""
    known = playbook.severity(severity)
    return f"{severity} · {known.label}" if known else severity


def incident_card(incident: IncidentCard, playbook: Playbook) -> Message:
    """The incident card in the war room, updated in place as the incident changes."""
    zone = playbook.zone
    communicator = mention(incident.communicator_id) if incident.communicator_id else "_not yet nominated_"
    due_label = "Next public update due" if incident.updated_once else "First public update due"
    fields = [
        f"*Status*\n{incident.status.capitalize()}",
        f"*Severity*\n{escape(severity_label(playbook, incident.severity))}",
        f"*Incident lead*\n{mention(incident.lead_id)}",
        f"*Communicator*\n{communicator}",
        f"*Declared*\n{clock_time(incident.declared_at, zone)} by {mention(incident.lead_id)}",
        f"*{due_label}*\nby {clock_time(incident.next_update_due_at, zone)}"
        if incident.resolved_at is None
        else f"*Resolved*\n{clock_time(incident.resolved_at, zone)}",
    ]
    header = f"{incident.ref} · {severity_label(playbook, incident.severity)}"
    marked = ", ".join(f"{escape(name)} · {status.replace('_', ' ')}" for name, status in incident.components)
    internal = ":lock: *Internal only*: never on the status page, the API, the feeds or webhooks.\n"
    blocks = [
        HeaderBlock(text=PlainTextObject(text=header[:HEADER_LIMIT])),
        SectionBlock(text=MarkdownTextObject(text=f"*{escape(incident.title)}*")),
        SectionBlock(fields=[MarkdownTextObject(text=item) for item in fields]),
        *([SectionBlock(text=MarkdownTextObject(text=f"*Components:* {marked}"[:SECTION_LIMIT]))] if marked else []),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{internal if incident.internal else ''}This card is kept up to date. "
                    "`/incident help` for commands."
                )
            ]
        ),
    ]
    text = f"{incident.ref} · {escape(severity_label(playbook, incident.severity))}: {escape(incident.title)}"
    return Message(text=text, blocks=[block.to_dict() for block in blocks])


def nomination_prompt(incident_id: int, prompt: str) -> Message:
    """The lead's ephemeral user picker for naming the communicator."""
    picker = UserSelectElement(
        action_id=ids.NOMINATE_ACTION,
        placeholder=PlainTextObject(text="Choose the communicator"),
    )
    block = SectionBlock(
        block_id=ids.nomination_block(incident_id),
        text=MarkdownTextObject(text=prompt),
        accessory=picker,
    )
    return Message(text=prompt, blocks=[block.to_dict()])


DRILL_MODAL_NOTE = (
    ":test_tube: *This is a DRILL.* The whole flow runs for real (communicator, drafts, approvals, the support "
    "team's mirror, reminders, follow-ups), and every message says DRILL. Nothing reaches customers."
)


def declare_modal(*, channel_id: str, playbook: Playbook, drill: bool = False) -> dict[str, Any]:
    """The modal that `/incident declare` (or `/incident drill`) with no arguments opens."""
    options = [
        Option(value=name, text=severity_label(playbook, name)[:OPTION_LIMIT]) for name in playbook.severity_names()
    ]
    view = View(
        type="modal",
        callback_id=ids.DECLARE_VIEW,
        private_metadata=json.dumps({"channel": channel_id, "drill": True}) if drill else channel_id,
        title=PlainTextObject(text="Start a DRILL" if drill else "Declare an incident"),
        submit=PlainTextObject(text="Start the drill" if drill else "Declare"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            *([SectionBlock(text=MarkdownTextObject(text=DRILL_MODAL_NOTE))] if drill else []),
            InputBlock(
                block_id=ids.SEVERITY_BLOCK,
                label=PlainTextObject(text="Severity"),
                element=StaticSelectElement(action_id=ids.SEVERITY_ACTION, options=options),
            ),
            InputBlock(
                block_id=ids.TITLE_BLOCK,
                label=PlainTextObject(text="Title"),
                hint=PlainTextObject(text="What is broken, as the war room would say it. Not shown to customers."),
                element=PlainTextInputElement(
                    action_id=ids.TITLE_ACTION,
                    max_length=TITLE_LIMIT,
                    placeholder=PlainTextObject(text="Checkout API returning 500s"),
                ),
            ),
            InputBlock(
                block_id=ids.IMPACT_BLOCK,
                optional=True,
                label=PlainTextObject(text="Impact, in customers' words"),
                hint=PlainTextObject(
                    text="One sentence the support team may tell customers: what fails, and for whom. It reaches "
                    "them once the communicator approves the first update. Leave it to the communicator if unsure."
                ),
                element=PlainTextInputElement(
                    action_id=ids.IMPACT_ACTION,
                    max_length=IMPACT_LIMIT,
                    placeholder=PlainTextObject(text="Checkout and card payments fail for all customers in the EU"),
                ),
            ),
            InputBlock(
                block_id=ids.COMMUNICATOR_BLOCK,
                optional=True,
                label=PlainTextObject(text="Communicator"),
                hint=PlainTextObject(text="One person who owns external updates and is not fixing the system."),
                element=UserSelectElement(
                    action_id=ids.COMMUNICATOR_ACTION,
                    placeholder=PlainTextObject(text="Nominate now, or later"),
                ),
            ),
            *component_selects(playbook.components, {}),
            *([] if drill else [_internal_box()]),
        ],
    )
    return view.to_dict()


# One select per component, within a modal's 100 blocks (the rest of the longest form is 6 blocks).
COMPONENT_SELECTS_LIMIT = 90
_STATUS_CHOICES = (
    (ComponentStatus.OPERATIONAL, "Operational (not affected)"),
    (ComponentStatus.DEGRADED_PERFORMANCE, "Degraded performance"),
    (ComponentStatus.PARTIAL_OUTAGE, "Partial outage"),
    (ComponentStatus.MAJOR_OUTAGE, "Major outage"),
)


def component_selects(components: Sequence[str], marks: Mapping[str, str]) -> list[Block]:
    """An optional status select per customer-facing component, showing its mark (none: not affected)."""
    if len(components) > COMPONENT_SELECTS_LIMIT:
        note = "Mark the affected components with `/incident components <name>=<status> …` in the war room."
        return [SectionBlock(text=MarkdownTextObject(text=note))]
    options = [Option(value=status.value, text=label) for status, label in _STATUS_CHOICES]
    selects: list[Block] = []
    for number, name in enumerate(components):
        current = next((o for o in options if o.value == marks.get(name)), None)
        selects.append(
            InputBlock(
                block_id=ids.component_block(name),
                optional=True,
                label=PlainTextObject(text=name),
                hint=PlainTextObject(text="How customers see it affected; applied when the communicator approves.")
                if number == 0
                else None,
                element=StaticSelectElement(
                    action_id=ids.COMPONENT_ACTION,
                    options=options,
                    initial_option=current,
                    placeholder=PlainTextObject(text="Not affected"),
                ),
            )
        )
    return selects


def _internal_box() -> InputBlock:
    return InputBlock(
        block_id=ids.INTERNAL_BLOCK,
        optional=True,
        label=PlainTextObject(text="Visibility"),
        element=CheckboxesElement(
            action_id=ids.INTERNAL_ACTION,
            options=[Option(value=ids.INTERNAL_VALUE, text="Internal only (no status page, feeds or webhooks)")],
        ),
    )
