"""An engineer declares an incident; the war room gets a card and the support team is activated at once."""

from __future__ import annotations

import json
import threading

from tests.support.harness import LEAD, MIRROR, OTHER_ROOM, WAR_ROOM, Harness


def test_declare_posts_the_incident_card_in_the_war_room(warroom: Harness) -> None:
    incident = warroom.declare("P1 Checkout API returning 500s")

    [card] = warroom.fake.received("chat.postMessage", channel=WAR_ROOM, where=lambda c: c.text.startswith("INC-"))
    seen = card.everything
    assert incident.ref == "INC-1"
    assert "INC-1" in seen and "P1 · Full outage" in seen
    assert "Checkout API returning 500s" in seen
    assert f"14:02 UTC by <@{LEAD}>" in seen
    assert "Investigating" in seen
    assert "not yet nominated" in seen
    assert "First public update due*\\nby 14:07 UTC" in seen
    assert warroom.card_ts(incident.id or 0) == card.params.get("ts") or warroom.card_ts(incident.id or 0)


def test_references_count_up(warroom: Harness) -> None:
    first = warroom.declare("P1 Checkout API returning 500s")
    second = warroom.declare("P3 Slow search", channel=OTHER_ROOM)
    assert (first.ref, second.ref) == ("INC-1", "INC-2")


def test_support_lead_is_activated_at_once_with_the_briefing(warroom: Harness) -> None:
    warroom.declare("P2 Checkout API returning 500s")

    [notice] = warroom.fake.wait_for("chat.postMessage", channel=MIRROR)
    text = notice.text
    assert "INC-1" in text and "P2 · Partial degradation" in text
    assert "Started 2026-11-22 14:02 UTC" in text
    assert "by *14:07 UTC*" in text
    assert "Agents may offer without approval" in text
    assert "service credit" in text
    assert "Escalate at once" in text
    for must_escalate in ("Enterprise accounts", "Legal threats", "Media"):
        assert must_escalate in text
    assert "Checkout API" not in notice.everything, "the internal title must not reach the mirror"


def test_nothing_typed_in_the_war_room_reaches_the_mirror(warroom: Harness) -> None:
    warroom.declare("P1 Payments database on fire")
    warroom.command("severity P2")
    warroom.drain()

    mirror = warroom.fake.received("chat.postMessage", channel=MIRROR)
    assert len(mirror) == 2, "the activation and the severity change"
    for call in mirror:
        assert "Payments database" not in call.everything
        assert "<@" not in call.everything.replace(f"<@{LEAD}>", ""), "only the lead, named by Warroom for escalations"


def test_the_lead_is_asked_to_nominate_a_communicator_with_a_user_picker(warroom: Harness) -> None:
    incident = warroom.declare()

    [prompt] = warroom.fake.wait_for("chat.postEphemeral", user=LEAD, channel=WAR_ROOM)
    [block] = prompt.blocks
    assert block["accessory"]["type"] == "users_select"
    assert block["block_id"] == f"nominate:{incident.id}"
    assert "Who owns communication for INC-1" in prompt.text
    assert "not advised" in prompt.text


def test_the_card_comes_before_the_picker_in_the_war_room(warroom: Harness) -> None:
    warroom.declare()
    warroom.fake.wait_for("chat.postEphemeral")
    in_war_room = [c.method for c in warroom.fake.calls if c.channel == WAR_ROOM and c.method.startswith("chat.")]
    assert in_war_room[:2] == ["chat.postMessage", "chat.postEphemeral"]


def test_declaring_is_recorded_on_the_timeline(warroom: Harness) -> None:
    incident = warroom.declare("p1 Checkout API returning 500s")

    [event] = warroom.events("declared")
    assert event.incident_id == incident.id
    assert event.actor_id == LEAD
    assert event.data == {"severity": "P1", "label": "Full outage", "title": "Checkout API returning 500s"}
    assert event.at == incident.declared_at


def test_one_open_incident_per_channel(warroom: Harness) -> None:
    warroom.declare("P1 Checkout API returning 500s")

    warroom.command("declare P2 Something else", response="second")
    [answer] = warroom.fake.wait_response("second")
    assert answer.params["response_type"] == "ephemeral"
    assert "INC-1 is already open in this channel" in answer.text
    assert "Checkout API returning 500s" in answer.text
    assert len(warroom.incidents()) == 1
    assert len(warroom.events("declared")) == 1


def test_a_double_submitted_declare_creates_one_incident(warroom: Harness) -> None:
    threads = [
        threading.Thread(target=warroom.command, args=("declare P1 Same outage",), kwargs={"response": f"r{n}"})
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    warroom.drain()
    answers = [warroom.fake.responses(f"r{n}") for n in range(4)]
    assert sorted(len(told) for told in answers) == [0, 1, 1, 1], "the three refused are told once; the declarer not"
    assert all("INC-1 is already open" in call.text for told in answers for call in told)
    assert len(warroom.incidents()) == 1
    assert len(warroom.fake.received("chat.postMessage", channel=MIRROR)) == 1


def test_declare_with_no_arguments_opens_a_modal(warroom: Harness) -> None:
    warroom.command("declare")

    [opened] = warroom.fake.wait_for("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "declare_incident"
    assert view["private_metadata"] == WAR_ROOM
    assert [b["block_id"] for b in view["blocks"]] == ["severity", "title", "impact", "communicator", "internal"]
    options = [o["value"] for o in view["blocks"][0]["element"]["options"]]
    assert options == ["P1", "P2", "P3"]
    assert view["blocks"][2]["optional"] is True and view["blocks"][3]["optional"] is True
    assert warroom.incidents() == []
