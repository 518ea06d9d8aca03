"""`/incident declare` with no arguments: a modal with severity, title and an optional communicator."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.support.fake_slack import Fault
from tests.support.harness import BOTTY, DANA, GONE, LEAD, MIRROR, WAR_ROOM, Harness


def _open_modal(warroom: Harness) -> dict[str, Any]:
    warroom.command("declare")
    [opened] = warroom.fake.wait_for("views.open")
    view = opened.params["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def _values(severity: str | None, title: str | None, communicator: str | None = None) -> dict[str, Any]:
    option = {"value": severity, "text": {"type": "plain_text", "text": severity}} if severity else None
    return {
        "severity": {"severity_select": {"type": "static_select", "selected_option": option}},
        "title": {"title_input": {"type": "plain_text_input", "value": title}},
        "communicator": {"communicator_select": {"type": "users_select", "selected_user": communicator}},
    }


def test_submitting_the_modal_declares_in_the_channel_it_came_from(warroom: Harness) -> None:
    view = _open_modal(warroom)

    reply = warroom.slack.view_submission(user=LEAD, view=view, values=_values("P2", "Search is slow"))

    assert reply.status == 200 and reply.body == ""
    [card] = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM)
    assert "P2 · Partial degradation" in card.everything and "Search is slow" in card.everything
    warroom.fake.wait_for("chat.postMessage", channel=MIRROR)
    [incident] = warroom.incidents()
    assert (incident.channel_id, incident.lead_id, incident.communicator_id) == (WAR_ROOM, LEAD, None)


def test_a_communicator_chosen_in_the_modal_is_named_at_once(warroom: Harness) -> None:
    view = _open_modal(warroom)

    warroom.slack.view_submission(user=LEAD, view=view, values=_values("P1", "Checkout down", DANA))

    warroom.fake.wait_for("chat.postMessage", channel=DANA)
    [incident] = warroom.incidents()
    assert incident.communicator_id == DANA
    named = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: "is the communicator" in c.text)
    assert f"<@{DANA}> is the communicator for INC-1" in named[0].text
    warroom.drain()
    assert warroom.fake.received("chat.postEphemeral") == [], "no picker when a communicator is already named"


def test_a_bad_modal_answer_is_shown_beside_the_field(warroom: Harness) -> None:
    view = _open_modal(warroom)

    reply = warroom.slack.view_submission(user=LEAD, view=view, values=_values("P1", "x" * 151))
    assert reply.status == 200
    errors = reply.json()
    assert errors["response_action"] == "errors"
    assert "151 characters" in errors["errors"]["title"]

    reply = warroom.slack.view_submission(user=LEAD, view=view, values=_values(None, "Checkout"))
    assert "Use one of `P1`" in reply.json()["errors"]["severity"]

    assert warroom.incidents() == []


def test_modal_text_is_stored_as_typed_and_escaped_when_shown(warroom: Harness) -> None:
    view = _open_modal(warroom)

    warroom.slack.view_submission(user=LEAD, view=view, values=_values("P1", "A&B <!channel> down"))

    [card] = warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM)
    assert "A&amp;B &lt;!channel&gt; down" in card.everything
    assert "<!channel>" not in card.everything
    assert warroom.incidents()[0].title == "A&B <!channel> down"


def test_the_ack_asks_slack_nothing_the_people_lookup_happens_once_after(warroom: Harness) -> None:
    warroom.fake.users[DANA]["team_id"] = "T0TEAM"  # Warroom's own workspace (auth.test's team_id)
    view = _open_modal(warroom)
    warroom.fake.fail("users.info", Fault(delay=2))  # a slow Slack: an ack that asked it would take 2 s

    started = time.monotonic()
    reply = warroom.slack.view_submission(user=LEAD, view=view, values=_values("P1", "Checkout down", DANA))
    acked_in = time.monotonic() - started

    assert reply.status == 200 and reply.body == ""
    assert acked_in < 1.5, f"the ack took {acked_in:.2f} s: it waited for users.info"
    warroom.fake.wait_for("users.info", user=DANA)  # asked by the lazy work, after the ack
    warroom.fake.wait_for("chat.postMessage", channel=DANA, timeout=10)
    warroom.drain()
    assert len(warroom.fake.received("users.info")) == 1, "the communicator is looked up once"
    assert warroom.incidents()[0].communicator_id == DANA


@pytest.mark.parametrize(
    ("communicator", "said"),
    [
        (BOTTY, "Deploybot is a bot. The communicator must be a person who can approve updates."),
        (GONE, "Gone Person has been deactivated. Nominate an active member."),
        ("UPARTNER1", "Pat Partner is from another organisation (a Slack Connect guest)."),
        ("UNOBODY01", "I can't find that user in this workspace."),
    ],
)
def test_a_communicator_who_cannot_be_one_is_told_and_nothing_is_declared(
    warroom: Harness, communicator: str, said: str
) -> None:
    warroom.fake.add_user("UPARTNER1", "Pat Partner")
    warroom.fake.users["UPARTNER1"]["team_id"] = "T0PARTNER"  # a Slack Connect member of another company
    view = _open_modal(warroom)

    reply = warroom.slack.view_submission(user=LEAD, view=view, values=_values("P1", "Checkout down", communicator))

    assert reply.status == 200 and reply.body == "", "the ack accepts the form: the person is checked after"
    [told] = warroom.fake.wait_for("chat.postEphemeral", channel=WAR_ROOM, user=LEAD)
    assert said in told.text
    warroom.drain()
    assert warroom.incidents() == [] and warroom.outbox() == [], "nothing half-written"
    assert warroom.fake.received("chat.postMessage") == []
