"""Errors that are a person's mistake, answered with an ephemeral message."""

from __future__ import annotations

from bot.vocabulary import Said


class UserError(Exception):
    """A person's mistake: the message says what was wrong and how to do it right.

    The message is plain text (what a person typed goes in as it was typed), with the people and channels it
    names as `User` / `Channel` references; the error handler escapes the text and mentions them when it answers.
    `field` names the modal input the message belongs to, when there is one.
    """

    def __init__(self, *parts: Said, field: str | None = None) -> None:
        self.parts = parts
        self.field = field
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The message as plain text, as shown beside a modal's input."""
        return "".join(part if isinstance(part, str) else part.reference for part in self.parts)
