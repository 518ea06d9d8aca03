"""The status-page herd: 500 readers on the public page and summary.json while Slack bursts hit the same machine.

Starts Warroom as a user does (`python -m bot`, HTTP mode, gunicorn) with the public side on its own port
(`WARROOM_STATUS_BIND`), against the tests' fake Slack. An incident is declared and its first update approved
through signed Slack requests, so the page has content. Then, for `--seconds`:

- two reader processes (bench/herd.py) hold `--readers` keep-alive connections in all, refreshing `/` and
  `/api/v2/summary.json` at `--rate` requests per second in all;
- three bursts of 50 signed slash commands and clicks hit the Slack endpoint (as bench/ack_burst.py sends them);
- a new update is drafted and approved, and the public page and API are polled until its words appear.

Prints the figures and exits 1 when a goal is missed: page p99 < 50 ms at >= 2,000 requests/s, Slack ack p99 <
150 ms during the herd, the approved words public within 1 s.

    python -m bench.status_herd [--seconds 30] [--readers 500] [--rate 2000] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.ack_burst import (
    DANA,
    ERIN,
    LEAD,
    MIRROR,
    BenchError,
    Planned,
    _Builder,
    fire,
    free_port,
    percentile,
    plan_round,
    production_server,
    summarize,
    warm_up,
)
from tests.support.fake_slack import FakeSlack

HOST = "127.0.0.1"
ROOM = "CSTATUS01"
APPROVE_ACTION = "entry_approve"
PAGE_P99_MS, PAGE_RATE, ACK_P99_MS, VISIBLE_S = 50.0, 2000.0, 150.0, 1.0
READER_PROCESSES = 2
BURSTS = 3  # of 50 signed Slack requests each, as bench/ack_burst.py sends them


def _get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def _wait(condition: Any, what: str, timeout: float = 20.0, every: float = 0.02) -> float:
    """Poll until `condition()`; the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise BenchError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(every)
    return time.monotonic() - started


def _approve_newest_draft(fake: FakeSlack, builder: _Builder, port: int, *, containing: str) -> float:
    """Click Approve on the newest draft card showing `containing`; when the click was sent (monotonic)."""

    def entry_id() -> int | None:
        for call in reversed(fake.received("chat.postMessage", channel=ROOM)):
            if containing in json.dumps(call.blocks):
                for block in call.blocks:
                    for element in block.get("elements") or []:
                        if isinstance(element, dict) and element.get("action_id") == APPROVE_ACTION:
                            return int(element["value"])
        return None

    _wait(lambda: entry_id() is not None, f"the draft card showing {containing!r}")
    action = {"type": "button", "action_id": APPROVE_ACTION, "value": str(entry_id()), "block_id": "b"}
    builder.block_action(user=LEAD, channel=ROOM, action=action, response=f"approve-{time.monotonic_ns()}")
    body = builder._captured.pop()
    sent = time.monotonic()
    [result] = fire(port, [_planned(body)], round_no=0)
    if result.failed:
        raise BenchError(f"the approval click failed: {result.error}")
    return sent


def _planned(body: str) -> Planned:
    return Planned(kind="click", body=body, channel=ROOM, response="")


def _visible(status_port: int, *, mark: str, since: float, timeout: float = 20.0) -> dict[str, float]:
    """Seconds from the approval click until `mark` shows in the API and on the page, polled in turn."""
    seen: dict[str, float] = {}
    where = {"api_s": "/api/v2/summary.json", "page_s": "/"}
    while len(seen) < len(where):
        if time.monotonic() - since > timeout:
            raise BenchError(f"the approved update was not public within {timeout:.0f} s (seen: {seen})")
        for name, path in where.items():
            if name not in seen and mark in _get(status_port, path)[1]:
                seen[name] = round(time.monotonic() - since, 3)
        time.sleep(0.01)
    return seen


def _command(builder: _Builder, port: int, text: str) -> None:
    planned = builder.command_request("list", text, user=LEAD, channel=ROOM, response=f"cmd-{time.monotonic_ns()}")
    [result] = fire(port, [planned], round_no=0)
    if result.failed:
        raise BenchError(f"/incident {text} failed: {result.error}")


