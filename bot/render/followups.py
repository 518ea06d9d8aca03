"""Block Kit for the follow-up checklist, the postmortem-link modal and the trust audit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
    UrlInputElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.render.blocks import Message


@dataclass(frozen=True)
class Line:
    """One follow-up: what it says, and the buttons still to press (label, action_id, style)."""

    text: str
    buttons: tuple[tuple[str, str, str | None], ...] = ()


def checklist(*, title: str, lines: list[Line], incident_id: int) -> Message:
    """The follow-up checklist, one line per follow-up, each with its buttons."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=title[:150]))]
    for number, line in enumerate(lines):
        blocks.append(SectionBlock(text=MarkdownTextObject(text=line.text[:3000])))
        if line.buttons:
            elements = [
                ButtonElement(text=label, action_id=action, value=str(incident_id), style=style)
                for label, action, style in line.buttons
            ]
            blocks.append(ActionsBlock(block_id=f"follow_up:{incident_id}:{number}", elements=elements))
    text = title + "\n" + "\n".join(line.text for line in lines)
    return Message(text=text[:3000], blocks=[block.to_dict() for block in blocks])


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


def audit_message(*, title: str, answers: list[tuple[bool, str, str]], metrics: list[tuple[str, str]]) -> Message:
    """The trust audit: six questions, each ✅ or ❌ with its evidence, then the metrics."""
    lines = [f"{'✅' if passed else '❌'} *{question}*\n      {evidence}" for passed, question, evidence in answers]
    figures = "\n".join(f"• {name}: *{value}*" for name, value in metrics)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=title[:150])),
        SectionBlock(text=MarkdownTextObject(text="\n".join(lines)[:3000])),
        SectionBlock(text=MarkdownTextObject(text=f"*Metrics*\n{figures}"[:3000])),
    ]
    text = title + "\n" + "\n".join(lines) + "\n" + figures
    return Message(text=text[:3000], blocks=[block.to_dict() for block in blocks])
