"""The sandbox's own HTTP server: the page, its state and actions, and the Slack Web API stand-in the bot calls.

Paths:
    /                       the page
    /static/<file>          its script and style sheet (served from the package; no CDN)
    /sandbox/state          the panes for one person, long-polled until something changes
    /sandbox/do             what a person did: a command, a message, a click, a modal submitted or closed
    /api/<method>           Slack's Web API, for the bot (SLACK_API_URL points here)
    /response/<id>          response_url posts from the bot
    /upload/<file id>       file bytes (files_upload_v2's middle step)
    /files/<file id>        a shared file, to read
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from bot.render.text import escape
from bot.sandbox.door import BotDoor, Picked, state_values
from bot.sandbox.panes import Panes, pages
from bot.sandbox.web_api import WebApi

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
LONG_POLL_SECONDS = 20.0
MAX_BODY = 256 * 1024
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


class Refused(Exception):
    """A request from the page the sandbox will not act on: the reason goes back as a 400."""


@dataclass
class Site:
    """The WSGI application behind the sandbox's URL."""

    api: WebApi
    door: BotDoor
    panes: Panes
    page: Callable[[], str]  # the page's HTML
    extras: Callable[[], dict[str, Any]]  # the clock line and the guide's progress, added to each state

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "/")
        method = str(environ.get("REQUEST_METHOD") or "GET")
        try:
            status, kind, body = self._route(path, method, environ)
        except Refused as refusal:
            status, kind, body = "400 Bad Request", "application/json", _json({"ok": False, "error": str(refusal)})
        headers = [("Content-Type", kind), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")]
        start_response(status, headers)
        return [body]

    def _route(self, path: str, method: str, environ: WSGIEnvironment) -> tuple[str, str, bytes]:
        if path == "/" and method == "GET":
            return "200 OK", "text/html; charset=utf-8", self.page().encode()
        if path == "/favicon.ico":
            return "204 No Content", "image/x-icon", b""
        if path.startswith("/static/") and method == "GET":
            return _static(path.removeprefix("/static/"))
        if path == "/sandbox/state" and method == "GET":
            return _ok(self._state(parse_qs(str(environ.get("QUERY_STRING") or ""))))
        if path == "/sandbox/do" and method == "POST":
            _same_origin(environ)
            self._do(_body_json(environ))
            return _ok({"ok": True})
        if path.startswith("/api/"):
            params = _params(environ)
            token = str(environ.get("HTTP_AUTHORIZATION") or "").removeprefix("Bearer ") or str(params.get("token"))
            return _ok(self.api.answer(path.removeprefix("/api/"), params, token=token))
        if path.startswith("/response/") and method == "POST":
            found = self.door.respond(path.removeprefix("/response/"), _body_json(environ))
            return _ok({"ok": found}) if found else ("404 Not Found", "application/json", _json({"ok": False}))
        if path.startswith("/upload/") and method == "POST":
            received = self.api.receive_upload(path.removeprefix("/upload/"), _body(environ))
            return ("200 OK", "text/plain", b"OK") if received else ("404 Not Found", "text/plain", b"file_not_found")
        if path.startswith("/files/") and method == "GET":
            return self._file(path.removeprefix("/files/"))
        return "404 Not Found", "text/plain; charset=utf-8", b"Not found\n"

    def _state(self, query: dict[str, list[str]]) -> dict[str, Any]:
        me = _one(query, "as")
        if me not in self.panes.workspace.people:
            raise Refused(f"there is nobody called {me!r} in the sandbox")
        since = _one(query, "since")
        if since.lstrip("-").isdigit():
            self.panes.workspace.wait(int(since), LONG_POLL_SECONDS)
        thread = _one(query, "thread") or None
        if thread:
            with self.panes.workspace.lock:
                self.panes.workspace.read_threads.setdefault(me, set()).add(thread)
        state = self.panes.state(me=me, channel=_one(query, "c"), thread_ts=thread)
        return {**state, **self.extras()}

    def _do(self, asked: dict[str, Any]) -> None:
        space = self.panes.workspace
        me, kind, channel = str(asked.get("as") or ""), str(asked.get("kind") or ""), str(asked.get("channel") or "")
        if me not in space.people or space.people[me].is_bot:
            raise Refused(f"there is nobody called {me!r} to act as")
        conversation = space.conversations.get(channel)
        in_it = conversation is not None and me in conversation.members
        if kind in ("command", "message", "click") and not in_it:
            raise Refused("pick a conversation you are in first")
        assert conversation is not None or kind not in ("command", "message", "click")
        if kind == "command":
            self.door.command(user=me, channel=channel, text=str(asked.get("text") or ""))
        elif kind == "message":
            if conversation is None or (conversation.posting is not None and me not in conversation.posting):
                raise Refused("this channel is read-only for you")
            space.post(channel, user=me, text=escape(str(asked.get("text") or "")))  # as Slack stores typed text
        elif kind == "click":
            self.door.click(
                user=me,
                channel=channel,
                picked=_picked(asked),
                ts=_opt(asked, "ts"),
                ephemeral_id=_opt(asked, "ephemeral"),
            )
        elif kind == "modal_click":
            self.door.click_in_view(user=me, picked=_picked(asked))
        elif kind == "submit":
            fields = asked.get("fields")
            self.door.submit(user=me, values=state_values(fields if isinstance(fields, list) else []))
        elif kind == "close":
            self.door.close(user=me)
        else:
            raise Refused(f"the sandbox does not know how to {kind!r}")

    def _file(self, file_id: str) -> tuple[str, str, bytes]:
        with self.panes.workspace.lock:
            shared = self.panes.workspace.files.get(file_id)
        if shared is None or shared.get("content") is None:
            return "404 Not Found", "text/plain; charset=utf-8", b"Not found\n"
        return "200 OK", "text/plain; charset=utf-8", str(shared["content"]).encode()


def page_html(
    *,
    people: list[dict[str, str]],
    guide: Any,
    speed: float,
    now: str,
    default_channel: str,
    status_url: str | None = None,
) -> str:
    """The page itself; the panes arrive with the first state."""
    template = pages().get_template("page.html.j2")
    return template.render(
        people=people,
        guide=guide,
        speed=_speed(speed),
        now=now,
        default_channel=default_channel,
        status_url=status_url,
    )


def _speed(speed: float) -> str | int:
    return int(speed) if float(speed).is_integer() else f"{speed:g}"


def _picked(asked: dict[str, Any]) -> Picked:
    act = asked.get("act")
    if not isinstance(act, dict) or not act.get("action_id"):
        raise Refused("that element has no action")
    return Picked(act=act, value=_opt(asked, "value"), label=_opt(asked, "label"))


def _opt(asked: dict[str, Any], key: str) -> str | None:
    value = asked.get(key)
    return str(value) if value not in (None, "") else None


def _one(query: dict[str, list[str]], key: str) -> str:
    return (query.get(key) or [""])[0]


def _same_origin(environ: WSGIEnvironment) -> None:
    """Only the page itself acts: a JSON request (another site's form or script cannot send one without asking
    first), from this host, so no web page the person visits can act in their sandbox."""
    if "application/json" not in str(environ.get("CONTENT_TYPE") or ""):
        raise Refused("send the action as JSON, as the page does")
    origin = str(environ.get("HTTP_ORIGIN") or "")
    host = str(environ.get("HTTP_HOST") or "")
    if origin and origin.split("://", 1)[-1] != host:
        raise Refused("actions come only from the sandbox's own page")
    if host.rsplit(":", 1)[0] not in ("127.0.0.1", "localhost", "[::1]"):
        raise Refused("the sandbox answers on 127.0.0.1 only")


def _body(environ: WSGIEnvironment) -> bytes:
    length = str(environ.get("CONTENT_LENGTH") or "0")
    if not length.isdigit() or int(length) > MAX_BODY:
        raise Refused("the request body is missing or too large")
    return bytes(environ["wsgi.input"].read(int(length)))


def _body_json(environ: WSGIEnvironment) -> dict[str, Any]:
    try:
        value = json.loads(_body(environ) or b"{}")
    except ValueError as error:
        raise Refused("the request body is not JSON") from error
    if not isinstance(value, dict):
        raise Refused("the request body is not a JSON object")
    return value


def _params(environ: WSGIEnvironment) -> dict[str, Any]:
    """A Web API call's arguments: from the query, a form, or a JSON body (slack_sdk sends all three)."""
    params: dict[str, Any] = {k: v[0] for k, v in parse_qs(str(environ.get("QUERY_STRING") or "")).items()}
    if str(environ.get("REQUEST_METHOD")) == "POST":
        raw = _body(environ)
        if "json" in str(environ.get("CONTENT_TYPE") or ""):
            loaded = json.loads(raw or b"{}")
            params.update(loaded if isinstance(loaded, dict) else {})
        else:
            params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
    return params


def _static(name: str) -> tuple[str, str, bytes]:
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        return "404 Not Found", "text/plain; charset=utf-8", b"Not found\n"
    return "200 OK", _TYPES.get(path.suffix, "application/octet-stream"), path.read_bytes()


def _ok(value: dict[str, Any]) -> tuple[str, str, bytes]:
    return "200 OK", "application/json", _json(value)


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()
