"""How a drill is marked: one prefix and one line on every message, and the drill report's shape."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject

from bot.render.blocks import Message
from bot.render.followups import audit_message
from bot.vocabulary import Check

PREFIX = "DRILL — "
NOTE = ":test_tube: *DRILL* · This is a drill. No customer is affected."
EMAIL_HEADER = "DRILL: do not send. This email was drafted in a drill; no customer was affected."
_MAX_BLOCKS = 50  # Slack's limit for one message


def drill_marked(message: Message) -> Message:
    """`message` saying DRILL plainly: its text starts with the prefix, and its blocks with the drill's note."""
    if message.text.startswith(PREFIX):
        return message
    note = ContextBlock(elements=[MarkdownTextObject(text=NOTE)]).to_dict()
    blocks = [note, *message.blocks[: _MAX_BLOCKS - 1]] if message.blocks else []
    return Message(text=PREFIX + message.text, blocks=blocks)


def drill_report(
    *, title: str, answers: Sequence[tuple[Check, str, str]], timings: Sequence[tuple[str, str]]
) -> Message:
    """The drill report: the trust audit's answers, then the drill's timings."""
    return audit_message(title=title, answers=answers, metrics=timings)
