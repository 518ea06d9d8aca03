"""`python -m bot` as a user starts it: HTTP mode on gunicorn, or Socket Mode when SLACK_APP_TOKEN is set."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.fake_slack import FakeSlack
from tests.support.harness import MIRROR, SECRET, start_fake_slack
from tests.support.slack_requests import Slack


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(fake: FakeSlack, tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WARROOM_", "DATABASE_URL", "PORT"))}
    return {
        **keep,
        "SLACK_BOT_TOKEN": "xoxb-cli-test",
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'warroom.db'}",
        "WARROOM_MIRROR_CHANNEL": MIRROR,
        **extra,
    }


@contextmanager
def _started(env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"], env=env, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_healthy(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not come up within 30 s")


def test_http_mode_serves_signed_slack_requests_on_port(tmp_path: Path) -> None:
    fake = start_fake_slack()
    port = _free_port()
    try:
        env = _environment(fake, tmp_path, SLACK_SIGNING_SECRET=SECRET, PORT=str(port))
        with _started(env, tmp_path) as process:
            _wait_healthy(port, process)
            slack = Slack(app_url=f"http://127.0.0.1:{port}/slack/events", fake_url=fake.url, secret=SECRET)

            assert slack.command("declare P1 Checkout down", user="ULEAD0001", channel="CWARROOM1").status == 200
            assert slack.post("payload=%7B%7D", signature="v0=forged").status == 401

            fake.wait_for("chat.postMessage", channel="CWARROOM1", timeout=10)
            fake.wait_for("chat.postMessage", channel=MIRROR, timeout=10)
        assert (tmp_path / "warroom.db").exists(), "the database was created and migrated at start"
    finally:
        fake.stop()


def test_socket_mode_is_used_when_an_app_token_is_set(tmp_path: Path) -> None:
    fake = start_fake_slack()
    try:
        env = _environment(fake, tmp_path, SLACK_APP_TOKEN="xapp-1-test")
        with _started(env, tmp_path):
            fake.wait_for("apps.connections.open", timeout=20)
    finally:
        fake.stop()


def test_bad_settings_stop_the_app_with_one_line_each(tmp_path: Path) -> None:
    fake = start_fake_slack()
    try:
        env = _environment(fake, tmp_path, SLACK_BOT_TOKEN="nope", WARROOM_MIRROR_CHANNEL="#mirror")
        result = subprocess.run(
            [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 2
        assert "SLACK_BOT_TOKEN: expected a bot token starting with xoxb-" in result.stderr
        assert "WARROOM_MIRROR_CHANNEL: expected a channel ID" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        fake.stop()


def test_a_token_slack_refuses_stops_the_app_with_one_line(tmp_path: Path) -> None:
    from tests.support.fake_slack import Fault

    fake = start_fake_slack()
    fake.fail("auth.test", Fault(error="invalid_auth", times=10))
    try:
        env = _environment(fake, tmp_path, SLACK_SIGNING_SECRET=SECRET)
        result = subprocess.run(
            [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 2
        assert "SLACK_BOT_TOKEN: Slack refused it (invalid_auth)" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        fake.stop()
