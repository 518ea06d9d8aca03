"""The warnings' words: what was found, why it hurts, and a better way to say it."""

from __future__ import annotations


def vague(found: list[str]) -> str:
    """Nothing concrete about what is affected."""
    return (
        f"Vague: “{'”, “'.join(found)}” tells customers nothing. Say what is affected and what they see: "
        "“Card payments in the EU fail with an error since 14:02 UTC.”"
    )


def promise(found: str) -> str:
    """A fix time."""
    return (
        f"Promises a fix time (“{found}”). Instead of a fix time, commit to the next update: "
        "“We will update you by 15:30 UTC.” A missed estimate hurts more than “we do not have a timeline yet”."
    )


def blame(party: str, said: str) -> str:
    """An outside party as the cause, or deflection."""
    found = f"“{party}” with “{said}”" if said else f"“{party}”"
    return (
        f"Blames a third party ({found}). Customers care whether your service works: acknowledge the dependency, "
        "but own the impact: “Our payments provider slowed down, and our checkout did not fail over; that is on us.”"
    )


def unexplained(found: str) -> str:
    """A resolution that says nothing about why."""
    return (
        f"Resolved without an explanation (“{found}”). Say what went wrong and what you changed, or add the cause: "
        "“A configuration change we made at 14:00 UTC broke card payments; we reverted it at 14:41 UTC.”"
    )


def too_long(count: int, limit: int) -> str:
    """More sentences than the playbook allows."""
    return (
        f"{count} sentences: keep entries to {limit} or fewer, brief and factual: what customers see, "
        "what you are doing, and when the next update comes."
    )
