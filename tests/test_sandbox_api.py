"""`warroom sandbox`'s safety: what it refuses to start on, what its page door refuses, how its Web API stand-in
answers as Slack does, the bot's signature check, and the command as a newcomer runs it."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.runner import Options, Sandbox, SandboxError, running
from bot.sandbox.workspace import BOT, ENGINEER, LEAD, SUPPORT_LEAD, WAR_ROOM, Conversation
from tests.support.sandbox_page import do, post_json, sandbox

WARROOM = Path(sys.executable).parent / "warroom"


def test_a_bot_token_in_the_environment_stops_it_before_anything_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-a-real-one")
    with pytest.raises(SandboxError, match="SLACK_BOT_TOKEN is set"), running(Options(port=0, db=tmp_path / "s.db")):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_taken_port_names_the_port_and_the_option(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SandboxError) as refused, running(Options(port=port, db=tmp_path / "s.db")):
            pass
    assert (
        str(refused.value)
        == f"cannot listen on 127.0.0.1:{port}: another program uses port {port}: pick another with --port"
    )


def _api(box: Sandbox, method: str, token: str | None = None, **params: Any) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {token if token is not None else box.door.api.token}"}
    status, answer = post_json(f"{box.url}api/{method}", params, headers=auth)
    assert status == 200
    assert isinstance(answer, dict)
    return answer


def test_the_page_door_refuses_what_it_cannot_do_and_changes_nothing(tmp_path: Path) -> None:
    with sandbox(tmp_path) as box:
        host = box.url.removeprefix("http://").split(":")[0]
        assert host == "127.0.0.1" == Options().host  # loopback only, whatever the port
        before = (box.workspace.version, [len(c.messages) for c in box.workspace.conversations.values()])
        refusals = [
            (do(box, "UNOBODY01", "message", WAR_ROOM, text="hi"), "there is nobody called 'UNOBODY01' to act as"),
            (do(box, BOT, "message", WAR_ROOM, text="hi"), f"there is nobody called {BOT!r} to act as"),
            (do(box, LEAD, "dance", WAR_ROOM), "the sandbox does not know how to 'dance'"),
            (do(box, SUPPORT_LEAD, "message", WAR_ROOM, text="hi"), "pick a conversation you are in first"),
            (do(box, SUPPORT_LEAD, "command", WAR_ROOM, text="declare P1 x"), "pick a conversation you are in first"),
        ]
        for (status, answer), error in refusals:
            assert (status, answer) == (400, {"ok": False, "error": error})
        status, answer = post_json(box.url + "sandbox/do", b"{not json")
        assert status == 400 and answer["ok"] is False and answer["error"]
        action = {"as": LEAD, "kind": "command", "channel": WAR_ROOM, "text": "declare P1 From another site"}
        another_site = post_json(box.url + "sandbox/do", action, headers={"Origin": "https://evil.example"})
        assert another_site == (400, {"ok": False, "error": "actions come only from the sandbox's own page"})
        as_a_form = post_json(box.url + "sandbox/do", action, headers={"Content-Type": "text/plain"})
        assert as_a_form == (400, {"ok": False, "error": "send the action as JSON, as the page does"})
        assert (box.workspace.version, [len(c.messages) for c in box.workspace.conversations.values()]) == before

        typed = "<!channel> <@ULEAD0001> & friends"
        assert do(box, ENGINEER, "message", WAR_ROOM, text=typed) == (200, {"ok": True})
        stored = box.workspace.conversations[WAR_ROOM].messages[-1]
        assert stored["text"] == "&lt;!channel&gt; &lt;@ULEAD0001&gt; &amp; friends"
        assert stored["user"] == ENGINEER


def test_the_web_api_answers_as_slack_does(tmp_path: Path) -> None:
    with sandbox(tmp_path) as box:
        assert _api(box, "chat.postMessage", token="xoxb-wrong", channel=WAR_ROOM, text="hi") == {
            "ok": False,
            "error": "invalid_auth",
        }
        box.workspace.add_channel(Conversation("CPRIVATE1", "elsewhere", "", {LEAD}))
        assert _api(box, "chat.postMessage", channel="CPRIVATE1", text="hi")["error"] == "not_in_channel"
        assert _api(box, "chat.postMessage", channel="CNOWHERE1", text="hi")["error"] == "channel_not_found"

        parent = _api(box, "chat.postMessage", channel=WAR_ROOM, text="parent")
        reply = _api(box, "chat.postMessage", channel=WAR_ROOM, text="reply", thread_ts=parent["ts"])
        assert reply["ok"] is True and reply["message"]["thread_ts"] == parent["ts"]
        history = _api(box, "conversations.history", channel=WAR_ROOM)
        assert [m["text"] for m in history["messages"]] == ["parent"]
        replies = _api(box, "conversations.replies", channel=WAR_ROOM, ts=parent["ts"])
        assert [m["text"] for m in replies["messages"]] == ["parent", "reply"]

        view = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": []}
        trigger = box.door.api.issue_trigger(LEAD)
        opened = _api(box, "views.open", trigger_id=trigger, view=view)
        assert opened["ok"] is True and box.workspace.top_view(LEAD) is not None
        assert _api(box, "views.open", trigger_id=trigger, view=view) == {"ok": False, "error": "invalid_trigger_id"}
        stale = box.door.api.issue_trigger(LEAD)
        time.sleep(3.1)  # Slack's trigger_id lives 3 s of real time; there is no clock to move for it
        assert _api(box, "views.open", trigger_id=stale, view=view) == {"ok": False, "error": "expired_trigger_id"}


def test_the_bots_endpoint_refuses_a_wrong_signature(tmp_path: Path) -> None:
    with sandbox(tmp_path) as box:
        body = b"command=%2Fincident&text=declare+P1+x&user_id=ULEAD0001&channel_id=CWARROOM1"
        request = urllib.request.Request(
            box.door.events_url,
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(int(time.time())),
                "X-Slack-Signature": "v0=" + "0" * 64,
            },
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        refused.value.close()
        assert refused.value.code == 401
        assert box.workspace.conversations[WAR_ROOM].messages == []


def _clean_env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WARROOM_", "DATABASE_URL"))}
    return {**keep, **extra}


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return lines


def test_the_command_prints_its_url_serves_the_page_and_stops_on_sigterm(tmp_path: Path) -> None:
    command = [str(WARROOM), "sandbox", "--port", "0", "--db", str(tmp_path / "s.db")]
    process = subprocess.Popen(
        command, env=_clean_env(), cwd=tmp_path, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        lines, deadline, url = _lines(process), time.monotonic() + 10, ""
        while not url.startswith("http://"):
            url = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        assert url.removeprefix("http://127.0.0.1:").removesuffix("/").isdigit()
        with urllib.request.urlopen(url, timeout=5) as page:
            assert page.status == 200 and "Warroom" in page.read().decode()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        ([], {"SLACK_BOT_TOKEN": "xoxb-real"}, "warroom sandbox: SLACK_BOT_TOKEN is set in this shell"),
        (
            ["--speed", "0"],
            {},
            "error: argument --speed: expected a speed from 0.1 to 1000 (30 runs a 15-minute cadence in 30 s), not '0'",
        ),
        (
            ["--port", "abc"],
            {},
            "error: argument --port: expected a port number from 1 to 65535 (or 0 for any free one), not 'abc'",
        ),
    ],
)
def test_the_command_refuses_a_real_token_and_bad_options(
    tmp_path: Path, args: list[str], env: dict[str, str], said: str
) -> None:
    command = [str(WARROOM), "sandbox", "--db", str(tmp_path / "s.db"), *args]
    done = subprocess.run(command, env=_clean_env(**env), cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert said in done.stderr
    assert not (tmp_path / "s.db").exists()
