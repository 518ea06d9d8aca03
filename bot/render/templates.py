"""The Jinja environment: StrictUndefined, and every variable escaped for Slack unless code made it."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache, wraps
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
        if override is None:
            self._env = _environment(None, ())
        else:
            directory = override.resolve()
            # The names are part of the key: a template added to the directory since must shadow the shipped one.
            names = tuple(sorted(os.listdir(directory))) if directory.is_dir() else ()
            self._env = _environment(str(directory), names)

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


@lru_cache(maxsize=64)
def _environment(override: str | None, _names: tuple[str, ...]) -> Environment:
    """One environment per templates directory, shared by every Templates on it, so that each template is
    compiled once per process. auto_reload stays on: a template edited on disk is compiled again when next used."""
    paths = [override] if override is not None else []
    paths.append(str(shipped_templates()))
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(path) for path in paths]),
        undefined=StrictUndefined,
        finalize=safe,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    env.filters["mention"] = _filter(mention)
    env.filters["channel"] = _filter(channel_link)
    env.filters["group"] = _filter(group_mention)
    env.filters["email"] = _filter(email_link)
    env.filters["quote"] = _filter(quote)
    return env
