"""A fake Slack Web API on loopback that records every call, like bolt-python's and slack-sdk's mock servers."""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml

from tests.support.fake_conversations import BOT_USER, Conversations

WORKSPACE = "Acme Corp"
WORKSPACE_URL = "https://acme.slack.com/"
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def installed_scopes() -> set[str]:
    """The bot scopes of an app installed from manifest.yml, as Slack grants them."""
    return set(_manifest_scopes())


@functools.cache
def _manifest_scopes() -> frozenset[str]:  # read once per test process: every test starts a fake Slack
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


POLL_SECONDS = 0.02  # how often a test server looks for shutdown: the default 0.5 s made every teardown wait


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # Slack does not reset connections under a burst; the default backlog of 5 would


@dataclass
class Call:
    """One request the fake received: a Web API method or a response_url post."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def channel(self) -> str | None:
        return self.params.get("channel")

    @property
    def text(self) -> str:
        return str(self.params.get("text") or "")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.params.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else list(blocks)

    @property
    def everything(self) -> str:
        """Text and blocks together, for asserting on what a person would see."""
        return self.text + "\n" + json.dumps(self.blocks, ensure_ascii=False)


@dataclass
class Fault:
    """A scripted answer for the next `times` calls of a method."""

    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int = 1
    channel: str | None = None  # only calls to this channel
    acts_late: bool = False  # a slow success: Slack acts only after the delay, not as soon as the call arrives

    def __post_init__(self) -> None:
        if self.status == 429 and not any(name.lower() == "retry-after" for name in self.headers):
            self.headers = {**self.headers, "Retry-After": "1"}  # Slack always says how long to wait
        if self.status == 429 and self.error is None:
            self.error = "ratelimited"  # what Slack's body says with a 429


class FakeSlack(Conversations):
    """Records calls; answers like Slack; can be told to fail, throttle or stall."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.unthreaded: list[tuple[str, str]] = []
        self.channels: dict[str, dict[str, Any]] = {}
        self.members: set[str] = set()  # the channels the bot is in
        self.scopes: set[str] = installed_scopes()  # the bot token's scopes; a test may take some away
        self.revoked: set[str] = set()  # tokens Slack answers invalid_auth to (revoked, mistyped, another app's)
        self.socket_mode_url: Callable[[], str] | None = None  # issues apps.connections.open URLs (socket_slack.py)
        self.files: dict[str, dict[str, Any]] = {}  # uploads reserved by files.getUploadURLExternal, by file ID
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Condition()
        self._ts = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep the test output quiet
                pass

            def do_GET(self) -> None:
                fake._handle(self, parse_qs(urlparse(self.path).query))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                if self.path.startswith("/upload/"):  # files_upload_v2 sends the file's bytes here
                    file_id = self.path.removeprefix("/upload/")
                    fake._handle(
                        self, {"content": data.decode(errors="replace"), "length": len(data), "file_id": file_id}
                    )
                    return
                raw = data.decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    params: dict[str, Any] = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                fake._handle(self, params)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/response/{name}"

    # -- scripting ----------------------------------------------------------------------------------------

    def add_user(self, user_id: str, name: str, *, deleted: bool = False, is_bot: bool = False) -> None:
        self.users[user_id] = {
            "id": user_id,
            "name": name.lower(),
            "real_name": name,
            "deleted": deleted,
            "is_bot": is_bot,
            "profile": {"display_name": name, "real_name": name},
        }

    def fail(self, method: str, fault: Fault) -> None:
        """Answer the next `fault.times` calls of `method` with `fault`."""
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def heal(self) -> None:
        """Stop every scripted fault."""
        with self._lock:
            self._faults.clear()

    # -- reading ------------------------------------------------------------------------------------------

    def received(self, method: str, where: Callable[[Call], bool] = lambda _c: True, **params: Any) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method and where(c) and all(c.params.get(k) == v for k, v in params.items())
            ]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 15.0,
        where: Callable[[Call], bool] = lambda _c: True,
        **params: Any,
    ) -> list[Call]:
        """Wait until `count` matching calls have arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [
                    c
                    for c in self.calls
                    if c.method == method and where(c) and all(c.params.get(k) == v for k, v in params.items())
                ]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [f"{c.method} {c.params.get('channel', '')}" for c in self.calls]
                    raise AssertionError(f"expected {count} x {method} {params}; got {len(found)}. Calls: {seen}")
                self._lock.wait(remaining)

    def responses(self, name: str) -> list[Call]:
        return self.received(f"response:{name}")

    def wait_response(self, name: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        return self.wait_for(f"response:{name}", count, timeout)

    def quiet(self, seconds: float = 0.3) -> None:
        """Wait until no call has arrived for `seconds` (so that 'nothing else happened' can be asserted)."""
        while True:
            with self._lock:
                last = self.calls[-1].at if self.calls else 0.0
            idle = time.monotonic() - last
            if idle >= seconds:
                return
            time.sleep(seconds - idle)

    # -- answering ----------------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, params: dict[str, Any]) -> None:
        path = urlparse(request.path).path
        if path.startswith("/response/"):
            method = "response:" + path.removeprefix("/response/")
        elif path.startswith("/upload/"):
            method = "upload"
        else:
            method = path.removeprefix("/api/")
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ") or str(params.get("token") or "")
        with self._lock:
            self.calls.append(Call(method=method, params=params))
            self._lock.notify_all()
            faults = self._faults.get(method) or []
            fault = next((f for f in faults if f.channel in (None, params.get("channel"))), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    faults.remove(fault)
        if fault is not None and (fault.status != 200 or fault.error):
            time.sleep(fault.delay)
            body = {"ok": False, "error": fault.error or "internal_error"}
            self._send(request, fault.status, body, fault.headers)
            return
        refused = None if method.startswith("response:") or method == "upload" else self._refuse(method, token, params)
        if fault is not None and fault.acts_late:
            time.sleep(fault.delay)  # after the app may have given up, and looked in the history, Slack acts
        answer = refused or self._answer(method, params)  # Slack acts first; a slow answer may never reach a dying app
        if fault is not None and not fault.acts_late:
            time.sleep(fault.delay)
        with contextlib.suppress(OSError):  # the app hung up (killed, or timed out) after Slack had acted
            self._send(request, 200, answer, self._scope_header(token))

    def _refuse(self, method: str, token: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """Slack's answer to a token it does not accept for `method`, or None when the call may proceed."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token in self.revoked or not token.startswith(("xoxb-", "xapp-")):
            return {"ok": False, "error": "invalid_auth"}
        if (method == "apps.connections.open") != token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        needed = self._needed_scope(method, params)
        if needed is not None and token.startswith("xoxb-") and needed not in self.scopes:
            provided = ",".join(sorted(self.scopes))
            return {"ok": False, "error": "missing_scope", "needed": needed, "provided": provided}
        return None

    def _needed_scope(self, method: str, params: dict[str, Any]) -> str | None:
        if method == "conversations.open":
            return "im:write"
        if method in ("files.getUploadURLExternal", "files.completeUploadExternal"):
            return "files:write"
        if method not in ("conversations.info", "conversations.history", "conversations.replies"):
            return None
        channel = str(params.get("channel") or "")
        with self._lock:
            info = self.channels.get(channel)
        private = info is not None and info["is_private"]
        group_dm = info is not None and info.get("is_mpim")
        kind = "im" if channel[:1] == "D" else "mpim" if group_dm else "groups" if private else "channels"
        return f"{kind}:{'read' if method == 'conversations.info' else 'history'}"

    def _scope_header(self, token: str) -> dict[str, str]:
        """Slack names a token's scopes in the x-oauth-scopes header of every Web API answer."""
        if token.startswith("xoxb-"):
            return {"x-oauth-scopes": ",".join(sorted(self.scopes))}
        if token.startswith("xapp-"):
            return {"x-oauth-scopes": "connections:write"}
        return {}

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method.startswith("response:"):
            return {"ok": True}
        if method == "upload":
            return self._upload(params)
        if method == "files.getUploadURLExternal":
            return self._reserve(params)
        if method == "files.completeUploadExternal":
            return self._complete(params)
        if method == "apps.connections.open":  # a one-use WebSocket URL; without a stand-in, one that refuses
            return {"ok": True, "url": self.socket_mode_url() if self.socket_mode_url else "ws://127.0.0.1:9/link/"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": WORKSPACE_URL,
                "team": WORKSPACE,
                "user": "warroom",
                "team_id": "T0TEAM",
                "user_id": BOT_USER,
                "bot_id": "BWARROOM",
                "is_enterprise_install": False,
            }
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "chat.postMessage":
            return self._post(params)
        if method == "conversations.open":
            users = str(params.get("users") or "").split(",")
            if len(users) != 1 or users[0] not in self.users:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "channel": {"id": self.dm_channel(users[0])}}
        if method == "conversations.info":
            return self._info(str(params.get("channel") or ""))
        if method == "chat.getPermalink":
            with self._lock:  # Slack links only to a message that exists
                if self._message(str(params.get("channel") or ""), str(params.get("message_ts") or "")) is None:
                    return {"ok": False, "error": "message_not_found"}
            ts = str(params.get("message_ts", "")).replace(".", "")
            return {
                "ok": True,
                "channel": params.get("channel"),
                "permalink": f"https://acme.slack.com/archives/{params.get('channel')}/p{ts}",
            }
        if method == "conversations.history":
            return self._history(params)
        if method == "conversations.replies":
            return self._replies(params)
        if method == "chat.postEphemeral":
            return self._ephemeral(params)
        if method == "chat.update":
            return self._update(params)
        if method == "views.open":
            return {"ok": True, "view": {"id": "VFAKE"}}
        return {"ok": True}

    # -- files_upload_v2's three steps, as strict as Slack's ------------------------------------------------------

    def _reserve(self, params: dict[str, Any]) -> dict[str, Any]:
        """files.getUploadURLExternal: a filename and the length in bytes are required."""
        length = str(params.get("length") or "")
        if not params.get("filename") or not length.isdigit() or int(length) < 1:
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            self._ts += 1
            file_id = f"F{self._ts:08d}"
            self.files[file_id] = {"id": file_id, "name": params["filename"], "length": int(length), "content": None}
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _upload(self, params: dict[str, Any]) -> dict[str, Any]:
        """The upload URL: takes the bytes of a reserved file (Slack answers "OK - <length>")."""
        with self._lock:
            reserved = self.files.get(str(params.get("file_id")))
            if reserved is None:
                return {"ok": False, "error": "file_not_found"}
            reserved["content"] = params["content"]
            reserved["uploaded_length"] = params["length"]
        return {"ok": True}

    def _complete(self, params: dict[str, Any]) -> dict[str, Any]:
        """files.completeUploadExternal: only files reserved, uploaded in full and not yet completed; shared as a
        message (the initial comment, with the files) where the app may post, in the thread of `thread_ts` if given.
        """
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        if not files:
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            found: list[dict[str, Any]] = []
            for asked in files:
                reserved = self.files.get(str(asked.get("id")))
                if reserved is None or reserved.get("completed") or reserved["content"] is None:
                    return {"ok": False, "error": "file_not_found"}
                found.append(reserved)
            for reserved in found:
                if reserved["uploaded_length"] != reserved["length"]:
                    return {"ok": False, "error": "file_upload_size_mismatch"}
        channel = str(params.get("channel_id") or "")
        shared = [
            {"id": r["id"], "name": r["name"], "title": f.get("title") or r["name"]}
            for r, f in zip(found, files, strict=True)
        ]
        thread = {"thread_ts": params["thread_ts"]} if params.get("thread_ts") else {}
        with self._lock:  # the share and its files at once: a history read never sees one without the other
            if channel:
                posted = self._post({"channel": channel, "text": params.get("initial_comment") or "", **thread})
                if not posted["ok"]:  # Slack shares a file only where the app may post
                    return posted
                message = self._message(posted["channel"], posted["ts"])
                assert message is not None
                message["files"] = shared
            for reserved in found:
                reserved["completed"] = True
        return {"ok": True, "files": [{**f, "shares": {}} for f in shared]}  # Slack shares asynchronously

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(payload)
