"""A herd of readers: many keep-alive HTTP/1.1 connections GETting pages as fast as they are answered.

Runs in its own process (`python -m bench.herd --port P --connections 250 --seconds 30 --paths / /api/v2/summary.json`)
and prints one JSON line: how many requests each path got, the statuses, and every latency in milliseconds, so the
caller can merge several processes (one Python process cannot saturate a server from one core).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

HOST = "127.0.0.1"


@dataclass
class Tally:
    """What one reader process saw."""

    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)


async def _reader(port: int, paths: list[str], deadline: float, tally: Tally, offset: int, every: float | None) -> None:
    """One connection: GET the paths in turn (keep-alive), reconnecting if the server closes it.

    With `every`, one request per `every` seconds on a fixed schedule (a reader refreshing the page; a late
    answer makes the next request go at once, so slowness shows in the latencies); without, back to back.
    """
    turn = offset
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    due = time.monotonic() + (every * (offset % 97) / 97 if every else 0.0)  # spread the readers' first requests
    while time.monotonic() < deadline:
        if every:
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            due = max(due + every, time.monotonic() - every)
        path = paths[turn % len(paths)]
        turn += 1
        started = time.perf_counter()
        try:
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: */*\r\n\r\n".encode())
            await writer.drain()
            status, keep = await _response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            tally.errors[type(error).__name__] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
            continue
        tally.latencies_ms.setdefault(path, []).append((time.perf_counter() - started) * 1000)
        tally.statuses[str(status)] += 1
        if not keep and writer is not None:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response (Content-Length bodies); its status, and whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    length = int(headers.get("content-length", "0"))
    if length:
        await reader.readexactly(length)
    keep = headers.get("connection", "").lower() != "close" and lines[0].startswith("HTTP/1.1")
    return status, keep


async def herd(port: int, *, connections: int, seconds: float, paths: list[str], rate: float | None) -> Tally:
    """`connections` readers for `seconds`; with `rate`, that many requests per second in all, evenly paced."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    every = connections / rate if rate else None
    await asyncio.gather(*(_reader(port, paths, deadline, tally, i, every) for i in range(connections)))
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.herd")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=250)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--paths", nargs="+", default=["/", "/api/v2/summary.json"])
    parser.add_argument("--rate", type=float, default=None, help="requests per second in all (default: flat out)")
    args = parser.parse_args(argv)
    tally = asyncio.run(
        herd(args.port, connections=args.connections, seconds=args.seconds, paths=args.paths, rate=args.rate)
    )
    json.dump(
        {"latencies_ms": tally.latencies_ms, "statuses": dict(tally.statuses), "errors": dict(tally.errors)},
        sys.stdout,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
