"""Block Kit for the follow-ups: the checklist, the postmortem and prevention modals, the email and the audit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    UrlInputElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.render.blocks import HEADER_LIMIT, SECTION_LIMIT, Message, text_message
from bot.vocabulary import Check

_CODE_LIMIT = SECTION_LIMIT - 10  # a section's characters, less the fences


@dataclass(frozen=True)
class Line:
    """One follow-up: what it says, and the buttons still to press (label, action_id, style)."""

    text: str
    buttons: tuple[tuple[str, str, str | None], ...] = ()


def checklist(*, title: str, lines: list[Line], incident_id: int) -> Message:
    """The follow-up checklist, one line per follow-up, each with its buttons."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=title[:HEADER_LIMIT]))]
    for number, line in enumerate(lines):
        blocks.append(SectionBlock(text=MarkdownTextObject(text=line.text[:SECTION_LIMIT])))
        if line.buttons:
            elements = [
                ButtonElement(text=label, action_id=action, value=str(incident_id), style=style)
                for label, action, style in line.buttons
            ]
            blocks.append(ActionsBlock(block_id=ids.follow_up_buttons(incident_id, number), elements=elements))
    text = title + "\n" + "\n".join(line.text for line in lines)
    return Message(text=text[:SECTION_LIMIT], blocks=[block.to_dict() for block in blocks])


def postmortem_modal(*, incident_id: int, ref: str) -> dict[str, Any]:
    """Ask for the postmortem's link."""
    view = View(
        type="modal",
        callback_id=ids.POSTMORTEM_VIEW,
        private_metadata=json.dumps({"incident": incident_id}),
        title=PlainTextObject(text=f"Postmortem for {ref}"[:24]),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            InputBlock(
                block_id=ids.URL_BLOCK,
                label=PlainTextObject(text="Link to the postmortem (document or scheduled review)"),
                element=UrlInputElement(action_id=ids.URL_ACTION),
            )
        ],
    )
    return view.to_dict()


AUDIT_MARKS = {Check.PASSED: "✅", Check.FAILED: "❌", Check.PENDING: "⏳"}


def prevention_modal(*, incident_id: int, ref: str, current: str | None, limit: int) -> dict[str, Any]:
    """Ask the communicator for the customer email's sentence on what is being changed."""
    view = View(
        type="modal",
        callback_id=ids.PREVENTION_VIEW,
        private_metadata=json.dumps({"incident": incident_id}),
        title=PlainTextObject(text=f"Email for {ref}"[:24]),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            InputBlock(
                block_id=ids.PREVENTION_BLOCK,
                label=PlainTextObject(text="What are you changing so it does not happen again?"),
                hint=PlainTextObject(
                    text="One sentence customers will read, e.g. “We now test every configuration change against "
                    "peak load before it goes live.”"
                ),
                element=PlainTextInputElement(
                    action_id=ids.PREVENTION_INPUT, multiline=True, max_length=limit, initial_value=current or None
                ),
            )
        ],
    )
    return view.to_dict()


def email_shown(*, intro: str, email: str) -> Message:
    """The drafted customer email in code blocks, so it is copied verbatim; `email` is already escaped."""
    chunks: list[str] = []
    for line in email.split("\n"):  # each section holds whole lines inside its own ``` fence
        if chunks and len(chunks[-1]) + len(line) + 1 <= _CODE_LIMIT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line[:_CODE_LIMIT])
    code = [SectionBlock(text=MarkdownTextObject(text=f"```\n{chunk}\n```")).to_dict() for chunk in chunks]
    return Message(text=f"{intro}\n```\n{email}\n```"[:SECTION_LIMIT], blocks=[*text_message(intro).blocks, *code])


def audit_message(
    *, title: str, answers: Sequence[tuple[Check, str, str]], metrics: Sequence[tuple[str, str]]
) -> Message:
    """The trust audit: six questions, each ✅, ❌ or ⏳ (not yet due) with its evidence, then the metrics."""
    lines = [f"{AUDIT_MARKS[state]} *{question}*\n      {evidence}" for state, question, evidence in answers]
    figures = "\n".join(f"• {name}: *{value}*" for name, value in metrics)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=title[:HEADER_LIMIT])),
        SectionBlock(text=MarkdownTextObject(text="\n".join(lines)[:SECTION_LIMIT])),
        SectionBlock(text=MarkdownTextObject(text=f"*Metrics*\n{figures}"[:SECTION_LIMIT])),
    ]
    text = title + "\n" + "\n".join(lines) + "\n" + figures
    return Message(text=text[:SECTION_LIMIT], blocks=[block.to_dict() for block in blocks])
