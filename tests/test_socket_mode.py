"""Socket Mode through a stand-in that behaves like Slack's server: drops, refreshes, redeliveries, bad tokens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from bot.socket_link import ReconnectPolicy
from tests.support.fake_slack import Call, FakeSlack
from tests.support.harness import LEAD, MIRROR, SECRET, WAR_ROOM, start_fake_slack
from tests.support.slack_requests import Slack
from tests.support.socket_harness import APP_TOKEN, SocketHarness, socket_mode_running
from tests.support.socket_slack import SocketSlack

pytestmark = pytest.mark.usefixtures("not_beside_the_browser")  # they time acks against Slack's 3 s


def _card(call: Call) -> bool:
    return call.text.startswith("INC-")


def _cards(harness: SocketHarness) -> list[Call]:
    return harness.fake.received("chat.postMessage", where=_card, channel=WAR_ROOM)


def test_a_slash_command_over_the_socket_declares_an_incident(database_url: str) -> None:
    with socket_mode_running(database_url) as warroom:
        envelope = warroom.slash_command("declare P1 Checkout API returning 500s")

        ack = warroom.socket.wait_ack(envelope)
        card = warroom.fake.wait_for("chat.postMessage", where=_card, channel=WAR_ROOM)[0]

        assert ack.latency < 3.0, "Slack waits 3 s for an ack"
        assert "Checkout API returning 500s" in card.everything
        assert [incident.title for incident in warroom.incidents()] == ["Checkout API returning 500s"]


def test_a_drop_without_close_frame_is_reconnected_within_2_s_and_the_next_command_runs_once(
    database_url: str,
) -> None:
    with socket_mode_running(database_url) as warroom:
        dropped = warroom.socket.drop()
        envelope = warroom.slash_command("declare P2 Search is slow")  # Slack holds it until the app is back

        replacement = warroom.socket.wait_links(2, timeout=2.0)[1]
        warroom.socket.wait_ack(envelope)
        warroom.fake.wait_for("chat.postMessage", where=_card, channel=WAR_ROOM)
        warroom.fake.quiet(0.5)

        assert replacement.opened_at - dropped.opened_at > 0
        assert replacement.opened_at - (dropped.closed_at or 0) < 2.0
        assert len(warroom.socket.delivered(envelope)) == 1
        assert len(_cards(warroom)) == 1
        assert [incident.title for incident in warroom.incidents()] == ["Search is slow"]


def test_every_one_of_a_run_of_drops_is_reconnected_within_2_s(database_url: str) -> None:
    """A flapping proxy: each connection dies a second after Slack's hello, six times, under the default policy."""
    with socket_mode_running(database_url, policy=ReconnectPolicy()) as warroom:
        for round_ in range(6):
            warroom.wait_connected()
            time.sleep(0.3)
            dropped = warroom.socket.drop()
            replacement = warroom.socket.wait_links(round_ + 2, timeout=2.5)[round_ + 1]
            assert replacement.opened_at - (dropped.closed_at or 0) < 2.0, f"drop {round_ + 1}"
        envelope = warroom.slash_command("help")
        assert warroom.socket.wait_ack(envelope).latency < 2.0
        assert warroom.exit_codes == []


@pytest.mark.parametrize("reason", ["refresh_requested", "warning"])
def test_every_ack_during_a_connection_refresh_is_under_100_ms(database_url: str, reason: str) -> None:
    with socket_mode_running(database_url) as warroom:
        envelopes = [warroom.slash_command("help")]
        warroom.socket.wait_ack(envelopes[0])  # warm: the first dispatch imports and compiles
        old = warroom.socket.disconnect(reason)
        for _ in range(60):  # 1.2 s of commands across the refresh
            envelopes.append(warroom.slash_command("help"))
            time.sleep(0.02)

        acks = [warroom.socket.wait_ack(envelope) for envelope in envelopes]
        links = warroom.socket.wait_links(2)

        assert max(ack.latency for ack in acks[1:]) < 0.1, sorted(ack.latency for ack in acks)[-5:]
        assert {ack.connection for ack in acks[1:]} >= {links[1].number}, "the new connection took over"
        assert all(len(warroom.socket.acks_of(envelope)) == 1 for envelope in envelopes)
        deadline = time.monotonic() + 3
        while old.closed_at is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert old.closed_at is not None, "the old connection was closed once the new one was up"
        assert warroom.health() == 200


def test_an_envelope_slack_redelivers_after_a_lost_ack_runs_once(database_url: str) -> None:
    with socket_mode_running(database_url) as warroom:
        envelope = warroom.slash_command("declare P1 Payments failing", lose_ack=True)

        ack = warroom.socket.wait_ack(envelope, timeout=10)
        warroom.fake.wait_for("chat.postMessage", where=_card, channel=WAR_ROOM)
        warroom.fake.quiet(0.5)

        assert [attempt for _id, attempt, _link in warroom.socket.delivered(envelope)] == [0, 1]
        assert ack.connection == 2, "acked again on the new connection"
        assert len(_cards(warroom)) == 1
        assert len(warroom.fake.received("chat.postMessage", channel=MIRROR)) <= 1
        assert [incident.title for incident in warroom.incidents()] == ["Payments failing"]


