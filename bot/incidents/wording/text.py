"""Text the wording rules read: sentences, clauses and a lowercased copy that keeps every character's position."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_CLAUSE_END = re.compile(r";|\s[—–-]\s|—|,\s*(?=(?:and|but|so|while|which|or)\b)|\.\s|[.!?]$")
_APOLOGY = re.compile(
    r"(?:(?:we\s+are|we're|i'm|we)\s+)?(?:sorry|apologi[sz]e\w*|apologies|thanks?|thank\s+you)\b[^.!?]*"
    r"|(?:this|the)\s+incident\b"
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def sentences(text: str) -> list[str]:
    """The sentences of `text` (split after . ! or ? followed by a space or the end)."""
    parts = _SENTENCE_END.split(text)
    return [part.strip() for part in parts if part.strip()]


@dataclass(frozen=True)
class Text:
    """A draft as the rules read it: `low` is lowercased with straight quotes, the same length as `original`."""

    original: str
    low: str

    @classmethod
    def of(cls, text: str) -> Text:
        """The text, ready for the rules."""
        return cls(original=text, low=text.translate(_APOSTROPHES).lower())

    def without_apologies(self) -> str:
        """`low` with apologies and thanks blanked ("sorry for the disruption this caused" explains nothing)."""
        return _APOLOGY.sub(lambda m: " " * len(m.group(0)), self.low)

    def quote(self, start: int, end: int) -> str:
        """The writer's own words between two positions, trimmed."""
        return short(self.original[start:end].strip(" ,;:."))

    def clause_around(self, position: int) -> tuple[int, int]:
        """The start and end of the clause holding `position` (clauses end at . ; — and ", but", ", so" ...)."""
        start = 0
        for match in _CLAUSE_END.finditer(self.low, 0, position):
            start = match.end()
        after = _CLAUSE_END.search(self.low, position)
        return start, after.start() if after else len(self.low)

    def sentence_spans(self) -> list[tuple[int, int]]:
        """The start and end of each sentence."""
        spans: list[tuple[int, int]] = []
        start = 0
        for match in _SENTENCE_END.finditer(self.low):
            spans.append((start, match.start()))
            start = match.end()
        spans.append((start, len(self.low)))
        return [(a, b) for a, b in spans if self.low[a:b].strip()]


def short(words: str, limit: int = 60) -> str:
    """Words as a warning quotes them: at most `limit` characters."""
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def any_of(words: str) -> re.Pattern[str]:
    """A pattern matching any of the `|`-separated alternatives as whole words."""
    return re.compile(rf"(?<![\w-])(?:{words})(?![\w-])")
