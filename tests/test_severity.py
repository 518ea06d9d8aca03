"""`/incident severity P2`: announced in the war room, the card updated, a one-line notice in the mirror."""

from __future__ import annotations

from tests.support.harness import DANA, MIRROR, WAR_ROOM, Harness


def test_changing_severity_is_announced_carded_and_mirrored(warroom: Harness) -> None:
    incident = warroom.declare("P1 Checkout API returning 500s")
    warroom.clock.advance(minutes=3)

    warroom.command("severity p2", user=DANA)

    [announcement] = warroom.fake.wait_for(
        "chat.postMessage", channel=WAR_ROOM, where=lambda c: "changed INC-1" in c.text
    )
    assert f"<@{DANA}> changed INC-1 from P1 · Full outage to *P2 · Partial degradation*" in announcement.text
    assert "(14:07 UTC) stands" in announcement.text
    [card] = warroom.fake.wait_for("chat.update", channel=WAR_ROOM, where=lambda c: c.text.startswith("INC-1"))
    assert card.params["ts"] == warroom.card_ts(incident.id or 0)
    assert "INC-1 · P2 · Partial degradation" in card.everything
    mirror = warroom.fake.wait_for("chat.postMessage", 2, channel=MIRROR)
    notice = mirror[-1].text
    assert notice.count("\n") == 0, "the mirror gets one line"
    assert "*INC-1 severity changed at 14:05 UTC:* P1 · Full outage → *P2 · Partial degradation*" in notice
    assert "Checkout" not in notice

    [event] = warroom.events("severity_changed")
    assert (event.actor_id, event.data) == (DANA, {"old": "P1", "new": "P2"})
    assert warroom.incidents()[0].severity == "P2"


def test_the_same_severity_again_changes_nothing(warroom: Harness) -> None:
    warroom.declare("P2 Search is slow")

    warroom.command("severity P2", response="same")

    assert "already P2" in warroom.fake.wait_response("same")[0].text
    assert warroom.events("severity_changed") == []


def test_severity_without_a_value_says_how(warroom: Harness) -> None:
    warroom.declare()

    warroom.command("severity", response="how")

    assert "`/incident severity P2`" in warroom.fake.wait_response("how")[0].text
