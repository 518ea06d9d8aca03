"""Driving `warroom sandbox` through its HTTP door, as its page's script does: /sandbox/do and /sandbox/state."""

from __future__ import annotations

import html
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from bot.sandbox.runner import Options, Sandbox, running

T = TypeVar("T")
DEADLINE_SECONDS = 10.0


@contextmanager
def sandbox(tmp_path: Path, *, speed: float = 1.0) -> Iterator[Sandbox]:
    """A sandbox on a free port with its database in `tmp_path`."""
    with running(Options(port=0, speed=speed, db=tmp_path / "sandbox.db")) as running_sandbox:
        yield running_sandbox


def post_json(url: str, body: bytes | dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST `body` (JSON) to `url`; the HTTP status and the JSON answer, refusals included."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"null")


def do(box: Sandbox, who: str, kind: str, channel: str = "", **fields: Any) -> tuple[int, Any]:
    """What the page sends when `who` does something: {as, kind, channel, ...}."""
    return post_json(box.url + "sandbox/do", {"as": who, "kind": kind, "channel": channel, **fields})


def state(box: Sandbox, who: str, channel: str, thread: str = "") -> dict[str, Any]:
    """The panes as `who` sees them (no `since`: answered at once)."""
    query = f"sandbox/state?as={who}&c={channel}&thread={thread}"
    with urllib.request.urlopen(box.url + query, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def until(check: Callable[[], T | None], what: str, *, seconds: float = DEADLINE_SECONDS) -> T:
    """Poll `check` until it gives something (the background worker delivers in its own time)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds:g} s"
        time.sleep(0.05)


def element(pane: str, action_id: str) -> tuple[dict[str, Any], str]:
    """The `data-act` of the element with `action_id` in rendered HTML, and its message's ts or ephemeral id."""
    for message in re.findall(r'<li class="msg[^"]*".*?</li>', pane, re.S):
        for act_text in re.findall(r'data-act="([^"]*)"', message):
            act: dict[str, Any] = json.loads(html.unescape(act_text))
            if act.get("action_id") == action_id:
                where = re.search(r'data-(?:ts|ephemeral)="([^"]+)"', message)
                assert where is not None
                return act, where.group(1)
    raise AssertionError(f"no element {action_id!r} in the pane")


def has(pane: str, action_id: str) -> bool:
    """Whether the rendered pane holds an element with `action_id`."""
    return f"&#34;action_id&#34;: &#34;{action_id}&#34;" in pane


def showing(box: Sandbox, who: str, channel: str, needle: str, *, pane: str = "conversation", thread: str = "") -> str:
    """The pane `who` sees once it shows `needle` (delivery runs in the background)."""

    def shown() -> str | None:
        text = str(state(box, who, channel, thread)[pane])
        return text if needle in text else None

    return until(shown, f"{needle!r} in {who}'s {pane} of {channel}")
