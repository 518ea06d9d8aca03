"""The wording check: warns (never blocks) about words that destroy customers' trust."""

from __future__ import annotations

import re

from bot.playbook import Wording

_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


def sentences(text: str) -> list[str]:
    """The sentences of `text` (split after . ! or ? followed by a space or the end)."""
    parts = _SENTENCE_END.split(text)
    return [part.strip() for part in parts if part.strip()]


def check(text: str, wording: Wording) -> list[str]:
    """Warnings for a draft, each naming what was found and why it hurts."""
    warnings: list[str] = []
    lowered = text.lower()
    vague = [phrase for phrase in wording.vague if _contains(lowered, phrase.lower())]
    if vague:
        warnings.append(
            f"Vague: “{'”, “'.join(vague)}” tells customers nothing. Say what is affected and what they see."
        )
    for pattern in wording.promises:
        match = re.search(pattern, text, flags=re.IGNORECASE)
        if match:
            warnings.append(
                f"Promises a fix time (“{match.group(0).strip()}”). Commit to the next update time instead; "
                "a missed estimate hurts more than “we do not have a timeline yet”."
            )
            break
    for sentence in sentences(text):
        low = sentence.lower()
        party = next((p for p in wording.third_parties if _contains(low, p.lower())), None)
        blame = next((b for b in wording.blame if _contains(low, b.lower())), None)
        if party and blame:
            warnings.append(
                f"Blames a third party (“{party}” with “{blame}”). Customers care whether your service works: "
                "acknowledge the dependency, but own the impact."
            )
            break
    warnings.extend(internal_identifiers(text, wording))
    count = len(sentences(text))
    if count > wording.max_sentences:
        warnings.append(f"{count} sentences: keep entries to {wording.max_sentences} or fewer, brief and factual.")
    return warnings


def internal_identifiers(text: str, wording: Wording) -> list[str]:
    """Warnings for identifiers only the team knows (deploys, servers, tickets, commits), with what to write instead."""
    warnings: list[str] = []
    for kind in wording.internal:
        found = list(dict.fromkeys(match.group(0).strip() for match in re.finditer(kind.pattern, text)))
        if found:
            warnings.append(
                f"Internal identifier ({kind.name}): “{'”, “'.join(found[:3])}” means nothing to customers. "
                + kind.instead
            )
    return warnings


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None
