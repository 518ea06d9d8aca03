"""Ack burst: the production HTTP server acks bursts of 50 concurrent signed Slack requests within budget.

Starts the real server the way a user does (`python -m bot`: migrations, then gunicorn) in an empty temporary
directory, against the tests' fake Slack Web API on loopback. After a warm-up it fires several bursts of 50 signed
requests released together by a barrier from 50 threads: `/incident declare` in fresh channels, `/incident list`,
`/incident help` and clicks on the communicator picker. Each request is timed from sending to the HTTP answer (the
ack Slack waits at most 3 s for). Prints a table, and exits 1 when a request failed or p99 is not under the budget.

    python -m bench.ack_burst [--rounds 5] [--json]      # from the repository root
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from tests.support.fake_slack import Call, FakeSlack
from tests.support.slack_requests import Reply, Slack, sign

HOST = "127.0.0.1"
EVENTS_PATH = "/slack/events"
SECRET = "bench-signing-secret-5f0c2a9e7d"
MIRROR = "CMIRROR01"
LEAD, DANA, ERIN = "ULEAD0001", "UDANA0001", "UERIN0001"
BUDGET_MS = 150.0
# One burst: 50 requests, the mix a busy incident morning sends.
DECLARES, LISTS, HELPS, CLICKS = 20, 10, 10, 10
KINDS = ("declare", "list", "help", "click")
WARM_CLICKS = 4  # warm-up clicks, on incidents of their own (several, so that both workers see one)
REQUEST_TIMEOUT = 10.0
HEALTH_TIMEOUT = 30.0
SETTLE_TIMEOUT = 20.0
STOP_GRACE = 10.0
RUN_DEADLINE = 100  # seconds; the whole run is cut off (and the server stopped) after this
NOMINATE_ACTION = "nominate_communicator"
NOMINATE_PREFIX = "nominate:"
UNEXPECTED = "Warroom hit an unexpected error"
# What each kind's ephemeral answer starts with when the work was done.
_EXPECTED_ANSWER = {"list": ("*Open incidents", "No incidents are open"), "help": ("",), "click": ("You named",)}


class BenchError(Exception):
    """The benchmark could not run (the server did not start, the warm-up failed, ...)."""


@dataclass(frozen=True)
class Planned:
    """One request of a burst, built before the burst is released."""

    kind: str  # declare | list | help | click
    body: str
    channel: str
    response: str  # the response_url name its ephemeral answer goes to ("" for a declare)


@dataclass(frozen=True)
class Result:
    """One request's outcome: HTTP status (0 when the connection failed) and send-to-ack time."""

    kind: str
    round: int
    status: int
    ms: float
    error: str

    @property
    def failed(self) -> bool:
        return self.status != 200


@dataclass(frozen=True)
class Summary:
    """Ack latencies of a set of requests, in milliseconds."""

    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    max: float


# -- requests ---------------------------------------------------------------------------------------------------


class _Builder(Slack):
    """The tests' request builders (same payload shapes as Slack), capturing bodies instead of sending them."""

    def __init__(self, *, fake_url: str) -> None:
        super().__init__(app_url="", fake_url=fake_url, secret=SECRET)
        self._captured: list[str] = []

    def post(self, body: str, *, timestamp: str | None = None, signature: str | None = None) -> Reply:
        self._captured.append(body)
        return Reply(200, "")

    def command_request(self, kind: str, text: str, *, user: str, channel: str, response: str) -> Planned:
        body = self.command_body(text, user=user, channel=channel, response=response)
        return Planned(kind=kind, body=body, channel=channel, response=response if kind != "declare" else "")

    def pick_communicator(self, *, incident_id: int, channel: str, nominee: str, response: str) -> Planned:
        """The lead picks `nominee` in the ephemeral communicator picker of incident `incident_id`."""
        action = {
            "type": "users_select",
            "action_id": NOMINATE_ACTION,
            "block_id": f"{NOMINATE_PREFIX}{incident_id}",
            "selected_user": nominee,
        }
        self.block_action(user=LEAD, channel=channel, action=action, response=response, ephemeral=True)
        return Planned(kind="click", body=self._captured.pop(), channel=channel, response=response)


def _timed_post(
    port: int, payload: bytes, headers: dict[str, str], *, ready: threading.Barrier
) -> tuple[int, float, str]:
    """Wait for the burst's release, then POST; (status or 0, ms from sending to the whole answer, error)."""
    ready.wait(timeout=REQUEST_TIMEOUT)
    started = time.perf_counter()
    try:
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request("POST", EVENTS_PATH, body=payload, headers=headers)
            response = connection.getresponse()
            response.read()
            status, error = response.status, "" if response.status == 200 else f"HTTP {response.status}"
        finally:
            connection.close()
    except (OSError, http.client.HTTPException) as exc:
        status, error = 0, f"{type(exc).__name__}: {exc}"
    return status, (time.perf_counter() - started) * 1000, error