def _readers(status_port: int, *, readers: int, rate: float, seconds: float) -> list[subprocess.Popen[str]]:
    share = readers // READER_PROCESSES
    command = [sys.executable, "-m", "bench.herd", "--port", str(status_port), "--seconds", str(seconds)]
    return [
        subprocess.Popen(  # niced: on one machine the readers stand for browsers elsewhere, not rival work
            ["nice", "-n", "19", *command, "--connections", str(share), "--rate", str(rate / READER_PROCESSES)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(READER_PROCESSES)
    ]


def _merge(processes: list[subprocess.Popen[str]], seconds: float) -> dict[str, Any]:
    latencies: dict[str, list[float]] = {}
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    for process in processes:
        out, _ = process.communicate(timeout=seconds + 60)
        tally = json.loads(out)
        for path, values in tally["latencies_ms"].items():
            latencies.setdefault(path, []).extend(values)
        for key, count in tally["statuses"].items():
            statuses[key] = statuses.get(key, 0) + count
        for key, count in tally["errors"].items():
            errors[key] = errors.get(key, 0) + count
    every = sorted(v for values in latencies.values() for v in values)
    by_path = {
        path: {
            "requests": len(v),
            "p50": round(percentile(sorted(v), 50), 1),
            "p99": round(percentile(sorted(v), 99), 1),
        }
        for path, v in latencies.items()
    }
    return {
        "requests": len(every),
        "per_second": round(len(every) / seconds, 0),
        "p50": round(percentile(every, 50), 1),
        "p99": round(percentile(every, 99), 1),
        "max": round(every[-1], 1) if every else None,
        "statuses": statuses,
        "errors": errors,
        "by_path": by_path,
    }


def run(*, seconds: float, readers: int, rate: float) -> dict[str, Any]:
    fake = FakeSlack().start()
    try:
        for user_id, name in ((LEAD, "Lee Lead"), (DANA, "Dana"), (ERIN, "Erin")):
            fake.add_user(user_id, name)
        rooms = [MIRROR, ROOM, *(f"CWARM{n:04d}" for n in range(14))]
        rooms += [f"CBENCHR{r:02d}N{n:02d}" for r in range(1, BURSTS + 1) for n in range(20)]
        for room in rooms:
            fake.add_channel(room, room.lower())
        builder = _Builder(fake_url=fake.url)
        status_port = free_port()
        extra = {"WARROOM_STATUS_BIND": f"{HOST}:{status_port}", "WARROOM_STATUS_URL": f"http://{HOST}:{status_port}"}
        with (
            tempfile.TemporaryDirectory(prefix="warroom-herd-") as tmp,
            production_server(fake, Path(tmp), extra_env=extra) as (port, _log),
        ):
            _command(builder, port, "declare P1 Checkout database failover stuck")
            _wait(
                lambda: any(c.text.startswith("INC-") for c in fake.received("chat.postMessage", channel=ROOM)),
                "the card",
            )
            _command(builder, port, "impact Card payments fail at checkout for some customers")
            _approve_newest_draft(fake, builder, port, containing="Draft update")
            _wait(lambda: "Card payments fail" in _get(status_port, "/api/v2/summary.json")[1], "the first update")
            targets = warm_up(port, fake, builder)
            herd = _readers(status_port, readers=readers, rate=rate, seconds=seconds)
            acks = []
            for round_no in range(1, BURSTS + 1):  # bursts spread over the herd's first two thirds
                time.sleep(seconds * 2 / 3 / (BURSTS + 1))
                acks += fire(port, plan_round(builder, round_no, targets), round_no=round_no)
            words = f"Payments recover region by region; {time.monotonic_ns()} is this update's mark."
            _command(builder, port, f"update {words}")
            clicked = _approve_newest_draft(fake, builder, port, containing=words.split(";")[0])
            visible = _visible(status_port, mark=words.split(" ")[5], since=clicked)
            readers_seen = _merge(herd, seconds)
    finally:
        fake.stop()
    return {"herd": readers_seen, "acks": asdict(summarize(acks)), "visible": visible, "seconds": seconds}


def verdict(report: dict[str, Any]) -> tuple[bool, list[str]]:
    herd, acks, visible = report["herd"], report["acks"], report["visible"]
    missed = []
    if herd["per_second"] < PAGE_RATE:
        missed.append(f"{herd['per_second']:.0f} page requests/s, under {PAGE_RATE:.0f}")
    if herd["p99"] >= PAGE_P99_MS:
        missed.append(f"page p99 {herd['p99']} ms, not under {PAGE_P99_MS:.0f}")
    if acks["p99"] >= ACK_P99_MS or acks["failures"]:
        missed.append(f"Slack ack p99 {acks['p99']} ms ({acks['failures']} failed), budget {ACK_P99_MS:.0f}")
    if max(visible.values()) > VISIBLE_S:
        missed.append(f"approved words public after {max(visible.values())} s, not within {VISIBLE_S:.0f}")
    if set(herd["statuses"]) - {"200", "304"} or herd["errors"]:
        missed.append(f"readers saw {herd['statuses']} and errors {herd['errors']}")
    return not missed, missed


def render(report: dict[str, Any]) -> str:
    herd, acks, visible = report["herd"], report["acks"], report["visible"]
    lines = [
        f"status herd: {report['seconds']:.0f} s, {herd['requests']} requests, {herd['per_second']:.0f}/s",
        f"  page + summary.json: p50 {herd['p50']} ms, p99 {herd['p99']} ms, max {herd['max']} ms",
    ]
    lines += [
        f"    {path}: {v['requests']} requests, p50 {v['p50']} ms, p99 {v['p99']} ms"
        for path, v in herd["by_path"].items()
    ]
    lines.append(
        f"  Slack acks during the herd: {acks['requests']} requests, p50 {acks['p50']} ms, p99 {acks['p99']} ms"
    )
    lines.append(f"  approved words public: API {visible['api_s']} s after the click, page {visible['page_s']} s")
    ok, missed = verdict(report)
    lines.append("  goals met" if ok else "  MISSED: " + "; ".join(missed))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.status_herd")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--readers", type=int, default=500)
    parser.add_argument("--rate", type=float, default=PAGE_RATE)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(seconds=args.seconds, readers=args.readers, rate=args.rate)
    print(json.dumps(report) if args.json else render(report))
    return 0 if verdict(report)[0] else 1


if __name__ == "__main__":
    raise SystemExit(main())
