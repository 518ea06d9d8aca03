"""Block Kit for the update feed: draft cards with their buttons, posted entries, and the feed's modals."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.render.blocks import SECTION_LIMIT, Message, component_selects, text_message
from bot.vocabulary import CAUSE_LIMIT, ENTRY_TEXT_LIMIT, UPDATE_PHASES, Phase


@dataclass(frozen=True)
class UpdateForm:
    """What `/incident update` with no text offers: a draft per status, starting at the incident's own."""

    channel_id: str
    phase: Phase
    drafts: Mapping[Phase, str]
    marks: Mapping[str, str] = field(default_factory=dict)  # every playbook component: its status now


def draft_card(
    *, headline: str, text: str, warnings: list[str], footer: str, entry_id: int, decided: str | None
) -> Message:
    """A draft entry: its text, the wording check's warnings, and Approve / Edit / Reject (or the decision)."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=headline)),
        SectionBlock(text=MarkdownTextObject(text=_quote(text)[:SECTION_LIMIT])),
    ]
    if warnings and decided is None:
        lines = "\n".join(f"• {warning}" for warning in warnings)
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=f":warning: *Wording check* (a warning, not a block)\n{lines}"))
        )
    if decided is None:
        value = str(entry_id)
        blocks.append(
            ActionsBlock(
                block_id=ids.draft_buttons(entry_id),
                elements=[
                    ButtonElement(text="Approve", action_id=ids.APPROVE_ACTION, value=value, style="primary"),
                    ButtonElement(text="Edit", action_id=ids.EDIT_ACTION, value=value),
                    ButtonElement(text="Reject", action_id=ids.REJECT_ACTION, value=value, style="danger"),
                ],
            )
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    else:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=decided)]))
    return Message(text=f"{headline}\n{text}"[:SECTION_LIMIT], blocks=[block.to_dict() for block in blocks])


def entry_post(rendered: str, *, entry_id: int, correctable: bool) -> Message:
    """An approved entry as posted; the war room's copy carries a Correct button."""
    message = text_message(rendered)
    if not correctable:
        return message
    button = ActionsBlock(
        block_id=ids.posted_buttons(entry_id),
        elements=[ButtonElement(text="Correct", action_id=ids.CORRECT_ACTION, value=str(entry_id))],
    )
    return Message(text=message.text, blocks=[*message.blocks, button.to_dict()])


def update_modal(form: UpdateForm) -> dict[str, Any]:
    """`/incident update` with no text: the status and the text, prefilled from the severity's template."""
    options = [Option(value=phase, text=phase.capitalize()) for phase in UPDATE_PHASES]
    phase = form.phase if form.phase in UPDATE_PHASES else UPDATE_PHASES[0]
    initial = options[UPDATE_PHASES.index(phase)]
    view = View(
        type="modal",
        callback_id=ids.UPDATE_VIEW,
        private_metadata=json.dumps({"channel": form.channel_id}),
        title=PlainTextObject(text="Draft an update"),
        submit=PlainTextObject(text="Draft"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            InputBlock(
                block_id=ids.PHASE_BLOCK,
                label=PlainTextObject(text="Status"),
                element=StaticSelectElement(action_id=ids.PHASE_ACTION, options=options, initial_option=initial),
            ),
            _text_input(label="Update (2–3 sentences, factual)", initial=form.drafts.get(phase, "")),
            *component_selects(list(form.marks), form.marks),
        ],
    )
    return view.to_dict()


def edit_modal(*, entry_id: int, text: str, cause: str | None, correcting: bool) -> dict[str, Any]:
    """Edit a draft, or correct an approved entry."""
    blocks: list[Block] = [_text_input(label="Update (2–3 sentences, factual)", initial=text)]
    if cause is not None:
        blocks.append(
            InputBlock(
                block_id=ids.CAUSE_BLOCK,
                label=PlainTextObject(text="Cause (one honest sentence)"),
                element=PlainTextInputElement(action_id=ids.CAUSE_ACTION, initial_value=cause, max_length=CAUSE_LIMIT),
            )
        )
    view = View(
        type="modal",
        callback_id=ids.CORRECT_VIEW if correcting else ids.EDIT_VIEW,
        private_metadata=json.dumps({"entry": entry_id}),
        title=PlainTextObject(text="Correct the entry" if correcting else "Edit the draft"),
        submit=PlainTextObject(text="Correct" if correcting else "Save"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )
    return view.to_dict()


def reject_modal(*, entry_id: int, ref: str, text: str, channel_id: str, reason_limit: int) -> dict[str, Any]:
    """Reject a draft, with an optional reason for whoever drafted it."""
    view = View(
        type="modal",
        callback_id=ids.REJECT_VIEW,
        private_metadata=json.dumps({"entry": entry_id, "channel": channel_id}),
        title=PlainTextObject(text="Reject this draft?"),
        submit=PlainTextObject(text="Reject"),
        close=PlainTextObject(text="Keep it"),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{ref}* · the draft:\n{_quote(text)}"[:SECTION_LIMIT])),
            InputBlock(
                block_id=ids.REASON_BLOCK,
                label=PlainTextObject(text="Reason (optional)"),
                hint=PlainTextObject(
                    text="Told to whoever drafted it. A rejected draft can never be approved; "
                    "a new one can be drafted with /incident update."
                ),
                optional=True,
                element=PlainTextInputElement(action_id=ids.REASON_ACTION, multiline=True, max_length=reason_limit),
            ),
        ],
    )
    return view.to_dict()


def _text_input(*, label: str, initial: str) -> InputBlock:
    return InputBlock(
        block_id=ids.TEXT_BLOCK,
        label=PlainTextObject(text=label),
        element=PlainTextInputElement(
            action_id=ids.TEXT_ACTION, multiline=True, max_length=ENTRY_TEXT_LIMIT, initial_value=initial or None
        ),
    )


def _quote(text: str) -> str:
    return "\n".join(f">{line}" for line in text.splitlines() or [""])