def fire(port: int, plan: Sequence[Planned], *, round_no: int) -> list[Result]:
    """Send every planned request at once, one thread each, released together by a barrier."""
    barrier = threading.Barrier(len(plan))
    results: list[Result | None] = [None] * len(plan)

    def run(index: int, item: Planned) -> None:
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sign(SECRET, stamp, item.body),
        }
        try:
            status, ms, error = _timed_post(port, item.body.encode(), headers, ready=barrier)
        except threading.BrokenBarrierError:
            status, ms, error = 0, 0.0, "the burst never started (barrier broken)"
        results[index] = Result(kind=item.kind, round=round_no, status=status, ms=ms, error=error)

    threads = [threading.Thread(target=run, args=(i, item), daemon=True) for i, item in enumerate(plan)]
    for thread in threads:
        thread.start()
    released = time.monotonic()
    deadline = released + 2 * REQUEST_TIMEOUT + 5
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return [
        result or Result(kind=item.kind, round=round_no, status=0, ms=(deadline - released) * 1000, error="hung")
        for result, item in zip(results, plan, strict=True)
    ]


# -- the server -------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _inherited_setting(name: str) -> bool:
    upper = name.upper()
    return upper.startswith(("SLACK_", "WARROOM_", "GUNICORN")) or upper in {"DATABASE_URL", "PORT"}


@contextmanager
def production_server(
    fake: FakeSlack, workdir: Path, *, extra_env: dict[str, str] | None = None, pids: list[int] | None = None
) -> Iterator[tuple[int, Path]]:
    """`python -m bot` in HTTP mode, run from `workdir` (no .env there); yields its port and log file.

    `extra_env` adds settings; `pids`, if given, receives the gunicorn master's process ID.
    """
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not _inherited_setting(name)}
    env.update(
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        WARROOM_MIRROR_CHANNEL=MIRROR,
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra_env or {})
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the gunicorn master and its workers
        )
    if pids is not None:
        pids.append(process.pid)
    try:
        _wait_healthy(process, port, log_path)
        yield port, log_path
    finally:
        _stop(process)


def _wait_healthy(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited with {process.returncode}:\n{tail(log_path)}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            finally:
                connection.close()
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.1)
    raise BenchError(f"GET /healthz did not answer 200 within {HEALTH_TIMEOUT:.0f} s:\n{tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the gunicorn master (graceful); SIGKILL its process group if it lingers."""
    # Hold off our own cut-off (SIGALRM) and SIGTERM until the server is gone; they are delivered afterwards.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGTERM})
    try:
        _terminate(process)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_GRACE)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # the group we created; normally already empty
    if process.poll() is None:
        process.wait(timeout=5)


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


# -- follow-up work (what the server did after acking) -----------------------------------------------------------


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _cards(fake: FakeSlack) -> set[str]:
    return {str(c.channel) for c in fake.received("chat.postMessage") if c.text.startswith("INC-")}


def _answered(fake: FakeSlack, plan: Sequence[Planned]) -> dict[str, int]:
    """How many requests of each kind got their follow-up: a card for a declare, the right answer otherwise."""
    cards = _cards(fake)
    answers = {c.method.removeprefix("response:"): c.text for c in list(fake.calls) if c.method.startswith("response:")}
    done = dict.fromkeys(KINDS, 0)
    for item in plan:
        if item.kind == "declare":
            ok = item.channel in cards
        else:
            ok = item.response in answers and answers[item.response].startswith(_EXPECTED_ANSWER[item.kind])
        done[item.kind] += int(ok)
    return done


def _follow_ups(fake: FakeSlack, plan: Sequence[Planned]) -> dict[str, int]:
    """Wait (boundedly) until every request of the burst got its follow-up; returns how many did, by kind."""
    wanted = {kind: sum(1 for p in plan if p.kind == kind) for kind in KINDS}
    _wait(lambda: _answered(fake, plan) == wanted, SETTLE_TIMEOUT)
    return _answered(fake, plan)


def _unexpected_errors(fake: FakeSlack) -> int:
    return sum(1 for c in list(fake.calls) if UNEXPECTED in c.text)


def _nomination_pickers(fake: FakeSlack) -> dict[str, int]:
    """Channel -> incident id, from the communicator pickers the server sent to leads."""
    found: dict[str, int] = {}
    for call in fake.received("chat.postEphemeral"):
        for block in call.blocks:
            block_id = str(block.get("block_id", ""))
            if block_id.startswith(NOMINATE_PREFIX):
                found[str(call.channel)] = int(block_id.removeprefix(NOMINATE_PREFIX))
    return found


