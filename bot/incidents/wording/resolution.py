"""A resolution with no explanation: service is back, but nothing says what went wrong or what changed."""

from __future__ import annotations

import re

from bot.incidents.wording.text import Text, any_of, short

_EXPLAINED = any_of(
    r"because|due\s+to|caus\w*|root\s+cause|reason|happened|after\s+(?:we|a|an|our|the)|expired|broke|ran\s+out|"
    r"filled\s+up|(?:was|were|got|became|ran)\s+full|dropped|blocked|slowed|stopped|bug|change[ds]?|config\w*|certificate|disk|index|query|"
    r"rolled\s+back|rollback|reverted|revert|undone|undid|renewed|was\s+(?:down|wrong|set|too)|set\s+\w+\s+too|"
    r"too\s+(?:low|high|small|many|few)|misconfigur\w*|overload\w*|capacity|traffic|spike|leak\w*|wrong\s+\w+|"
    r"went\s+wrong|mistake|error\s+in|failed\s+(?:after|when|because)|fault\s+in"
)
_RESOLVED = any_of(
    r"resolved|fixed|restored|recovered|back(?:\s+(?:up|to\s+normal|online))?|working\s+(?:again|normally|as\s+expected)|"
    r"work(?:s)?\s+again|operational|normal\w*|closed|addressed|stable|available\s+again|healthy|resumed|succeeding|"
    r"delivered|caught\s+up|drained|over|gone\s+away|confirmed"
)


_NON_ANSWER = re.compile(
    r"^\W*(?:unknown|n/?a|tb[cda]|none|nothing|not\s+sure|still\s+investigating|investigating|see\s+\S+|"
    r"fixed|resolved|done|restored|ok|okay|all\s+good|it\s+works|[\w-]+)\W*$",
    re.IGNORECASE,
)


def find(text: Text, *, cause: str | None) -> str | None:
    """The resolution's words when neither it nor its recorded cause explains what went wrong, or None."""
    if _EXPLAINED.search(text.without_apologies()) or _explains(cause or ""):
        return None
    said = _RESOLVED.search(text.low)
    found = text.quote(*said.span()) if said else re.split(r"[.!?\n]", text.original.strip(), maxsplit=1)[0].strip()
    given = short((cause or "").strip())
    return f"{found or '(empty)'}”, cause “{given}" if given else short(found) or "(empty)"


def _explains(cause: str) -> bool:
    """Whether a recorded cause says what went wrong (not "fixed", "unknown" or a ticket to see)."""
    words = cause.split()
    if not words or _NON_ANSWER.match(cause.strip()):
        return False
    return len(words) >= 2 or _EXPLAINED.search(cause.lower()) is not None
