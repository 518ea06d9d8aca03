"""The wording check: warns (never blocks) about words that destroy customers' trust.

Rules over a draft's words, by meaning rather than fixed phrases: each category looks for its slots (a problem
without a concrete object or symptom; an expectation with a time that is not the next update; an outside party as
the cause without ownership; a resolution without a cause; too many sentences; internal detail). The playbook's
`wording:` lists add phrases, patterns and providers to the built-in rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.incidents.wording import advice, blame, promises, resolution, vague
from bot.incidents.wording.internal import internal_identifiers
from bot.incidents.wording.text import Text, sentences
from bot.playbook import Wording

__all__ = ["CATEGORIES", "Findings", "check", "findings", "internal_identifiers", "sentences"]

CATEGORIES = ("vague", "promise", "blame", "unexplained", "long", "internal")


@dataclass(frozen=True)
class Findings:
    """What the check found, by category, each with the warnings that say it."""

    warnings: dict[str, list[str]] = field(default_factory=dict)

    @property
    def categories(self) -> set[str]:
        """The categories with at least one warning."""
        return {name for name, said in self.warnings.items() if said}

    def all(self) -> list[str]:
        """Every warning, in the order of CATEGORIES."""
        return [warning for name in CATEGORIES for warning in self.warnings.get(name, [])]


def findings(
    text: str, wording: Wording, *, is_resolution: bool = False, cause: str | None = None, fragment: bool = False
) -> Findings:
    """What the wording check finds in `text`, by category.

    `fragment` is part of a message (a cause, an email's sentence), not judged for naming what is affected.
    """
    read = Text.of(text)
    found: dict[str, list[str]] = {}
    blamed = blame.find(read, wording.third_parties, wording.blame)
    # a resolution's vagueness is its missing explanation, and a provider's trouble is not our vague wording:
    # the other warnings say it better; the team's own vague phrases always count
    vague_words = vague.find(read, wording.vague, own_only=is_resolution, blamed=blamed.span if blamed else None)
    if vague_words:
        found["vague"] = [advice.vague(vague_words)]
    promised = promises.find(read, wording.promises)
    if promised:
        found["promise"] = [advice.promise(promised)]
    if blamed:
        found["blame"] = [advice.blame(blamed.party, blamed.said)]
    if not (is_resolution or fragment or found):  # says nothing wrong, and nothing customers use either
        unnamed = vague.nothing_named(read)
        if unnamed:
            found["vague"] = [advice.vague(unnamed)]
    if is_resolution:
        bare = resolution.find(read, cause=cause)
        if bare:
            found["unexplained"] = [advice.unexplained(bare)]
    internal = internal_identifiers(text, wording)
    if internal:
        found["internal"] = internal
    count = len(sentences(text))
    if count > wording.max_sentences:
        found["long"] = [advice.too_long(count, wording.max_sentences)]
    return Findings(found)


def check(
    text: str, wording: Wording, *, is_resolution: bool = False, cause: str | None = None, fragment: bool = False
) -> list[str]:
    """Warnings for a draft, each naming what was found, why it hurts, and a better way to say it."""
    return findings(text, wording, is_resolution=is_resolution, cause=cause, fragment=fragment).all()