def _quiet(fake: FakeSlack, seconds: float = 0.3, timeout: float = 5.0) -> None:
    """Wait (boundedly) until the server has made no Slack call for `seconds`."""

    def idle() -> bool:
        calls: list[Call] = list(fake.calls)
        return not calls or time.monotonic() - calls[-1].at >= seconds

    _wait(idle, timeout)


# -- the run ----------------------------------------------------------------------------------------------------


def warm_up(port: int, fake: FakeSlack, builder: _Builder) -> dict[str, int]:
    """Two small bursts touching every path in both gunicorn workers; returns the click targets (channel -> id).

    First declares (the click targets and a few more), help and list; then picker clicks on the extra incidents.
    """
    channels = [f"CWARM{n:04d}" for n in range(CLICKS + WARM_CLICKS)]
    plan = [
        builder.command_request("declare", f"declare P1 Warm-up outage {n + 1}", user=LEAD, channel=c, response="")
        for n, c in enumerate(channels)
    ]
    for n in range(2):
        plan.append(builder.command_request("help", "help", user=DANA, channel=channels[0], response=f"warm-help-{n}"))
        plan.append(builder.command_request("list", "list", user=ERIN, channel=channels[1], response=f"warm-list-{n}"))
    _warm_burst(port, fake, plan)
    if not _wait(lambda: set(channels) <= set(_nomination_pickers(fake)), SETTLE_TIMEOUT):
        raise BenchError("warm-up: the server did not send every communicator picker")
    pickers = _nomination_pickers(fake)
    clicks = [
        builder.pick_communicator(incident_id=pickers[c], channel=c, nominee=ERIN, response=f"warm-click-{n}")
        for n, c in enumerate(channels[CLICKS:])
    ]
    _warm_burst(port, fake, clicks)
    return {c: pickers[c] for c in channels[:CLICKS]}


def _warm_burst(port: int, fake: FakeSlack, plan: Sequence[Planned]) -> None:
    failed = [r for r in fire(port, plan, round_no=0) if r.failed]
    if failed:
        raise BenchError(f"warm-up: {len(failed)} of {len(plan)} requests failed, e.g. {failed[0].error}")
    done = _follow_ups(fake, plan)
    if sum(done.values()) != len(plan):
        raise BenchError(f"warm-up: the server did not finish the work it acked ({done})")
    _quiet(fake)


def plan_round(builder: _Builder, round_no: int, targets: dict[str, int]) -> list[Planned]:
    """50 requests: declares in fresh channels, list, help, and picker clicks naming a new communicator."""
    nominee = DANA if round_no % 2 else ERIN  # alternate, so every click really changes the communicator
    rooms = list(targets)
    plan = [
        builder.command_request(
            "declare",
            f"declare P1 Round {round_no} outage {n + 1}: checkout API returning 500s",
            user=LEAD,
            channel=f"CBENCHR{round_no:02d}N{n:02d}",
            response="",
        )
        for n in range(DECLARES)
    ]
    for n in range(LISTS):
        response = f"r{round_no}-list-{n}"
        plan.append(
            builder.command_request("list", "list", user=DANA, channel=rooms[n % len(rooms)], response=response)
        )
    for n in range(HELPS):
        response = f"r{round_no}-help-{n}"
        plan.append(
            builder.command_request("help", "help", user=ERIN, channel=rooms[n % len(rooms)], response=response)
        )
    for n, (channel, incident_id) in enumerate(targets.items()):
        response = f"r{round_no}-click-{n}"
        plan.append(
            builder.pick_communicator(incident_id=incident_id, channel=channel, nominee=nominee, response=response)
        )
    random.Random(round_no).shuffle(plan)  # thread start order should not group the kinds
    return plan


