"""The lead names one communicator: by the picker or by command; the nominee is briefed by DM."""

from __future__ import annotations

from tests.support.harness import DANA, ERIN, LEAD, WAR_ROOM, Harness


def _pick(warroom: Harness, *, incident_id: int, picked: str, by: str = LEAD, response: str = "picker") -> None:
    reply = warroom.slack.block_action(
        user=by,
        channel=WAR_ROOM,
        ephemeral=True,
        response=response,
        action={
            "type": "users_select",
            "action_id": "nominate_communicator",
            "block_id": f"nominate:{incident_id}",
            "selected_user": picked,
        },
    )
    assert reply.status == 200


def test_picking_a_communicator_names_them_on_the_card_and_in_the_war_room(warroom: Harness) -> None:
    incident = warroom.declare()

    _pick(warroom, incident_id=incident.id or 0, picked=DANA)

    [update] = warroom.fake.wait_for("chat.update", channel=WAR_ROOM, where=lambda c: c.text.startswith("INC-1"))
    assert update.params["ts"] == warroom.card_ts(incident.id or 0)
    assert f"*Communicator*\\n<@{DANA}>" in update.everything
    [named] = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: "communicator for" in c.text)
    assert f"<@{DANA}> is the communicator for INC-1, named by <@{LEAD}>" in named.text
    [picker_reply] = warroom.fake.wait_response("picker")
    assert picker_reply.params["replace_original"] is True
    assert f"You named <@{DANA}> as the communicator for INC-1" in picker_reply.text
    assert warroom.incidents()[0].communicator_id == DANA


def test_the_nominee_is_told_by_dm_what_the_role_is_and_what_is_due(warroom: Harness) -> None:
    warroom.declare("P2 Search is slow")
    warroom.clock.advance(minutes=1)

    warroom.command(f"communicator <@{DANA}|dana>")

    [dm] = warroom.fake.wait_for("chat.postMessage", channel=DANA)
    text = dm.text
    assert "You are the *communicator* for *INC-1* (P2 · Partial degradation) in <#CWARROOM1>" in text
    assert "Own all external communication" in text
    assert "Approve every update-feed entry" in text
    assert "at least every 30 min" in text
    assert "the first public update, by *14:07 UTC* (in 4 min)" in text


def test_the_communicator_can_be_replaced_at_any_time(warroom: Harness) -> None:
    warroom.declare()
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.fake.wait_for("chat.postMessage", channel=DANA)

    warroom.command(f"communicator <@{ERIN}|erin>", user=DANA)  # the communicator hands over

    warroom.fake.wait_for("chat.postMessage", channel=ERIN)
    assert warroom.incidents()[0].communicator_id == ERIN
    events = warroom.events("communicator_nominated")
    assert [(e.actor_id, e.data) for e in events] == [
        (LEAD, {"communicator": DANA, "previous": None}),
        (DANA, {"communicator": ERIN, "previous": DANA}),
    ]
    updates = warroom.fake.wait_for("chat.update", 2, channel=WAR_ROOM, where=lambda c: c.text.startswith("INC-1"))
    assert f"*Communicator*\\n<@{ERIN}>" in updates[-1].everything


def test_only_the_lead_or_the_communicator_can_name_the_communicator(warroom: Harness) -> None:
    incident = warroom.declare()

    _pick(warroom, incident_id=incident.id or 0, picked=ERIN, by=ERIN, response="intruder")

    [answer] = warroom.fake.wait_response("intruder")
    assert answer.params["response_type"] == "ephemeral"
    assert f"Only the incident lead (<@{LEAD}>) or the current communicator" in answer.text
    assert warroom.incidents()[0].communicator_id is None
    assert warroom.events("communicator_nominated") == []


def test_the_lead_may_nominate_themselves_but_is_told_it_is_not_advised(warroom: Harness) -> None:
    incident = warroom.declare()

    _pick(warroom, incident_id=incident.id or 0, picked=LEAD)

    [named] = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: "communicator for" in c.text)
    assert "not advised" in named.text and "separate people" in named.text
    [reply] = warroom.fake.wait_response("picker")
    assert "not advised" in reply.text
    assert warroom.incidents()[0].communicator_id == LEAD


def test_naming_the_same_communicator_twice_changes_nothing(warroom: Harness) -> None:
    warroom.declare()
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.fake.wait_for("chat.postMessage", channel=DANA)

    warroom.command(f"communicator <@{DANA}|dana>", response="again")

    assert "already the communicator for INC-1" in warroom.fake.wait_response("again")[0].text
    assert len(warroom.events("communicator_nominated")) == 1
    briefings = [c for c in warroom.fake.received("chat.postMessage", channel=DANA) if "You are the" in c.text]
    assert len(briefings) == 1


def test_a_double_clicked_pick_names_and_briefs_once(warroom: Harness) -> None:
    incident = warroom.declare()

    _pick(warroom, incident_id=incident.id or 0, picked=DANA, response="first")
    _pick(warroom, incident_id=incident.id or 0, picked=DANA, response="second")

    warroom.fake.wait_for("chat.postMessage", channel=DANA)
    warroom.fake.wait_response("second")
    warroom.drain()
    briefings = [c for c in warroom.fake.received("chat.postMessage", channel=DANA) if "You are the" in c.text]
    assert len(briefings) == 1
    assert len(warroom.events("communicator_nominated")) == 1
