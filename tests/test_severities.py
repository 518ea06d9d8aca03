"""The time an incident spent at each severity, its high-water mark, and the credits rule built on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.incidents.severities import at_or_above, credits_verdict, from_timeline, highest, time_at_each
from bot.store.models import TimelineEvent

ORDER = ["P1", "P2", "P3"]
SLAS = {"P1": timedelta(hours=1), "P2": timedelta(hours=4), "P3": None}
T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_time_is_split_at_each_change() -> None:
    held = time_at_each(declared="P1", declared_at=T0, changes=[(_at(90), "P2"), (_at(150), "P1")], end=_at(160))
    assert held == {"P1": timedelta(minutes=100), "P2": timedelta(minutes=60)}


def test_an_incident_never_changed_spent_all_its_time_at_its_declared_severity() -> None:
    assert time_at_each(declared="P3", declared_at=T0, changes=[], end=_at(45)) == {"P3": timedelta(minutes=45)}


def test_changes_out_of_order_or_after_the_end_are_clamped() -> None:
    held = time_at_each(declared="P2", declared_at=T0, changes=[(_at(50), "P3"), (_at(20), "P1")], end=_at(40))
    assert held == {"P2": timedelta(minutes=20), "P1": timedelta(minutes=20), "P3": timedelta()}


def test_the_timeline_events_give_the_same_split() -> None:
    events = [
        TimelineEvent(incident_id=1, at=T0, kind="declared", data={"severity": "P1"}),
        TimelineEvent(incident_id=1, at=_at(30), kind="approved", data={}),
        TimelineEvent(incident_id=1, at=_at(90), kind="severity_changed", data={"old": "P1", "new": "P2"}),
    ]
    held = from_timeline(events, severity="P2", declared_at=T0, end=_at(120))
    assert held == {"P1": timedelta(minutes=90), "P2": timedelta(minutes=30)}


def test_the_highest_severity_is_the_first_held_in_playbook_order() -> None:
    assert highest(ORDER, {"P2": timedelta(hours=1), "P1": timedelta(minutes=1)}) == "P1"
    assert highest(ORDER, {"P3": timedelta(hours=1), "P2": timedelta(minutes=1)}) == "P2"


def test_time_at_or_above_counts_every_more_severe_level() -> None:
    held = {"P1": timedelta(minutes=30), "P2": timedelta(minutes=45), "P3": timedelta(minutes=10)}
    assert at_or_above(ORDER, held, "P1") == timedelta(minutes=30)
    assert at_or_above(ORDER, held, "P2") == timedelta(minutes=75)
    assert at_or_above(ORDER, held, "P3") == timedelta(minutes=85)


def test_a_p1_breach_owes_credits_even_after_lowering_to_p2() -> None:
    held = {"P1": timedelta(minutes=90), "P2": timedelta(minutes=30)}
    verdict = credits_verdict(ORDER, SLAS, held)
    assert verdict.owed and verdict.highest == "P1"
    assert verdict.says() == "owed: 1 h 30 min at P1 against the P1 SLA of 1 h"


def test_time_at_p1_counts_towards_the_p2_sla() -> None:
    held = {"P1": timedelta(minutes=50), "P2": timedelta(hours=3, minutes=20)}
    verdict = credits_verdict(ORDER, SLAS, held)
    assert verdict.owed
    assert verdict.says() == "owed: 4 h 10 min at P2 or above against the P2 SLA of 4 h"


def test_no_breach_names_the_closest_call() -> None:
    held = {"P1": timedelta(minutes=50), "P2": timedelta(minutes=20)}
    verdict = credits_verdict(ORDER, SLAS, held)
    assert not verdict.owed
    assert verdict.says() == "not owed: 50 min at P1 against the P1 SLA of 1 h"


def test_exactly_the_sla_is_not_a_breach() -> None:
    assert not credits_verdict(ORDER, SLAS, {"P1": timedelta(hours=1)}).owed


def test_a_severity_without_an_sla_says_so() -> None:
    verdict = credits_verdict(ORDER, SLAS, {"P3": timedelta(hours=9)})
    assert not verdict.owed and verdict.check is None
    assert verdict.says() == "no SLA for P3"


def test_raising_a_p3_to_p2_puts_its_time_under_the_p2_sla() -> None:
    held = time_at_each(declared="P3", declared_at=T0, changes=[(_at(60), "P2")], end=_at(60 + 4 * 60 + 1))
    verdict = credits_verdict(ORDER, SLAS, held)
    assert verdict.owed
    assert verdict.says() == "owed: 4 h 1 min at P2 against the P2 SLA of 4 h"
