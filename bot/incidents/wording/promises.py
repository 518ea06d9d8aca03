"""Promising a fix time: a commitment to when service is back, not to when the next update comes."""

from __future__ import annotations

import re

from bot.incidents.wording.text import Text, any_of

_NUMBER = (
    r"(?:\d+(?:\.\d+)?|an?|one|two|three|four|five|six|ten|fifteen|twenty|thirty|forty[- ]five|a few|few"
    r"|a couple(?: of)?|half an?|several)"
)
_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|h|m)"
_CLOCK = r"(?:midday|\d{1,2}:\d{2}(?:\s*(?:utc|gmt|[ap]\.?m\.?|[a-z]{2,4}t))?|\d{1,2}\s*[ap]\.?m\.?\b|noon|midnight)"
_DURATION = (
    rf"(?:(?:the\s+)?(?:next\s+)?{_NUMBER}(?:\s*(?:-|to)\s*\d+)?\s*(?:more\s+|extra\s+)?{_UNIT}"
    r"|(?:the\s+)?(?:next\s+)?hour|\d+(?=\s*[.!,]|\s*$))"
)
_DAY = (
    r"(?:today|tonight|tomorrow(?:\s+(?:morning|afternoon|evening))?|this\s+(?:morning|afternoon|evening)"
    r"|(?:the\s+)?(?:end|close)\s+of\s+(?:the\s+)?(?:day|business|play|the\s+hour)|eod|cob)"
)
_SOON = (
    r"(?:shortly|soon|momentarily|imminent(?:ly)?|any\s+(?:minute|moment|second)(?:\s+now)?|in\s+no\s+time|asap"
    r"|very\s+soon)"
)

# (preposition) + when
_WHEN = re.compile(
    rf"(?<![\w-])(?:(?P<prep>by|within|in|under|around|at|before|for|since|from|between|and|to|until|of|up\s+to|about|approx(?:imately)?|roughly|~|eta:?|is|:)\s+)?"
    rf"(?:(?:about|around|approximately|roughly|under|less\s+than|~)\s+)?"
    rf"(?P<when>{_CLOCK}|{_DURATION}|{_DAY}|{_SOON})(?![\w:])"
)
_EXPECTATION = re.compile(
    any_of(
        r"will|'ll|should|shall|expect\w*|anticipat\w*|estimat\w*|eta|hope|hoping|aim\w*|guarantee\w*|confident|"
        r"plan(?:ning)?\s+to|going\s+to|gonna|target\w*|promise\w*|likely|projected|lands|goes\s+(?:live|out)|ships|due|"
        r"\d+\s+more|another|give\s+it"
    ).pattern
    + r"|'ll\b"
)
_RECOVERY = any_of(
    r"fix(?:ed|es)?|resolv\w*|restor\w*|back(?:\s+(?:up|online|to\s+normal))?|recover\w*|up\s+and\s+running|"
    r"work(?:ing)?\s+again|live|sorted|resum\w*|normal|operational|catch(?:es)?\s+up|caught\s+up|available|patch\w*|"
    r"solution|resolution|healthy|flowing|done|finished|complete"
)
_NEXT_UPDATE = any_of(
    r"next\s+update|update\s+(?:you|this|again|here|the\s+page|by|at|before|around)|(?:will|we'll|we\s+will)\s+update|(?:an|another|further|more)\s+updates?|post\s+(?:again|an\s+update|more)|"
    r"check\s+(?:back|again|in)|share\s+(?:the|an|more|what)|more\s+(?:information|details|news)|let\s+you\s+know|report\s+back|"
    r"confirm|be\s+in\s+touch|hear\s+from\s+us|next\s+(?:post|message)"
)
_MAGNITUDE_BEFORE = re.compile(
    r"(?:delay\w*|late|behind|slow\w*|lag\w*|take|takes|took|up\s+to|old)\s+(?:by\s+)?(?:up\s+to\s+)?(?:about\s+)?$"
)


def find(text: Text, extra: list[str]) -> str | None:
    """The words that promise when service is back, or None."""
    for pattern in extra:
        match = re.search(pattern, text.original, flags=re.IGNORECASE)
        if match:
            return match.group(0).strip()
    for match in _WHEN.finditer(text.low):
        found = _promise(text, match)
        if found:
            return found
    return None


def _promise(text: Text, match: re.Match[str]) -> str | None:
    prep = re.sub(r"\s+", " ", match.group("prep") or "").rstrip(":")
    when = match.group("when")
    start, end = text.clause_around(match.start("when"))
    before = text.low[start : match.start()]
    clause = text.low[start:end]
    if _NEXT_UPDATE.search(before) or _NEXT_UPDATE.search(text.low[match.end() : end][:20]):
        return None
    if (
        prep in ("since", "between", "from", "and", "until", "of", "for", "up to", "about")
        or "ago" in text.low[match.end() : match.end() + 5]
    ):
        return None
    if _MAGNITUDE_BEFORE.search(text.low[max(start, match.start() - 24) : match.start("when")]):
        return None
    if prep == "to" and re.search(r"\bfrom\s+[\w:.]+\s*$", text.low[start : match.start()]):
        return None  # "from 03:12 to 03:47": a span that is over
    happened = re.search(r"\b(\w+ed)\s+$", text.low[start : match.start()])
    if (
        happened
        and re.fullmatch(_DAY, when)
        and not _RECOVERY.fullmatch(happened.group(1))
        and not _EXPECTATION.search(clause)
    ):
        return None  # "contacts created today": when something happened, not when it is back
    soon = re.fullmatch(_SOON, when) is not None
    day = re.fullmatch(_DAY, when) is not None
    eta = (
        prep.startswith("eta")
        or re.search(r"\beta\b|\bestimat\w*\b|time to (?:resolution|recovery|fix)", before) is not None
    )
    expects = _EXPECTATION.search(clause) is not None
    recovers = _RECOVERY.search(clause) is not None
    if re.search(r"\b(?:was|were|had|did|have been|has been)\b", before) and not expects:
        return None
    if soon:
        promised = expects or recovers
    elif eta:
        promised = True
    elif prep in ("at", "around", "before", "is", "") and not day:
        promised = expects and (recovers or eta or prep == "around")
    else:  # by / within / in / under, or a day ("today")
        promised = expects or recovers
    if not promised:
        return None
    anchor = _anchor(text, start, match.start())
    return text.quote(anchor, match.end())


def _anchor(text: Text, start: int, at: int) -> int:
    """Where the quoted promise starts: the nearest recovery or expectation word before the time, in its clause."""
    window = text.low[start:at]
    best = None
    for pattern in (_RECOVERY, _EXPECTATION):
        for found in pattern.finditer(window):
            if best is None or found.start() > best:
                best = found.start()
    return start + best if best is not None else at
