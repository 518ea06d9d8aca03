"""The Jinja environment: StrictUndefined, and every variable escaped for Slack unless code made it."""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, meta

from bot.render.text import channel_link, email_link, group_mention, mention, quote, safe, unescape


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
        self._env.filters["mention"] = mention
        self._env.filters["channel"] = channel_link
        self._env.filters["group"] = group_mention
        self._env.filters["email"] = email_link
        self._env.filters["quote"] = quote

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
