"""A small HTTP/1.1 server for the public side: asyncio, keep-alive, GET and HEAD of pre-rendered bytes.

The status page must answer thousands of readers a second on two cores. http.server parses every header with
the email package and spends a thread per connection; here a request is its request line and one header
(If-None-Match) read from the bytes, a dict lookup and one write. Anything else (a body, a header block over
16 kB, an unknown method) is answered and the connection closed.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate

from bot.publish.server import Reply, SiteHolder, respond

log = logging.getLogger(__name__)
MAX_HEAD = 16 * 1024
_BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_TOO_BIG = b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class _Date:
    """The Date header, formatted once a second."""

    def __init__(self) -> None:
        self._second = 0
        self._value = b""

    def header(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second, self._value = now, f"Date: {formatdate(now, usegmt=True)}\r\n".encode()
        return self._value


class _Connection(asyncio.Protocol):
    def __init__(self, site: Callable[[], SiteHolder], date: _Date) -> None:
        self._holder = site
        self._date = date
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._transport is not None and not self._transport.is_closing():
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEAD:
                    self._close_with(_TOO_BIG)
                return
            head, self._buffer = self._buffer[:end], self._buffer[end + 4 :]
            self._answer(head)

    def _answer(self, head: bytes) -> None:
        assert self._transport is not None
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            self._close_with(_BAD)
            return
        method, target, version = (part.decode("latin-1") for part in parts)
        if_none_match: str | None = None
        keep_alive = version == "HTTP/1.1"
        has_body = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"if-none-match":
                if_none_match = value.strip().decode("latin-1")
            elif lowered == b"connection":
                token = value.strip().lower()
                keep_alive = token != b"close" and (keep_alive or token == b"keep-alive")
            elif lowered in (b"content-length", b"transfer-encoding") and value.strip() not in (b"", b"0"):
                has_body = True
        reply = respond(self._holder().site, method=method, path=target, if_none_match=if_none_match)
        keep_alive = keep_alive and not has_body and method in ("GET", "HEAD")
        self._transport.write(self._encode(reply, keep_alive=keep_alive))
        if not keep_alive:
            self._transport.close()

    def _encode(self, reply: Reply, *, keep_alive: bool) -> bytes:
        headers = "".join(f"{name}: {value}\r\n" for name, value in reply.headers)
        connection = b"" if keep_alive else b"Connection: close\r\n"
        return b"".join(
            (
                b"HTTP/1.1 ",
                reply.status.encode(),
                b"\r\nServer: Warroom\r\n",
                self._date.header(),
                headers.encode("latin-1"),
                connection,
                b"\r\n",
                reply.body,
            )
        )

    def _close_with(self, response: bytes) -> None:
        assert self._transport is not None
        self._transport.write(response)
        self._transport.close()


class HttpServer:
    """The public side's listener: an asyncio loop in one background thread."""

    def __init__(self, holder: Callable[[], SiteHolder], *, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(1024)
        self._holder = holder
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="status-http", daemon=True)
        self._started = threading.Event()
        self._server: asyncio.Server | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._socket.getsockname()[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()
        self._started.wait(timeout=10)

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._socket.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        date = _Date()
        self._server = self._loop.run_until_complete(
            self._loop.create_server(lambda: _Connection(self._holder, date), sock=self._socket)
        )
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()


@dataclass
class StatusServer:
    """The public side listening on its own address, with its refresher."""

    holder: SiteHolder
    listener: HttpServer

    @property
    def url(self) -> str:
        """Where it listens."""
        host, port = self.listener.address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def stop(self) -> None:
        self.listener.stop()
        self.holder.stop()


def start_status_server(make_holder: Callable[[str], SiteHolder], *, host: str, port: int) -> StatusServer:
    """Listen on host:port (0 for a free port) and keep the site fresh. `make_holder` is given the address it
    listens on (http://host:port), for links when no public URL is configured."""
    holders: list[SiteHolder] = []
    listener = HttpServer(lambda: holders[0], host=host, port=port)
    bound, bound_port = listener.address
    holders.append(make_holder(f"http://[{bound}]:{bound_port}" if ":" in bound else f"http://{bound}:{bound_port}"))
    listener.start()
    holders[0].start()
    return StatusServer(holder=holders[0], listener=listener)