def percentile(sorted_ms: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_ms:
        return math.nan
    return sorted_ms[max(0, math.ceil(pct / 100 * len(sorted_ms)) - 1)]


def summarize(results: Sequence[Result]) -> Summary:
    ms = sorted(r.ms for r in results)
    return Summary(
        requests=len(results),
        failures=sum(r.failed for r in results),
        p50=round(percentile(ms, 50), 1),
        p95=round(percentile(ms, 95), 1),
        p99=round(percentile(ms, 99), 1),
        max=round(ms[-1], 1) if ms else math.nan,
    )


def run(rounds: int) -> dict[str, Any]:
    """Start everything, warm up, run the bursts; always stops the server and the fake."""
    results: list[Result] = []
    per_round: list[dict[str, Any]] = []
    fake = FakeSlack().start()
    try:
        for user_id, name in ((LEAD, "Lee Lead"), (DANA, "Dana"), (ERIN, "Erin")):
            fake.add_user(user_id, name)
        rooms = [MIRROR, *(f"CWARM{n:04d}" for n in range(CLICKS + WARM_CLICKS))]
        rooms += [f"CBENCHR{r:02d}N{n:02d}" for r in range(1, rounds + 1) for n in range(DECLARES)]
        for room in rooms:  # Warroom has been invited to every war room and to the mirror
            fake.add_channel(room, room.lower())
        builder = _Builder(fake_url=fake.url)
        with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
            with production_server(fake, Path(tmp)) as (port, log_path):
                targets = warm_up(port, fake, builder)
                for round_no in range(1, rounds + 1):
                    plan = plan_round(builder, round_no, targets)
                    started = time.monotonic()
                    burst = fire(port, plan, round_no=round_no)
                    done = _follow_ups(fake, plan)
                    settled_s = time.monotonic() - started
                    _quiet(fake)
                    results.extend(burst)
                    per_round.append(
                        {
                            "round": round_no,
                            **asdict(summarize(burst)),
                            "followed_up": done,
                            "settled_s": round(settled_s, 2),
                        }
                    )
            server_errors = [line for line in log_path.read_text(errors="replace").splitlines() if " ERROR " in line]
    finally:
        fake.stop()
    by_kind = {kind: asdict(summarize([r for r in results if r.kind == kind])) for kind in KINDS}
    errors = [f"round {r.round} {r.kind}: {r.error}" for r in results if r.failed]
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(n, 2) for n in os.getloadavg()],
        "rounds": rounds,
        "burst": DECLARES + LISTS + HELPS + CLICKS,
        "mix": {"declare": DECLARES, "list": LISTS, "help": HELPS, "click": CLICKS},
        "overall": asdict(summarize(results)),
        "per_round": per_round,
        "by_kind": by_kind,
        "failed_requests": errors[:20],
        "unexpected_errors_reported": _unexpected_errors(fake),
        "server_error_log_lines": server_errors[:20],
    }


def verdict(report: dict[str, Any], budget_ms: float) -> tuple[bool, str]:
    overall = report["overall"]
    ok = overall["failures"] == 0 and overall["p99"] < budget_ms
    word = "PASS" if ok else "FAIL"
    return ok, f"{word}: {overall['failures']} failures, p99 {overall['p99']:.1f} ms (budget < {budget_ms:.0f} ms)"


def render(report: dict[str, Any], budget_ms: float) -> str:
    def row(label: str, s: dict[str, Any], extra: str = "") -> str:
        return (
            f"{label:<8}{s['requests']:>9}{s['failures']:>9}{s['p50']:>8.1f}{s['p95']:>8.1f}"
            f"{s['p99']:>8.1f}{s['max']:>8.1f}{extra}"
        )

    mix = ", ".join(f"{n} {kind}" for kind, n in report["mix"].items())
    lines = [
        f"Warroom HTTP ack burst: {report['rounds']} rounds x {report['burst']} concurrent signed requests ({mix}); "
        f"python -m bot (gunicorn), {report['cpus']} CPUs, load average {report['load_average'][0]:.2f}",
        f"{'':<8}{'requests':>9}{'failures':>9}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}  (ms)",
    ]
    for r in report["per_round"]:
        total, wanted = sum(r["followed_up"].values()), report["burst"]
        lines.append(row(f"round {r['round']}", r, f"   work done {total}/{wanted} in {r['settled_s']:.1f} s"))
    lines.append(row("all", report["overall"]))
    for kind, s in report["by_kind"].items():
        lines.append(row(kind, s))
    for problem in report["failed_requests"]:
        lines.append(f"  failed: {problem}")
    if report["unexpected_errors_reported"] or report["server_error_log_lines"]:
        lines.append(
            f"  WARNING: {report['unexpected_errors_reported']} unexpected-error answers, "
            f"{len(report['server_error_log_lines'])} ERROR lines in the server log"
        )
        lines.extend(f"    {line}" for line in report["server_error_log_lines"][:5])
    lines.append(verdict(report, budget_ms)[1])
    return "\n".join(lines)


def _cut_off(signum: int, _frame: FrameType | None) -> None:
    if signum == signal.SIGALRM:
        raise BenchError(f"the run exceeded {RUN_DEADLINE} s")
    raise SystemExit(128 + signum)  # SIGTERM: unwind so the server is stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ack_burst", description="Time the acks of bursts of 50 concurrent Slack requests."
    )
    parser.add_argument("--rounds", type=int, default=5, choices=range(1, 11), metavar="N", help="bursts (1-10)")
    parser.add_argument("--budget-ms", type=float, default=BUDGET_MS, help="p99 must be under this (ms)")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _cut_off)
    signal.signal(signal.SIGALRM, _cut_off)
    signal.alarm(RUN_DEADLINE)
    try:
        report = run(args.rounds)
    except BenchError as error:
        print(f"ack_burst: {error}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
    ok, _ = verdict(report, args.budget_ms)
    report.update(budget_ms=args.budget_ms, passed=ok)
    print(json.dumps(report, indent=2) if args.json else render(report, args.budget_ms))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
