"""The Jinja environment: StrictUndefined, and every variable escaped for Slack unless code made it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TypeVar

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, Undefined, meta

from bot.render.text import channel_link, email_link, group_mention, mention, quote, safe, unescape

T = TypeVar("T")


def _filter(function: Callable[[str], T]) -> Callable[[str], T]:
    """`function` as a Jinja filter: a missing variable handed to it fails as StrictUndefined does, naming the
    variable (jinja2.UndefinedError), not as a TypeError from deep inside the function."""

    @wraps(function)
    def checked(value: str) -> T:
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        return function(value)

    return checked


def shipped_templates() -> Path:
    """The templates that ship with Warroom (inside the wheel, or at the top of a checkout)."""
    packaged = Path(__file__).resolve().parent.parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "templates"


class Templates:
    """Renders the team's message templates; a team's own directory overrides the shipped one."""

    def __init__(self, override: Path | None = None) -> None:
        paths = [str(override)] if override is not None else []
        paths.append(str(shipped_templates()))
        self._env = Environment(
            loader=ChoiceLoader([FileSystemLoader(path) for path in paths]),
            undefined=StrictUndefined,
            finalize=safe,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["mention"] = _filter(mention)
        self._env.filters["channel"] = _filter(channel_link)
        self._env.filters["group"] = _filter(group_mention)
        self._env.filters["email"] = _filter(email_link)
        self._env.filters["quote"] = _filter(quote)

    def render(self, name: str, **context: object) -> str:
        """Render `name` (e.g. 'activation.md.j2') as mrkdwn; every variable is escaped."""
        return self._env.get_template(name).render(**context).strip()

    def variables(self, name: str) -> set[str]:
        """The variables template `name` reads in any of its branches."""
        loader = self._env.loader
        assert loader is not None  # always the ChoiceLoader built above
        source, _, _ = loader.get_source(self._env, name)
        return meta.find_undeclared_variables(self._env.parse(source))

    def render_text(self, name: str, **context: object) -> str:
        """Render `name` as plain text, for text a person edits before it is sent (drafts, the customer email).

        It is stored as a person would have typed it and escaped when shown, like any typed text.
        """
        return unescape(self.render(name, **context))
