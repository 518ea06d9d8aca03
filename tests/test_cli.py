"""`python -m bot` as a user starts it: HTTP mode on gunicorn, or Socket Mode when SLACK_APP_TOKEN is set."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from tests.conftest import fresh_postgres
from tests.support.harness import MIRROR, SECRET, start_fake_slack
from tests.support.in_process import run_main
from tests.support.processes import environment, free_port, wait_healthy
from tests.support.slack_requests import Slack

BOLT_WARNING = "`token` will be unused"


@dataclass
class Started:
    """A running `python -m bot`; `output` holds everything it printed once it has stopped."""

    process: subprocess.Popen[str]
    output: str = ""


@contextmanager
def _started(env: dict[str, str], cwd: Path) -> Iterator[Started]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"], env=env, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    started = Started(process)
    try:
        yield started
    finally:
        process.terminate()
        try:
            started.output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            started.output, _ = process.communicate()


def _ready_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("warroom: ready")]


def test_http_mode_serves_signed_slack_requests_on_port(tmp_path: Path) -> None:
    fake = start_fake_slack()
    port = free_port()
    try:
        env = environment(fake, tmp_path, SLACK_SIGNING_SECRET=SECRET, PORT=str(port))
        with _started(env, tmp_path) as started:
            wait_healthy(port, started.process)
            slack = Slack(app_url=f"http://127.0.0.1:{port}/slack/events", fake_url=fake.url, secret=SECRET)

            assert slack.command("declare P1 Checkout down", user="ULEAD0001", channel="CWARROOM1").status == 200
            assert slack.post("payload=%7B%7D", signature="v0=forged").status == 401

            fake.wait_for("chat.postMessage", channel="CWARROOM1", timeout=10)
            fake.wait_for("chat.postMessage", channel=MIRROR, timeout=10)
        assert (tmp_path / "warroom.db").exists(), "the database was created and migrated at start"
    finally:
        fake.stop()
    database = f"sqlite:///{tmp_path / 'warroom.db'}"
    assert _ready_lines(started.output) == [
        f"warroom: ready in Acme Corp, HTTP on port {port}, mirror channel #support-mirror (CMIRROR01), "
        f"database {database}"
    ], "one ready line per start, from the master, not one per gunicorn worker"
    assert started.output.count("Booting worker") == 2, started.output
    assert BOLT_WARNING not in started.output


def test_the_ready_line_never_shows_the_database_password(tmp_path: Path) -> None:
    url = make_url(fresh_postgres())
    if url.password is None:
        url = url.set(password="s3cret-in-url")  # the test server trusts loopback, so any password connects
    fake = start_fake_slack()
    port = free_port()
    try:
        env = environment(
            fake,
            tmp_path,
            SLACK_SIGNING_SECRET=SECRET,
            PORT=str(port),
            DATABASE_URL=url.render_as_string(hide_password=False),
        )
        with _started(env, tmp_path) as started:
            wait_healthy(port, started.process)
    finally:
        fake.stop()
    [ready] = _ready_lines(started.output)
    assert ready.endswith(f"database {url.render_as_string(hide_password=True)}")
    assert ":***@" in ready
    assert str(url.password) not in started.output


def test_socket_mode_is_used_when_an_app_token_is_set(tmp_path: Path) -> None:
    fake = start_fake_slack()
    try:
        port = free_port()
        env = environment(fake, tmp_path, SLACK_APP_TOKEN="xapp-1-test", PORT=str(port))
        with _started(env, tmp_path) as started:
            fake.wait_for("apps.connections.open", count=2, timeout=20)  # the start-up check, then the connection
    finally:
        fake.stop()
    assert _ready_lines(started.output) == [
        f"warroom: ready in Acme Corp, Socket Mode (/healthz on port {port}), "
        f"mirror channel #support-mirror (CMIRROR01), database sqlite:///{tmp_path / 'warroom.db'}"
    ]
    assert BOLT_WARNING not in started.output


def test_a_mirror_warroom_is_not_in_is_told_at_start_but_does_not_stop_it(tmp_path: Path) -> None:
    fake = start_fake_slack()
    fake.remove_bot(MIRROR)
    port = free_port()
    try:
        env = environment(fake, tmp_path, SLACK_SIGNING_SECRET=SECRET, PORT=str(port))
        with _started(env, tmp_path) as started:
            wait_healthy(port, started.process)
    finally:
        fake.stop()
    lines = started.output.splitlines()
    problem = "✗ mirror channel: Warroom is not a member of #support-mirror (CMIRROR01). Fix: in #support-mirror, type"
    [told] = [index for index, line in enumerate(lines) if line.startswith(problem)]
    [ready] = [index for index, line in enumerate(lines) if line.startswith("warroom: ready")]
    assert told < ready, "approved updates queue until Warroom is invited, so it starts and says what to fix"


def test_bad_settings_stop_the_app_with_one_line_each(tmp_path: Path) -> None:
    fake = start_fake_slack()
    try:
        env = environment(fake, tmp_path, SLACK_BOT_TOKEN="nope", WARROOM_MIRROR_CHANNEL="#mirror")
        result = run_main([], env=env, cwd=tmp_path)  # the answer is the subject: in this process
        assert result.returncode == 2
        assert "SLACK_BOT_TOKEN: expected a bot token starting with xoxb-" in result.stderr
        assert "WARROOM_MIRROR_CHANNEL: expected a channel ID" in result.stderr
        assert "Traceback" not in result.stderr
        assert ".env.example" not in result.stderr, "the settings are there, only wrong: no set-up lecture"
    finally:
        fake.stop()


def test_a_token_slack_refuses_stops_the_app_with_one_line(tmp_path: Path) -> None:
    fake = start_fake_slack()
    fake.revoked.add("xoxb-cli-test")
    try:
        env = environment(fake, tmp_path, SLACK_SIGNING_SECRET=SECRET)
        result = run_main([], env=env, cwd=tmp_path)  # the answer is the subject: in this process
    finally:
        fake.stop()
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("✗ bot token: Slack refused SLACK_BOT_TOKEN (invalid_auth). Fix: copy the Bot User OAuth")
    assert result.stdout == ""


def test_a_refused_app_token_stops_socket_mode_with_one_line(tmp_path: Path) -> None:
    fake = start_fake_slack()
    fake.revoked.add("xapp-1-revoked")
    try:
        env = environment(fake, tmp_path, SLACK_APP_TOKEN="xapp-1-revoked")
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        took = time.monotonic() - started
    finally:
        fake.stop()
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("✗ app token: Slack refused SLACK_APP_TOKEN for Socket Mode (invalid_auth). Fix: ")
    assert took < 15


def test_starting_without_env_file_says_how_to_make_one(tmp_path: Path) -> None:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WARROOM_", "DATABASE_URL", "PORT"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=keep, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN: missing" in result.stderr
    assert (
        f"warroom: there is no .env in {tmp_path}, and SLACK_BOT_TOKEN and WARROOM_MIRROR_CHANNEL are not set in "
        "the environment.\n"
        "  Start from the example in Warroom's source: cp .env.example .env, fill it in, then run warroom check.\n"
        '  Step by step: "Set it up in Slack in 5 minutes" (README.md#set-it-up-in-slack-in-5-minutes)\n'
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir()), "nothing is created before the settings are valid"
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "\n## Set it up in Slack in 5 minutes\n" in readme, "the section the message points to"
