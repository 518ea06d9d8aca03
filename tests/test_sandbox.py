"""`warroom sandbox` through its page's door: a whole P1, modals and the drill clock, as the page's script sends them.

Each test starts its own sandbox (port 0, SQLite in tmp_path) and acts through /sandbox/do, reading /sandbox/state
the way the page does; the real Warroom behind it answers over loopback and its worker delivers in the background.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape
from sqlmodel import Session, select

from bot import ids
from bot.clock import ScaledClock
from bot.incidents.mirror import impact_problem
from bot.render.text import clock_time
from bot.sandbox.workspace import (
    BOT,
    COMMUNICATOR,
    ENGINEER,
    LEAD,
    MIRROR,
    SUPPORT_LEAD,
    WAR_ROOM,
    WAR_ROOM_2,
)
from bot.store.models import Incident
from tests.support.sandbox_page import do, element, has, sandbox, showing, state, until

TITLE = "Card payments failing at checkout"
CAUSE = "A bad configuration change sent card payments to a retired endpoint"
SAM_DM = "D" + COMMUNICATOR[1:]
LEAD_DM = "D" + LEAD[1:]
LEE_DM = "D" + SUPPORT_LEAD[1:]


def test_a_whole_p1_through_the_page(tmp_path: Path) -> None:
    with sandbox(tmp_path) as box:
        assert do(box, LEAD, "command", WAR_ROOM, text=f"declare P1 {TITLE}") == (200, {"ok": True})
        showing(box, LEAD, WAR_ROOM, "INC-1 · P1 · Full outage")
        pane = showing(box, LEAD, WAR_ROOM, ids.NOMINATE_ACTION)  # the picker comes on its own, just after
        assert f"<strong>{TITLE}</strong>" in pane
        picker, ephemeral = element(pane, ids.NOMINATE_ACTION)
        assert picker == {"type": "users_select", "block_id": "nominate:1", "action_id": ids.NOMINATE_ACTION}
        assert ephemeral.startswith("E") and "Only visible to you" in pane
        for other in (COMMUNICATOR, ENGINEER):  # the picker is the lead's alone; the card is everyone's
            theirs = state(box, other, WAR_ROOM)["conversation"]
            assert "INC-1 · P1" in theirs
            assert not has(theirs, ids.NOMINATE_ACTION) and "Only visible to you" not in theirs

        picked = do(box, LEAD, "click", WAR_ROOM, ephemeral=ephemeral, act=picker, value=COMMUNICATOR, label="Sam")
        assert picked == (200, {"ok": True})
        dm = showing(box, COMMUNICATOR, SAM_DM, "entry_approve")
        assert "You are the <strong>communicator</strong> for <strong>INC-1</strong>" in dm
        approve, ts = element(dm, ids.APPROVE_ACTION)
        assert approve == {"type": "button", "block_id": "entry:1", "action_id": ids.APPROVE_ACTION, "value": "1"}
        draft = "We are investigating a full outage: customers cannot use the service."
        assert draft in dm
        assert do(box, COMMUNICATOR, "click", SAM_DM, ts=ts, act=approve, label="Approve") == (200, {"ok": True})

        activation = showing(box, SUPPORT_LEAD, MIRROR, "INC-1 declared: P1")
        assert "Every update for INC-1 is posted in" in activation
        with box.workspace.lock:
            parent = str(box.workspace.conversations[MIRROR].messages[0]["ts"])
        seen = showing(box, SUPPORT_LEAD, MIRROR, draft, pane="thread", thread=parent)  # the entry, in its thread
        assert "INC-1" in seen
        assert TITLE not in activation
        assert TITLE not in seen and "Card payments failing" not in seen  # the internal title stays inside
        with box.workspace.lock:
            mirrored = [m["text"] for m in box.workspace.conversations[MIRROR].messages]
        assert all(m.get("user") == BOT for m in box.workspace.conversations[MIRROR].messages)
        assert all("INC-1" in text and TITLE not in text for text in mirrored)

        assert do(box, SUPPORT_LEAD, "message", MIRROR, text="Can we promise a fix by noon?") == (
            400,
            {"ok": False, "error": "this channel is read-only for you"},
        )
        sidebar = state(box, SUPPORT_LEAD, MIRROR)["sidebar"]
        assert sidebar.count("data-channel-link=") == 2
        assert f'data-channel-link="{MIRROR}"' in sidebar and f'data-channel-link="{LEE_DM}"' in sidebar

        assert do(box, LEAD, "command", WAR_ROOM, text=f"resolve {CAUSE}") == (200, {"ok": True})

        def resolution() -> tuple[dict[str, object], str] | None:
            shown = str(state(box, COMMUNICATOR, SAM_DM)["conversation"])
            return element(shown, ids.APPROVE_ACTION) if "entry:2" in shown else None

        approve_resolution, ts = until(resolution, "the resolution draft")
        assert approve_resolution["block_id"] == "entry:2"
        assert do(box, COMMUNICATOR, "click", SAM_DM, ts=ts, act=approve_resolution, label="Approve")[0] == 200
        pane = showing(box, LEAD, WAR_ROOM, 'class="replies" data-thread="')
        replies = re.search(r'data-ts="([^"]+)">.*?INC-1 · P1.*?data-thread="([^"]+)"', pane, re.S)
        assert replies is not None and replies.group(1) == replies.group(2)  # the card's "N replies" opens its thread
        card_ts = replies.group(2)

        thread = showing(box, COMMUNICATOR, WAR_ROOM, ids.POSTMORTEM_ACTION, pane="thread", thread=card_ts)
        assert "Follow-ups for INC-1: resolved" in thread
        assert "not owed" in thread  # minutes at P1 against a 30-minute SLA: no credits, so no credit buttons
        assert not has(thread, ids.CREDITS_OFFERED_ACTION)
        assert CAUSE in str(state(box, SUPPORT_LEAD, MIRROR, thread=parent)["thread"])


def _declare_fields(*, severity: str, title: str, impact: str) -> list[dict[str, str]]:
    """The declare modal's form as the page collects it: {name: "block.action", type, value, label}."""
    return [
        {"name": f"{ids.SEVERITY_BLOCK}.{ids.SEVERITY_ACTION}", "type": "static_select", "value": severity,
         "label": severity},
        {"name": f"{ids.TITLE_BLOCK}.{ids.TITLE_ACTION}", "type": "plain_text_input", "value": title},
        {"name": f"{ids.IMPACT_BLOCK}.{ids.IMPACT_ACTION}", "type": "plain_text_input", "value": impact},
        {"name": f"{ids.COMMUNICATOR_BLOCK}.{ids.COMMUNICATOR_ACTION}", "type": "users_select", "value": ""},
    ]  # fmt: skip


