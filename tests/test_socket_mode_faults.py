"""Socket Mode under Slack's rougher days: parting envelopes, unhandled payloads, rate limits, flapping, auth blips."""

from __future__ import annotations

import logging
import time

import pytest

from bot.socket_link import ReconnectPolicy
from tests.support.fake_slack import Call, Fault
from tests.support.harness import LEAD, WAR_ROOM
from tests.support.socket_harness import APP_TOKEN, FAST, SocketHarness, socket_mode_running

pytestmark = pytest.mark.usefixtures("not_beside_the_browser")  # they time acks against Slack's 3 s


def _card(call: Call) -> bool:
    return call.text.startswith("INC-")


def _attempts(warroom: SocketHarness) -> list[Call]:
    return warroom.fake.received("apps.connections.open")


def _wait(condition: object, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.02)


def test_envelopes_slack_sends_on_the_old_connection_during_a_refresh_are_acked_at_once_and_run_once(
    database_url: str,
) -> None:
    with socket_mode_running(database_url) as warroom:
        warroom.socket.wait_ack(warroom.slash_command("help"))  # warm: the first dispatch imports and compiles
        commands = ["declare P2 Parting incident", *["help"] * 29]
        parting = [("slash_commands", warroom.command_payload(text)) for text in commands]
        old = warroom.socket.disconnect("warning", parting=parting)
        envelopes = [envelope.envelope_id for envelope in old.parting]

        acks = [warroom.socket.wait_ack(envelope) for envelope in envelopes]
        warroom.fake.wait_for("chat.postMessage", where=_card, channel=WAR_ROOM)
        warroom.fake.quiet(0.5)

        assert old.parted, "Slack sent them on the leaving connection as the new one came up"
        assert [ack.attempt for ack in acks] == [0] * len(commands), "acked on their first delivery, none retried"
        # at once: well inside Slack's 3 s, not after the old connection closes (2 s, not 1: a loaded machine)
        assert max(ack.latency for ack in acks) < 2.0, sorted(ack.latency for ack in acks)
        assert all(len(warroom.socket.delivered(envelope)) == 1 for envelope in envelopes)
        assert all(len(warroom.socket.acks_of(envelope)) == 1 for envelope in envelopes)
        assert [incident.title for incident in warroom.incidents()] == ["Parting incident"]
        assert len(warroom.fake.received("chat.postMessage", where=_card, channel=WAR_ROOM)) == 1
        _wait(lambda: old.closed_at is not None, "close of the old connection", timeout=5)


def test_a_click_no_listener_handles_is_acked_empty_and_logged(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    link_click = {
        "type": "block_actions",
        "team": {"id": "T0TEAM", "domain": "acme"},
        "user": {"id": LEAD, "username": LEAD.lower(), "team_id": "T0TEAM"},
        "api_app_id": "AWARROOM",
        "container": {"type": "message", "message_ts": "1790000000.000001", "channel_id": WAR_ROOM},
        "trigger_id": "1.link",
        "channel": {"id": WAR_ROOM, "name": "incident-room"},
        "actions": [{"action_id": "runbook-link", "type": "button", "url": "https://runbooks.example/db"}],
        "state": {"values": {}},
    }
    with caplog.at_level(logging.WARNING, logger="warroom.socket"), socket_mode_running(database_url) as warroom:
        envelope = warroom.socket.send("interactive", link_click)

        ack = warroom.socket.wait_ack(envelope)

        assert ack.payload is None and ack.attempt == 0, "a plain ack: a retry could never help"
        assert any(envelope in record.getMessage() and record.levelno == logging.WARNING for record in caplog.records)


def test_a_429_from_apps_connections_open_is_waited_out_as_retry_after_says(database_url: str) -> None:
    with socket_mode_running(database_url) as warroom:
        warroom.fake.fail("apps.connections.open", Fault(status=429, headers={"Retry-After": "2"}))
        warroom.socket.drop()

        warroom.socket.wait_links(2, timeout=8)
        warroom.wait_connected()

        attempts = _attempts(warroom)
        assert len(attempts) == 3, "the first connection, the throttled attempt, then one more"
        assert attempts[2].at - attempts[1].at >= 2.0, "Retry-After: 2 was honoured"
        assert warroom.exit_codes == []


def test_connections_that_drop_right_after_hello_are_retried_with_back_off_not_in_a_spin(database_url: str) -> None:
    with socket_mode_running(database_url) as warroom:
        warroom.socket.drop_after_hello = True
        warroom.socket.drop()
        time.sleep(2.0)
        flapped = len(_attempts(warroom)) - 1
        warroom.socket.drop_after_hello = False

        warroom.wait_connected()
        envelope = warroom.slash_command("help")

        assert 2 <= flapped <= 8, f"{flapped} attempts in 2 s: pauses of {FAST.first_pause}..{FAST.max_pause} s"
        assert warroom.socket.wait_ack(envelope).latency < 3.0
        assert warroom.exit_codes == []


def test_a_brief_invalid_auth_blip_does_not_stop_warroom(database_url: str) -> None:
    patient = ReconnectPolicy(refusals=3, refusal_span=4.0, first_pause=0.1, max_pause=0.5, hello_timeout=2.0)
    with socket_mode_running(database_url, policy=patient) as warroom:
        warroom.fake.revoked.add(APP_TOKEN)
        warroom.socket.drop()
        _wait(lambda: len(_attempts(warroom)) >= 1 + 4, "four refused attempts")
        warroom.fake.revoked.discard(APP_TOKEN)

        warroom.wait_connected()
        envelope = warroom.slash_command("help")

        assert warroom.socket.wait_ack(envelope).latency < 3.0
        assert warroom.exit_codes == []


def test_a_token_refused_for_the_whole_span_stops_warroom(database_url: str) -> None:
    with socket_mode_running(database_url, policy=FAST) as warroom:
        warroom.fake.revoked.add(APP_TOKEN)
        warroom.socket.drop()
        _wait(lambda: bool(warroom.exit_codes), "exit", timeout=10)

        refused = _attempts(warroom)[1:]
        assert warroom.exit_codes == [1]
        assert len(refused) >= FAST.refusals
        assert refused[-1].at - refused[0].at >= FAST.refusal_span, "refusals spanning the whole span, not a blip"


def test_stopping_finishes_the_lazy_work_in_flight_first(database_url: str) -> None:
    with socket_mode_running(database_url) as warroom:
        warroom.fake.fail("conversations.info", Fault(delay=1.0))  # the declare's lazy listener waits on Slack
        envelope = warroom.slash_command("declare P1 Declared as the replica stops")
        warroom.socket.wait_ack(envelope)
        warroom.fake.wait_for("conversations.info")

        warroom.stop.set()  # what SIGTERM does: the link finishes its envelopes and closes
        warroom.service.warroom.stop()

        assert [incident.title for incident in warroom.incidents()] == ["Declared as the replica stops"]
