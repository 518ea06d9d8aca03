"""The severities an incident held, and for how long: the high-water mark and the credits rule.

The rule for credits: they are owed when, for some severity S with an SLA, the time the incident spent at S or
at any more severe level (the playbook lists the most severe first) exceeds S's SLA. An incident declared P1 that
spent 1 h 30 min at P1 (SLA 1 h) and was then lowered to P2 owes credits, whatever P2's SLA says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.render.text import span
from bot.store.models import TimelineEvent
from bot.vocabulary import Event


def time_at_each(
    *, declared: str, declared_at: datetime, changes: Iterable[tuple[datetime, str]], end: datetime
) -> dict[str, timedelta]:
    """How long the incident spent at each severity it held, from its declaration to `end`."""
    held: dict[str, timedelta] = {}
    current, since = declared, declared_at
    for at, new in sorted(changes, key=lambda change: change[0]):
        moment = min(max(at, since), end)
        held[current] = held.get(current, timedelta()) + (moment - since)
        current, since = new, moment
    held[current] = held.get(current, timedelta()) + max(end - since, timedelta())
    return held


def from_timeline(
    events: Sequence[TimelineEvent], *, severity: str, declared_at: datetime, end: datetime
) -> dict[str, timedelta]:
    """Time at each severity, read from the incident's DECLARED and SEVERITY_CHANGED events."""
    declared = next(
        (str(e.data.get("severity")) for e in events if e.kind == Event.DECLARED and e.data.get("severity")), None
    )
    changes = [(e.at, str(e.data["new"])) for e in events if e.kind == Event.SEVERITY_CHANGED and e.data.get("new")]
    first_old = next(
        (str(e.data["old"]) for e in events if e.kind == Event.SEVERITY_CHANGED and e.data.get("old")), None
    )
    return time_at_each(
        declared=(declared or first_old or severity).upper(),
        declared_at=declared_at,
        changes=[(at, new.upper()) for at, new in changes],
        end=end,
    )


def highest(order: Sequence[str], held: Mapping[str, timedelta]) -> str:
    """The most severe level the incident held (playbook order: first is most severe)."""
    ranked = [name for name in order if name in held]
    if ranked:
        return ranked[0]
    return next(iter(held))


def at_or_above(order: Sequence[str], held: Mapping[str, timedelta], severity: str) -> timedelta:
    """Time spent at `severity` or at any more severe level."""
    rank = order.index(severity) if severity in order else len(order)
    return sum((time for name, time in held.items() if name in order and order.index(name) <= rank), timedelta())


@dataclass(frozen=True)
class Check:
    """One severity's SLA against the time spent at it or above."""

    severity: str
    time: timedelta
    sla: timedelta
    alone: bool  # nothing more severe was held, so the time is at this severity only

    @property
    def breached(self) -> bool:
        """True when the time exceeds the SLA."""
        return self.time > self.sla

    def says(self) -> str:
        """'1 h 30 min at P1 against the P1 SLA of 1 h'."""
        where = self.severity if self.alone else f"{self.severity} or above"
        return f"{span(self.time)} at {where} against the {self.severity} SLA of {span(self.sla)}"


@dataclass(frozen=True)
class Verdict:
    """Whether credits are owed, and the figures that decided it."""

    owed: bool
    highest: str
    check: Check | None  # the breach, or the closest call; None when no severity held has an SLA

    def says(self) -> str:
        """The verdict as the checklist and the audit state it."""
        if self.check is None:
            return f"no SLA for {self.highest}"
        return f"{'owed' if self.owed else 'not owed'}: {self.check.says()}"


def credits_verdict(
    order: Sequence[str], slas: Mapping[str, timedelta | None], held: Mapping[str, timedelta]
) -> Verdict:
    """Apply the credits rule to the time spent at each severity."""
    top = highest(order, held)
    checks = [
        Check(severity=name, time=time, sla=sla, alone=name == top)
        for name in order
        if (sla := slas.get(name)) is not None and (time := at_or_above(order, held, name)) > timedelta()
    ]
    breach = next((check for check in checks if check.breached), None)
    if breach is not None:
        return Verdict(owed=True, highest=top, check=breach)
    closest = min(checks, key=lambda check: check.sla - check.time, default=None)
    return Verdict(owed=False, highest=top, check=closest)
