"""Flat cost as history grows: each flow's latency and the idle CPU, a year of history against none.

Seeds two databases of the same kind with the same open incidents, one of them also with a year of history
(bench/seed_history.py: 100,000 incidents, 1.1M delivered outbox rows, 1M timeline events, 300k entries), starts
the real server (`python -m bot`: gunicorn, two workers) on each against its own fake Slack, and drives the flows
through Slack's door, alternating between the two servers sample by sample: declare (command → card posted),
list, draft (command → draft card posted), approve → mirror (click → mirror post), audit and timeline (command →
answer, and the Markdown file attached). Then both sit idle, and their CPU is read from /proc: the bot's processes,
and on PostgreSQL the database's backends (from pg_stat_activity). Prints p50/p95 per flow and the ratios.

    python -m bench.history [--scale 1.0] [--samples 40] [--idle 30] [--postgres URL] [--json]

With --postgres, the big database is the one named, the empty one is the same name with `_empty` (created if
missing); both are wiped first. Without it, SQLite in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

from bench.ack_burst import LEAD, MIRROR, SECRET, percentile, production_server
from bench.seed_history import seed
from tests.support.fake_slack import Call, FakeSlack
from tests.support.slack_requests import Slack

FLOWS = ("declare", "list", "draft", "approve → mirror", "audit", "timeline")
BUDGET = 1.2
WARM_UP = 3
OPEN = 20
TICKS_PER_SECOND = 100  # os.sysconf("SC_CLK_TCK") on Linux


@dataclass
class Side:
    """One server: its database, fake Slack, request builder, processes and samples."""

    name: str
    url: str
    fake: FakeSlack
    slack: Slack | None = None
    master: int = 0
    database: str | None = None
    samples: dict[str, list[float]] = field(default_factory=lambda: {flow: [] for flow in FLOWS})


def _key(call: Call) -> str:
    return str(((call.params.get("metadata") or {}).get("event_payload") or {}).get("key", ""))


def _timed(action: Callable[[], None], wait: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    wait()
    return (time.perf_counter() - started) * 1000


def _sample(side: Side, n: int) -> dict[str, float]:
    """Each flow once on `side`, in a war room of its own; milliseconds per flow."""
    fake, slack = side.fake, side.slack
    assert slack is not None
    room = f"CBENCH{n:04d}"
    fake.add_channel(room, f"inc-bench-{n}")

    def drafts() -> set[int]:
        return {int(_key(c).split(":")[1]) for c in fake.received("chat.postMessage", channel=room)
                if _key(c).endswith(":draft")}  # fmt: skip

    def command(text: str, response: str) -> None:
        assert slack is not None
        reply = slack.command(text, user=LEAD, channel=room, response=response)
        assert reply.status == 200, reply

    def card() -> object:
        return fake.wait_for("chat.postMessage", channel=room, timeout=30, where=lambda c: c.text.startswith("INC-"))

    took = {"declare": _timed(lambda: command("declare P2 Checkout is slow", f"declare{n}"), card)}
    fake.wait_for("chat.postMessage", channel=room, timeout=30, where=lambda c: _key(c).endswith(":draft"))
    took["list"] = _timed(lambda: command("list", f"list{n}"), lambda: fake.wait_response(f"list{n}", timeout=30))
    before = drafts()
    took["draft"] = _timed(
        lambda: command("update We are rolling back the deploy.", f"draft{n}"),
        lambda: fake.wait_for(
            "chat.postMessage", channel=room, timeout=30, where=lambda c: _key(c).endswith(":draft") and
            int(_key(c).split(":")[1]) not in before,
        ),
    )  # fmt: skip
    [entry] = drafts() - before

    def click() -> None:
        assert slack is not None
        action = {"type": "button", "action_id": "entry_approve", "value": str(entry), "block_id": f"entry:{entry}"}
        slack.block_action(user=LEAD, channel=room, response=f"approve{n}", action=action)

    took["approve → mirror"] = _timed(
        click,
        lambda: fake.wait_for("chat.postMessage", channel=MIRROR, timeout=30,
                              where=lambda c: _key(c) == f"entry:{entry}:mirror"),
    )  # fmt: skip
    took["audit"] = _timed(lambda: command("audit", f"audit{n}"), lambda: fake.wait_response(f"audit{n}", timeout=30))
    uploads = len(fake.received("files.completeUploadExternal"))
    took["timeline"] = _timed(
        lambda: command("timeline", f"timeline{n}"),
        lambda: fake.wait_for("files.completeUploadExternal", uploads + 1, timeout=30),
    )
    return took


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone since it was listed
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def _bot_pids(master: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return [master, *map(int, children)]


def _backends(admin_url: str, database: str) -> list[int]:
    engine = create_engine(admin_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database})
            return [int(pid) for (pid,) in rows]
    finally:
        engine.dispose()


def _idle(sides: list[Side], seconds: float, admin_url: str | None) -> dict[str, dict[str, float]]:
    """CPU (% of one core) of each side's bot, and of its database's backends, while nothing happens."""
    for side in sides:
        side.fake.quiet(2.0)

    def pids(side: Side) -> tuple[list[int], list[int]]:
        database = _backends(admin_url, side.database) if admin_url and side.database else []
        return _bot_pids(side.master), database

    before = {side.name: pids(side) for side in sides}
    start = {name: (_cpu_ticks(bot), _cpu_ticks(db)) for name, (bot, db) in before.items()}
    time.sleep(seconds)
    result = {}
    for side in sides:
        bot, db = pids(side)
        db = sorted(set(db) | set(before[side.name][1]))
        # Backends that appeared during the window count from zero; those listed at the start from their start.
        ended = (_cpu_ticks(bot), _cpu_ticks(db))
        used = [(ended[k] - start[side.name][k]) / TICKS_PER_SECOND / seconds * 100 for k in (0, 1)]
        result[side.name] = {"bot_cpu_pct": round(used[0], 2), "db_cpu_pct": round(used[1], 2)}
    return result


def _postgres_pair(url: str) -> tuple[str, str, str]:
    """The big and the empty database's URLs (both wiped), and a URL for admin queries."""
    big = make_url(url)
    assert big.database
    empty = big.set(database=f"{big.database}_empty")
    admin = big.set(database="postgres")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": empty.database})
            if exists.first() is None:
                connection.execute(text(f'CREATE DATABASE "{empty.database}"'))
    finally:
        engine.dispose()
    for each in (big, empty):
        engine = create_engine(each)
        try:
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
    render = dict(hide_password=False)
    return big.render_as_string(**render), empty.render_as_string(**render), admin.render_as_string(**render)


