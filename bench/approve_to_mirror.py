"""Approve → mirror: how long from the communicator's click until the support team's channel has the entry.

Runs the real server (`python -m bot`: gunicorn, two workers) against the tests' fake Slack Web API on loopback,
which answers at once. Declares incidents (each drafts its first entry by itself), then approves the drafts one
at a time: each sample is the time from sending the signed Approve click to the fake receiving the mirror's
chat.postMessage for that entry. Exits 1 when p95 is not under the budget.

    python -m bench.approve_to_mirror [--samples 60] [--json]      # from the repository root
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.ack_burst import LEAD, MIRROR, SECRET, percentile, production_server
from tests.support.fake_slack import Call, FakeSlack
from tests.support.slack_requests import Slack

BUDGET_MS = 50.0


def _mentioning(text: str) -> Callable[[Call], bool]:
    return lambda call: text in call.text


def _keyed(key: str) -> Callable[[Call], bool]:
    return lambda call: bool(call.params["metadata"]["event_payload"]["key"] == key)


def _draft_ids(fake: FakeSlack, channel: str) -> list[int]:
    keys = [str(m["metadata"]["event_payload"]["key"]) for m in fake.messages.get(channel, [])]
    return [int(key.split(":")[1]) for key in keys if key.endswith(":draft")]


def measure(samples: int) -> list[float]:
    """Latencies in ms, one per approved entry."""
    fake = FakeSlack().start()
    fake.add_user(LEAD, "Lee Lead")
    fake.add_channel(MIRROR, "support-mirror")
    try:
        with (
            tempfile.TemporaryDirectory(prefix="warroom-bench-") as workdir,
            production_server(fake, Path(workdir)) as (port, _log),
        ):
            slack = Slack(app_url=f"http://127.0.0.1:{port}/slack/events", fake_url=fake.url, secret=SECRET)
            channels = [f"CAPPROVE{n:04d}" for n in range(samples + 5)]
            for channel in channels:  # Warroom has been invited to every war room
                fake.add_channel(channel, channel.lower())
            for channel in channels:
                slack.command("declare P1 Checkout down", user=LEAD, channel=channel, response=channel)
            for channel in channels:
                fake.wait_for("chat.postMessage", channel=LEAD, timeout=30, where=_mentioning(channel))
            latencies: list[float] = []
            for index, channel in enumerate(channels):
                [entry_id] = _draft_ids(fake, channel)
                key = f"entry:{entry_id}:mirror"
                started = time.perf_counter()
                slack.block_action(
                    user=LEAD,
                    channel=channel,
                    response=f"a{index}",
                    action={"type": "button", "action_id": "entry_approve", "value": str(entry_id)},
                )
                fake.wait_for(
                    "chat.postMessage",
                    channel=MIRROR,
                    timeout=10,
                    where=_keyed(key),
                )
                if index >= 5:  # the first few warm the server up
                    latencies.append((time.perf_counter() - started) * 1000)
            return latencies
    finally:
        fake.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (or emit as JSON) p50, p95, p99 and max."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    latencies = measure(args.samples)
    result = {
        "samples": len(latencies),
        "p50_ms": round(percentile(sorted(latencies), 50), 1),
        "p95_ms": round(percentile(sorted(latencies), 95), 1),
        "p99_ms": round(percentile(sorted(latencies), 99), 1),
        "max_ms": round(max(latencies), 1),
        "budget_p95_ms": BUDGET_MS,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"Approve click → mirror message, {result['samples']} entries, python -m bot (gunicorn), fake Slack")
        print(
            f"  p50 {result['p50_ms']} ms · p95 {result['p95_ms']} ms · p99 {result['p99_ms']} ms · "
            f"max {result['max_ms']} ms"
        )
    passed = result["p95_ms"] < BUDGET_MS
    print(f"{'PASS' if passed else 'FAIL'}: p95 {result['p95_ms']} ms (budget < {BUDGET_MS:.0f} ms)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
