"""Slack mrkdwn and text objects into safe HTML, as Slack's clients show them."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Names:
    """Who and what the IDs in a message stand for."""

    users: Mapping[str, str]  # user ID -> display name ("Sam Okafor")
    channels: Mapping[str, str]  # channel ID -> name without '#' ("war-room")


# The emoji Warroom's templates and builders use; any other `:code:` stays as written.
EMOJI: Mapping[str, str] = {
    "rotating_light": "🚨",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "warning": "⚠️",
    "red_circle": "🔴",
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "x": "❌",
    "pencil2": "✏️",
    "memo": "📝",
    "information_source": "ℹ️",
    "email": "📧",
    "arrows_counterclockwise": "🔄",
    "alarm_clock": "⏰",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "wave": "👋",
    "moneybag": "💰",
    "loudspeaker": "📢",
    "fast_forward": "⏩",
    "dart": "🎯",
    "bust_in_silhouette": "👤",
    "arrow_right": "➡️",
    "fire": "🔥",
    "eyes": "👀",
    "tada": "🎉",
    "test_tube": "🧪",
    "mag": "🔍",
    "bell": "🔔",
    "clipboard": "📋",
    "link": "🔗",
    "calendar": "📆",
    "lock": "🔒",
    "mega": "📣",
    "speech_balloon": "💬",
    "no_entry": "⛔",
    "stopwatch": "⏱️",
    "construction": "🚧",
    "checkered_flag": "🏁",
}

SAFE_SCHEMES = ("http://", "https://", "mailto:")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # never shown; \x00-\x07 mark places while rendering
_FENCE = re.compile(r"```(.*?)```", re.DOTALL)
_SPECIAL = re.compile(r"<([^<>\n]*)>|`([^`\n]+)`")
_PLACE = re.compile(r"\x00(\d+)\x01")
_QUOTE = re.compile(r"^(?:>|&gt;)\s?")
# Slack's markers count only at word edges: after start/space/punctuation, before a non-space, and the reverse.
_STYLES = (
    ("~", "\x06", "\x07"),
    ("*", "\x02", "\x03"),
    ("_", "\x04", "\x05"),
)
_TAGS = {
    "\x02": "<strong>",
    "\x03": "</strong>",
    "\x04": "<em>",
    "\x05": "</em>",
    "\x06": "<del>",
    "\x07": "</del>",
}
_PAIRS = {"\x02": "\x03", "\x04": "\x05", "\x06": "\x07"}


def decode(text: str) -> str:
    """Undo Slack's own escaping of &, < and > (and nothing else)."""
    return _ENTITY.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], text)


def emojify(text: str) -> str:
    """Known `:emoji:` codes as their characters."""
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def safe_url(url: str) -> str | None:
    """The URL if it is http(s) or mailto, else None."""
    url = decode(url).strip()
    return url if url.lower().startswith(SAFE_SCHEMES) else None


def plain_text(obj: dict[str, Any] | str | None) -> Markup:
    """The text of a text object (or a string) as escaped text: markers and codes shown as written."""
    if obj is None:
        return Markup("")
    if isinstance(obj, str):
        return escape(obj)
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        text = decode(text)
    if obj.get("emoji", True) is not False:
        text = emojify(text)
    return escape(_CONTROL.sub("", text))


def text_object(obj: dict[str, Any] | str | None, names: Names) -> Markup:
    """A text object as Slack shows it: mrkdwn rendered, plain_text escaped."""
    if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
        return mrkdwn(str(obj.get("text", "")), names)
    return plain_text(obj)


def as_plain(markup: Markup) -> str:
    """Rendered HTML back to the plain words a reader sees (line breaks kept)."""
    text = re.sub(r"<br>|</p>|</blockquote>", "\n", str(markup))
    return html.unescape(re.sub(r"<[^>]*>", "", text)).strip()


def mrkdwn(text: str, names: Names) -> Markup:
    """Slack mrkdwn as safe HTML: every character escaped except the tags made here."""
    text = _CONTROL.sub("", text)
    out: list[str] = []
    start = 0
    for fence in _FENCE.finditer(text):
        out.append(_lines(text[start : fence.start()], names))
        code = decode(fence.group(1)).removeprefix("\n").removesuffix("\n")
        out.append(f'<pre class="bk-pre">{escape(code)}</pre>')
        start = fence.end()
    out.append(_lines(text[start:], names))
    return Markup("".join(out))