@contextmanager
def _serving(side: Side, workdir: Path) -> Iterator[None]:
    side.fake.add_user(LEAD, "Lee Lead")
    side.fake.add_channel(MIRROR, "status-mirror")
    for k in range(OPEN):
        side.fake.add_channel(f"COPEN{k:04d}", f"inc-open-{k}")
    pids: list[int] = []
    workdir.mkdir()
    with production_server(side.fake, workdir, extra_env={"DATABASE_URL": side.url}, pids=pids) as (port, _log):
        side.master = pids[0]
        side.slack = Slack(app_url=f"http://127.0.0.1:{port}/slack/events", fake_url=side.fake.url, secret=SECRET)
        yield


def measure(*, scale: float, samples: int, idle: float, postgres: str | None) -> dict[str, Any]:
    """Seed, serve, drive and idle; the figures of both sides and their ratios."""
    with tempfile.TemporaryDirectory(prefix="warroom-history-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        if postgres:
            big_url, empty_url, admin = _postgres_pair(postgres)
        else:
            big_url, empty_url, admin = f"sqlite:///{work / 'big.db'}", f"sqlite:///{work / 'empty.db'}", None
        started = time.perf_counter()
        seed(big_url, scale=scale, open_incidents=OPEN, lead=LEAD)
        seeded = time.perf_counter() - started
        seed(empty_url, history=False, open_incidents=OPEN, lead=LEAD)
        sides = [Side("empty", empty_url, FakeSlack().start()), Side("history", big_url, FakeSlack().start())]
        for side in sides:
            stack.callback(side.fake.stop)
            side.database = make_url(side.url).database if postgres else None
            stack.enter_context(_serving(side, work / side.name))
        time.sleep(5)  # both servers start their chores (the first pruning run works on the history's backlog)
        for n in range(samples + WARM_UP):
            for side in sides if n % 2 else reversed(sides):
                took = _sample(side, n)
                if n >= WARM_UP:
                    for flow, ms in took.items():
                        side.samples[flow].append(ms)
        cpu = _idle(sides, idle, admin)
    return _report(sides, cpu, scale=scale, seeded=seeded, backend="postgresql" if postgres else "sqlite")


def _report(sides: list[Side], cpu: dict[str, dict[str, float]], **about: Any) -> dict[str, Any]:
    flows: dict[str, Any] = {}
    for flow in FLOWS:
        row: dict[str, float] = {}
        for side in sides:
            values = sorted(side.samples[flow])
            row[f"{side.name}_p50_ms"] = round(percentile(values, 50), 1)
            row[f"{side.name}_p95_ms"] = round(percentile(values, 95), 1)
        row["p50_ratio"] = round(row["history_p50_ms"] / row["empty_p50_ms"], 2)
        row["p95_ratio"] = round(row["history_p95_ms"] / row["empty_p95_ms"], 2)
        flows[flow] = row
    return {**about, "samples": len(sides[0].samples[FLOWS[0]]), "flows": flows, "idle": cpu}


def _print(result: dict[str, Any]) -> None:
    print(f"{result['backend']}: a year of history (scale {result['scale']}, seeded in {result['seeded']:.0f} s) "
          f"vs none; {result['samples']} samples per flow, interleaved")  # fmt: skip
    print(f"  {'flow':<18}{'empty p50/p95 ms':>20}{'history p50/p95 ms':>22}{'ratio p50/p95':>16}")
    for flow, row in result["flows"].items():
        empty = f"{row['empty_p50_ms']} / {row['empty_p95_ms']}"
        history = f"{row['history_p50_ms']} / {row['history_p95_ms']}"
        print(f"  {flow:<18}{empty:>20}{history:>22}{row['p50_ratio']:>8} / {row['p95_ratio']}")
    for name, figures in result["idle"].items():
        print(f"  idle CPU, {name}: bot {figures['bot_cpu_pct']}% of a core, database {figures['db_cpu_pct']}%")


def main(argv: list[str] | None = None) -> int:
    """Run on SQLite, or PostgreSQL with --postgres; exit 1 when a p50 ratio or idle CPU is over budget."""
    parser = argparse.ArgumentParser(description="Flow latency and idle CPU with a year of history vs none")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--postgres", help="a PostgreSQL URL (its database is wiped); default: SQLite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(scale=args.scale, samples=args.samples, idle=args.idle, postgres=args.postgres)
    print(json.dumps(result)) if args.json else _print(result)
    ratios = [row["p50_ratio"] for row in result["flows"].values()]
    cpu = [value for figures in result["idle"].values() for value in figures.values()]
    passed = max(ratios) <= BUDGET and max(cpu) < 5.0
    print(f"{'PASS' if passed else 'FAIL'}: worst p50 ratio {max(ratios)} (budget ≤ {BUDGET}), "
          f"worst idle CPU {max(cpu)}% (budget < 5%)")  # fmt: skip
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
