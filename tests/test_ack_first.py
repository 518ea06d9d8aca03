"""Acks first: a worker's lazy work waits while it is still acking requests, so a burst's last acks are not queued
behind the work of its first requests (bench/ack_burst.py: p99 138-161 ms before, 88 ms after)."""

from __future__ import annotations

import threading
import time

from bot.app import AckFirstExecutor, AckGate

HELD = 0.3  # how long the test holds an ack open: long enough that lazy work, if not held back, would have run


def test_lazy_work_waits_for_the_acks_in_progress_then_runs_at_once() -> None:
    gate = AckGate(max_wait=10.0)
    started = threading.Event()
    with AckFirstExecutor(gate, max_workers=2, thread_name_prefix="t") as executor:
        with gate.acking():
            executor.submit(started.set)
            assert not started.wait(HELD), "the lazy work ran while an ack was still being written"
        released = time.monotonic()
        assert started.wait(5.0)
        assert time.monotonic() - released < 1.0, "it runs as soon as the last ack is written"


def test_lazy_work_is_never_starved_by_a_stream_of_acks() -> None:
    gate = AckGate(max_wait=0.2)
    started = threading.Event()
    with AckFirstExecutor(gate, max_workers=1, thread_name_prefix="t") as executor, gate.acking():
        submitted = time.monotonic()
        executor.submit(started.set)
        assert started.wait(5.0), "it runs after the longest wait even while acks keep coming"
        assert 0.15 <= time.monotonic() - submitted < 2.0


def test_without_acks_in_progress_lazy_work_starts_at_once() -> None:
    done = threading.Event()
    with AckFirstExecutor(AckGate(max_wait=10.0), max_workers=1, thread_name_prefix="t") as executor:
        executor.submit(done.set).result(timeout=2.0)
    assert done.is_set()
