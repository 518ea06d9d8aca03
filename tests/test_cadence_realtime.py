"""The cadence in real time, with a playbook in seconds: in one process, and in two processes on one database.

These are the tests of the real scheduler (APScheduler's Ticker and the delivery worker's loop in their threads);
every other cadence test drives the ticks itself. The bounds are generous: a loaded machine must not fail them.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from sqlmodel import Session, col, select

from bot.playbook import load_playbook
from bot.store.db import make_engine
from bot.store.models import TimelineEvent
from tests.support.fake_slack import Call, FakeSlack
from tests.support.harness import DANA, LEAD, SECRET, WAR_ROOM, WallClock, running, start_fake_slack
from tests.support.processes import environment, free_port, kill_group, start, wait_healthy
from tests.support.slack_requests import Slack

SECONDS_PLAYBOOK = """
acknowledge_within: 6s
remind_before: 3s
escalate_after: 4s
severities:
  P1: {label: Full outage, cadence: 9s, tone: formal, postmortem: true}
"""
# When each reminder is due, in seconds after the declaration.
DUE = {"heads-up": 3.0, "overdue": 6.0, "escalation": 10.0}
LATE_AT_MOST = 3.0  # the scheduler beats every 0.5 s and delivery is woken at once; a busy machine adds more


def _reminders(fake: FakeSlack) -> dict[str, list[Call]]:
    return {
        "heads-up": fake.received("chat.postMessage", channel=DANA, where=lambda c: "is due by" in c.text),
        "overdue": fake.received("chat.postMessage", channel=DANA, where=lambda c: "Update overdue" in c.text),
        "escalation": fake.received(  # in the card's thread, mentioning the lead
            "chat.postMessage", channel=WAR_ROOM, where=lambda c: "min overdue" in c.text or "s overdue" in c.text
        ),
    }


def _reminders_sent(database_url: str) -> list[str]:
    """The reminders the database recorded as sent, in order: a second sender would have recorded its own."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            query = select(TimelineEvent).where(TimelineEvent.kind == "reminder_sent").order_by(col(TimelineEvent.id))
            return [str(event.data["reminder"]) for event in session.exec(query)]
    finally:
        engine.dispose()


def _wait_for_all(fake: FakeSlack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(_reminders(fake).values()):
        assert time.monotonic() < deadline, f"reminders missing: {[k for k, v in _reminders(fake).items() if not v]}"
        time.sleep(0.05)


def test_reminders_fire_on_time_in_real_time(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "playbook.yml"
    path.write_text(SECONDS_PLAYBOOK)
    fake = start_fake_slack()
    try:
        with running(database_url, fake=fake, clock=WallClock(), playbook=load_playbook(path)) as warroom:
            declared = time.monotonic()
            warroom.command("declare P1 Checkout down")
            warroom.wait_until(warroom.incidents)
            warroom.command(f"communicator <@{DANA}|dana>")
            _wait_for_all(fake, timeout=30)
            time.sleep(1.5)  # the real scheduler keeps beating (three times) past the last reminder
            warroom.drain()  # and whatever it owed by now has reached Slack
        assert sorted(_reminders_sent(database_url)) == ["escalation", "heads_up", "overdue"]
        for kind, calls in _reminders(fake).items():
            assert len(calls) == 1, f"{kind} sent {len(calls)} times"
            late = calls[0].at - declared - DUE[kind]
            assert -0.2 < late < LATE_AT_MOST, f"{kind} arrived {late:.2f} s after it was due"
    finally:
        fake.stop()


def test_two_processes_on_one_database_send_each_reminder_once(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "playbook.yml"
    path.write_text(SECONDS_PLAYBOOK)
    fake = start_fake_slack()
    ports = [free_port(), free_port()]
    processes: list[subprocess.Popen[str]] = []
    try:
        for port in ports:
            env = environment(
                fake,
                tmp_path,
                SLACK_SIGNING_SECRET=SECRET,
                PORT=str(port),
                DATABASE_URL=database_url,
                WARROOM_PLAYBOOK=str(path),
            )
            processes.append(start(env, tmp_path))
        for port, process in zip(ports, processes, strict=True):
            wait_healthy(port, process)
        first, second = (
            Slack(app_url=f"http://127.0.0.1:{port}/slack/events", fake_url=fake.url, secret=SECRET) for port in ports
        )

        assert first.command("declare P1 Checkout down", user=LEAD, channel=WAR_ROOM).status == 200
        fake.wait_for("chat.postMessage", channel=WAR_ROOM, timeout=5)
        assert second.command(f"communicator <@{DANA}|dana>", user=LEAD, channel=WAR_ROOM).status == 200

        _wait_for_all(fake, timeout=40)
        time.sleep(2)  # four schedulers (two processes, two workers each) keep beating past the last reminder
        assert sorted(_reminders_sent(database_url)) == ["escalation", "heads_up", "overdue"], "each claimed once"
        for kind, calls in _reminders(fake).items():
            assert len(calls) == 1, f"{kind} sent {len(calls)} times by two processes"
    finally:
        for process in processes:
            if process.poll() is None:
                kill_group(process)
        fake.stop()