def test_the_declare_modal_shows_the_bots_errors_beside_the_field_and_declares_when_right(tmp_path: Path) -> None:
    with sandbox(tmp_path) as box:
        assert do(box, LEAD, "command", WAR_ROOM_2, text="declare") == (200, {"ok": True})
        modal = until(lambda: state(box, LEAD, WAR_ROOM_2)["modal"], "the declare modal")
        for field in _declare_fields(severity="P2", title="", impact=""):
            assert f'name="{field["name"]}"' in modal["html"]
        assert state(box, ENGINEER, WAR_ROOM_2)["modal"] is None  # a modal is its opener's alone

        two_sentences = "Checkout fails for EU customers. We are on it"
        bad = _declare_fields(severity="P2", title="Checkout 500s", impact=two_sentences)
        assert do(box, LEAD, "submit", WAR_ROOM_2, fields=bad) == (200, {"ok": True})
        problem = impact_problem(two_sentences)
        assert problem is not None
        shown = state(box, LEAD, WAR_ROOM_2)["modal"]
        assert shown is not None and 'class="bk-error"' in shown["html"]
        assert str(escape(problem)) in shown["html"]
        assert shown["key"].startswith(modal["key"].split(":")[0])  # the same modal, still open
        assert "INC-" not in state(box, LEAD, WAR_ROOM_2)["conversation"]

        good = _declare_fields(severity="P2", title="Checkout 500s", impact="Checkout fails for EU customers")
        assert do(box, LEAD, "submit", WAR_ROOM_2, fields=good) == (200, {"ok": True})
        assert state(box, LEAD, WAR_ROOM_2)["modal"] is None
        card = showing(box, ENGINEER, WAR_ROOM_2, "INC-1 · P2")
        assert "INC-1 · P2 · Partial degradation" in card and "<strong>Checkout 500s</strong>" in card


def test_the_drill_clock_brings_the_overdue_reminders_in_real_seconds(tmp_path: Path) -> None:
    with sandbox(tmp_path, speed=600) as box:  # the 5-minute acknowledge window passes in 0.5 s
        assert do(box, LEAD, "command", WAR_ROOM, text=f"declare P1 {TITLE}") == (200, {"ok": True})

        def declared() -> Incident | None:
            with Session(box.warroom.engine) as session:
                return session.exec(select(Incident)).first()

        incident = until(declared, "the declaration")
        due = clock_time(incident.next_update_due_at, ZoneInfo("UTC"))
        assert incident.next_update_due_at - incident.declared_at == timedelta(minutes=5)

        def texts(channel: str) -> list[str]:
            with box.workspace.lock:
                return [str(m["text"]) for m in box.workspace.conversations[channel].messages]

        overdue = f":rotating_light: *Update overdue: committed for {due}* (INC-1)."
        # Nobody is the communicator, so the lead, who could approve, is reminded in their DM.
        until(lambda: any(t.startswith(overdue) for t in texts(LEAD_DM)), "the overdue reminder", seconds=5)
        escalation = f":warning: <@{LEAD}> INC-1's public update, committed for {due}, is "
        until(lambda: any(t.startswith(escalation) for t in texts(WAR_ROOM)), "the escalation", seconds=5)
        late = f":hourglass: *INC-1: the update committed for {due} is late.*"
        until(lambda: any(t.startswith(late) for t in texts(MIRROR)), "the mirror's late notice", seconds=5)
        nobody = (
            f":bust_in_silhouette: *Nobody owns communication for INC-1 yet.* The next public update is due by {due};"
        )
        assert any(t.startswith(nobody) for t in texts(WAR_ROOM))
        assert sum(t.startswith(overdue) for t in texts(LEAD_DM)) == 1  # once per due time, however many ticks
        assert box.clock.now() - incident.declared_at >= timedelta(minutes=10)


def test_the_scaled_clock_runs_speed_times_faster_from_its_start() -> None:
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    clock = ScaledClock(3600, start=start)
    first = clock.now()
    assert start <= first < start + timedelta(minutes=30)
    assert clock.speed == 3600
    later = clock.now()
    assert later >= first
    with pytest.raises(ValueError, match="speed must be above 0, not 0"):
        ScaledClock(0)
    with pytest.raises(ValueError, match="speed must be above 0, not -2"):
        ScaledClock(-2)