def test_healthz_is_503_while_the_socket_is_down_and_200_once_it_is_back(database_url: str) -> None:
    patient = ReconnectPolicy(refusals=1000, first_pause=0.05, max_pause=0.1, hello_timeout=2.0)
    with socket_mode_running(database_url, policy=patient) as warroom:
        assert warroom.health() == 200

        warroom.fake.revoked.add(APP_TOKEN)  # no new connection can be opened for now
        warroom.socket.drop()
        _wait_for_status(warroom, 503)
        warroom.fake.revoked.discard(APP_TOKEN)
        _wait_for_status(warroom, 200)
        envelope = warroom.slash_command("declare P3 Exports delayed")

        assert warroom.socket.wait_ack(envelope).latency < 3.0
        assert warroom.exit_codes == []


def _wait_for_status(warroom: SocketHarness, status: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    seen = warroom.health()
    while seen != status:
        assert time.monotonic() < deadline, f"/healthz stayed {seen}, expected {status}"
        time.sleep(0.02)
        seen = warroom.health()


# -- `python -m bot` as a supervisor runs it ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(fake: FakeSlack, tmp_path: Path, port: int) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WARROOM_", "DATABASE_URL", "PORT"))}
    return {
        **keep,
        "SLACK_BOT_TOKEN": "xoxb-socket-test",
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'warroom.db'}",
        "WARROOM_MIRROR_CHANNEL": MIRROR,
        "PORT": str(port),
    }


@contextmanager
def _stand_ins() -> Iterator[tuple[FakeSlack, SocketSlack]]:
    fake = start_fake_slack()
    stand_in = SocketSlack().start()
    fake.socket_mode_url = stand_in.issue_url
    try:
        yield fake, stand_in
    finally:
        stand_in.stop()
        fake.stop()


def _start_warroom(fake: FakeSlack, tmp_path: Path, port: int) -> subprocess.Popen[str]:
    """`python -m bot` in Socket Mode against the stand-ins, its output (stdout and stderr) on one pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        env=_environment(fake, tmp_path, port),
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _healthz(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)
    except OSError:
        return None


def _slack_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "SLACK_APP_TOKEN" in line]


def test_a_bad_app_token_at_start_exits_within_15_s_with_one_line(tmp_path: Path) -> None:
    with _stand_ins() as (fake, stand_in):
        fake.revoked.add(APP_TOKEN)
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "bot"],
            env=_environment(fake, tmp_path, _free_port()),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )

        assert time.monotonic() - started < 15
        assert result.returncode != 0
        lines = _slack_lines(result.stderr)
        assert len(lines) == 1, result.stderr
        assert "invalid_auth" in lines[0] and "connections:write" in lines[0], "what Slack said, and how to fix it"
        assert "Traceback" not in result.stderr + result.stdout
        assert stand_in.links == []


def test_the_process_serves_health_and_commands_then_exits_when_its_token_is_revoked(tmp_path: Path) -> None:
    with _stand_ins() as (fake, stand_in):
        port = _free_port()
        process = _start_warroom(fake, tmp_path, port)
        try:
            stand_in.wait_links(1, timeout=30)
            deadline = time.monotonic() + 10
            while _healthz(port) != 200:
                assert time.monotonic() < deadline, "/healthz never said 200"
                time.sleep(0.05)
            envelope = stand_in.send("slash_commands", _command_payload(fake, "declare P1 Login broken"))
            stand_in.wait_ack(envelope, timeout=10)
            fake.wait_for("chat.postMessage", where=_card, channel=WAR_ROOM, timeout=10)

            fake.revoked.add(APP_TOKEN)
            revoked_at = time.monotonic()
            stand_in.drop()
            output, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()

        policy = ReconnectPolicy()  # refusals must span refusal_span, so one invalid_auth blip does not stop it
        assert process.returncode == 1
        assert policy.refusal_span <= time.monotonic() - revoked_at < policy.refusal_span + policy.max_pause + 10
        lines = _slack_lines(output)
        assert len(lines) == 1, lines
        assert "revoked" in lines[0] and "supervisor" in lines[0]
        assert "Traceback" not in output


def test_sigterm_stops_socket_mode_cleanly(tmp_path: Path) -> None:
    with _stand_ins() as (fake, stand_in):
        process = _start_warroom(fake, tmp_path, _free_port())
        try:
            stand_in.wait_links(1, timeout=30)
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()

        assert process.returncode == 0, output
        assert "Traceback" not in output
        assert stand_in.open_links() == []


def _command_payload(fake: FakeSlack, text: str) -> dict[str, str]:
    body = Slack(app_url="unused", fake_url=fake.url, secret=SECRET).command_body(
        text, user=LEAD, channel=WAR_ROOM, response="cmd"
    )
    return dict(parse_qsl(body))
