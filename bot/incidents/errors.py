"""Errors that are a person's mistake, answered with an ephemeral message."""


class UserError(Exception):
    """A person's mistake: the message says what was wrong and how to do it right.

    `field` names the modal input the message belongs to, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
