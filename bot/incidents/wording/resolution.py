"""A resolution with no explanation: service is back, but nothing says what went wrong or what changed."""

from __future__ import annotations

import re

from bot.incidents.wording.text import Text, any_of

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


def find(text: Text, *, cause: str | None) -> str | None:
    """The resolution's words when it gives no explanation (and no cause was recorded), or None."""
    if (cause or "").strip() or _EXPLAINED.search(text.without_apologies()):
        return None
    said = _RESOLVED.search(text.low)
    if said:
        return text.quote(*said.span())
    first = re.split(r"[.!?\n]", text.original.strip(), maxsplit=1)[0]
    return first.strip() or "(empty)"