def _lines(text: str, names: Names) -> str:
    """Lines, with runs of quoted lines in a blockquote and <br> between the others."""
    if not text:
        return ""
    out: list[str] = []
    quoted: list[str] = []
    previous_plain = False
    for line in text.split("\n"):
        quote = _QUOTE.match(line)
        if quote:
            quoted.append(_inline(line[quote.end() :], names))
            continue
        if quoted:
            out.append('<blockquote class="bk-quote">' + "<br>".join(quoted) + "</blockquote>")
            quoted, previous_plain = [], False
        if previous_plain:
            out.append("<br>")
        out.append(_inline(line, names))
        previous_plain = True
    if quoted:
        out.append('<blockquote class="bk-quote">' + "<br>".join(quoted) + "</blockquote>")
    return "".join(out)


def _inline(line: str, names: Names) -> str:
    """One line: entities and code spans first (nothing formats inside them), then bold, italic, strike."""
    made: list[str] = []

    def place(m: re.Match[str]) -> str:
        made.append(_entity(m.group(1), names) if m.group(1) is not None else _code(m.group(2)))
        return f"\x00{len(made) - 1}\x01"

    marked = _SPECIAL.sub(place, line)
    for marker, opening, closing in _STYLES:
        marked = _style(marked, marker, opening, closing)
    shown = str(escape(emojify(decode(marked))))
    for mark, tag in _TAGS.items():
        shown = shown.replace(mark, tag)
    return _PLACE.sub(lambda m: made[int(m.group(1))], shown)


def _style(text: str, marker: str, opening: str, closing: str) -> str:
    m = re.escape(marker)
    pattern = re.compile(rf"(?<![\w{m}]){m}(?=[^\s{m}])([^\n]*?[^\s{m}]|[^\s{m}]){m}(?![\w{m}])")
    return pattern.sub(_wrapper(opening, closing), text)


def _wrapper(opening: str, closing: str) -> Callable[[re.Match[str]], str]:
    def wrap(m: re.Match[str]) -> str:
        inner = m.group(1)
        return opening + inner + closing if _balanced(inner) else m.group(0)

    return wrap


def _balanced(text: str) -> bool:
    """Whether the style marks inside a candidate nest properly, so the tags made stay well formed."""
    stack: list[str] = []
    for char in text:
        if char in _PAIRS:
            stack.append(_PAIRS[char])
        elif char in _PAIRS.values() and (not stack or stack.pop() != char):
            return False
    return not stack


def _code(code: str) -> str:
    return f'<code class="bk-code">{escape(decode(code))}</code>'


def _entity(inside: str, names: Names) -> str:
    """What Slack shows for one `<…>`: a mention, channel, broadcast, date fallback, link, or the text as written."""
    target, _, label = inside.partition("|")
    if target.startswith("@"):
        shown = names.users.get(target[1:]) or decode(label).lstrip("@") or target[1:]
        return f'<span class="bk-mention">@{escape(shown)}</span>'
    if target.startswith("#"):
        shown = names.channels.get(target[1:]) or decode(label).lstrip("#") or target[1:]
        return f'<span class="bk-channel">#{escape(shown)}</span>'
    if target in ("!here", "!channel", "!everyone"):
        return f'<span class="bk-broadcast">@{target[1:]}</span>'
    if target.startswith("!subteam^"):
        shown = decode(label) or "@" + target.removeprefix("!subteam^")
        return f'<span class="bk-mention">{escape(shown)}</span>'
    if target.startswith("!date^"):
        return str(escape(decode(label)))
    href = safe_url(target)
    if href is not None:
        shown = decode(label) if label else href.removeprefix("mailto:")
        return f'<a class="bk-link" href="{escape(href)}" target="_blank" rel="noopener noreferrer">{escape(shown)}</a>'
    if label and not target.startswith("!"):
        return str(escape(decode(label)))  # a link Slack would refuse: its label, as text
    return str(escape(decode(f"<{inside}>")))
