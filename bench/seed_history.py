"""Seed a year of incident history: resolved incidents with their entries, timelines, delivered outbox rows and
the landings of their keyed messages, plus a few open incidents (the same ones with or without the history).

At scale 1: 100,000 incidents, 300,000 entries, 1,000,000 timeline events, 1,100,000 delivered outbox rows and
1,000,000 slack_message landings. Bulk inserts (executemany on SQLite, COPY on PostgreSQL), one transaction.

    python -m bench.seed_history sqlite:///big.db [--scale 1.0] [--open 20] [--no-history] [--no-analyze]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.store.db import make_engine, upgrade

YEAR = timedelta(days=365)
INCIDENTS = 100_000
CHUNK = 5_000
PEOPLE = [f"UHIST{n:03d}" for n in range(40)]
MIRROR = "CMIRROR01"

INCIDENT_COLUMNS = (
    "id", "channel_id", "title", "severity", "status", "lead_id", "communicator_id", "declared_at",
    "next_update_due_at", "resolved_at", "last_update_at", "mirror_alerted", "email_text", "email_sent_at",
    "email_sent_by", "credits", "credits_by", "credits_at", "postmortem_url", "postmortem_by", "postmortem_at",
    "postmortem_reminded_at",
)  # fmt: skip
ENTRY_COLUMNS = (
    "id", "incident_id", "kind", "phase", "text", "cause", "state", "drafted_by", "drafted_at", "decided_by",
    "decided_at", "next_update_due_at",
)  # fmt: skip
EVENT_COLUMNS = ("id", "incident_id", "at", "actor_id", "kind", "data")
OUTBOX_COLUMNS = (
    "id", "incident_id", "channel_id", "purpose", "message_key", "text", "blocks", "created_at", "state", "attempts",
    "next_attempt_at", "delivered_at", "ts",
)  # fmt: skip
LANDING_COLUMNS = ("key", "channel_id", "ts", "posted_at")


@dataclass
class Rows:
    """One chunk of rows, per table."""

    incident: list[tuple[Any, ...]] = field(default_factory=list)
    entry: list[tuple[Any, ...]] = field(default_factory=list)
    timeline_event: list[tuple[Any, ...]] = field(default_factory=list)
    outbox_message: list[tuple[Any, ...]] = field(default_factory=list)
    slack_message: list[tuple[Any, ...]] = field(default_factory=list)


def _blocks(text: str) -> str:
    return json.dumps([{"type": "section", "text": {"type": "mrkdwn", "text": text}}])


def _history(count: int, *, now: datetime, lead: str) -> Iterator[Rows]:
    """Resolved incidents spread over the year before `now`, in chunks."""
    entry_id = event_id = outbox_id = 0
    rows = Rows()
    for n in range(1, count + 1):
        declared = now - YEAR + YEAR * (n - 1) / count
        lasted = timedelta(minutes=20 + (n * 37) % 160)
        resolved = declared + lasted
        severity = ("P1", "P2", "P3", "P3")[n % 4]
        room, person = f"CHIST{n:06d}", (lead if n % 10 == 5 else PEOPLE[n % len(PEOPLE)])
        speaker = PEOPLE[(n * 7) % len(PEOPLE)]
        needs_postmortem = severity != "P3"
        linked = needs_postmortem and n % 100 != 0  # one in a hundred never gets its link: reminded daily
        rows.incident.append((
            n, room, f"Checkout errors {n}", severity, "resolved", person, speaker, declared,
            resolved + timedelta(minutes=30), resolved, resolved, False,
            "Dear customer, checkout failed for a while." if lasted > timedelta(minutes=30) else None,
            resolved + timedelta(hours=1) if lasted > timedelta(minutes=30) else None,
            speaker if lasted > timedelta(minutes=30) else None,
            "not_owed", speaker, resolved + timedelta(hours=2),
            f"https://wiki.example.com/pm/{n}" if linked else None, speaker if linked else None,
            resolved + timedelta(days=2) if linked else None,
            None if linked or not needs_postmortem else now - timedelta(hours=(n // 100) % 20),
        ))  # fmt: skip
        events: list[tuple[datetime, str | None, str, dict[str, Any]]] = [(declared, person, "declared", {})]
        keys: list[tuple[str, str]] = [(f"incident:{n}:card", room)]
        delivered: list[tuple[str, str | None, str, datetime]] = [("post", None, room, declared)]
        for k in range(3):
            entry_id += 1
            at = declared + lasted * (k + 1) / 4
            kind, phase = ("resolution", None) if k == 2 else ("update", "investigating")
            rows.entry.append((
                entry_id, n, kind, phase, f"Update {k} on checkout.", "a bad deploy" if k == 2 else None,
                "approved", speaker, at, speaker, at + timedelta(minutes=2),
                None if k == 2 else at + timedelta(minutes=32),
            ))  # fmt: skip
            events += [
                (at, speaker, "drafted", {"entry": entry_id, "text": f"Update {k} on checkout."}),
                (at + timedelta(minutes=2), speaker, "approved", {"entry": entry_id}),
            ]
            for key, channel in ((f"entry:{entry_id}:draft", room), (f"entry:{entry_id}:dm:{speaker}", speaker),
                                 (f"entry:{entry_id}:mirror", MIRROR)):  # fmt: skip
                keys.append((key, channel))
                delivered.append(("upsert", key, channel, at + timedelta(minutes=2)))
        events += [(resolved, speaker, "resolved", {}), (resolved, None, "email_drafted", {})]
        delivered.append(("upsert", f"incident:{n}:card", room, resolved))
        for at, actor, kind, data in events:
            event_id += 1
            rows.timeline_event.append((event_id, n, at, actor, kind, json.dumps(data)))
        for purpose, message_key, channel, at in delivered:
            outbox_id += 1
            text = f"INC-{n}: checkout errors, {purpose} {message_key or ''}"
            ts = f"{at.timestamp():.6f}"
            rows.outbox_message.append(
                (outbox_id, n, channel, purpose, message_key, text, _blocks(text), at, "delivered", 1, at, at, ts)
            )
        for key, channel in keys:
            rows.slack_message.append((key, channel, f"{declared.timestamp():.6f}", declared))
        if n % CHUNK == 0 or n == count:
            yield rows
            rows = Rows()


def _open(count: int, *, first_id: int, now: datetime, lead: str, communicator: str) -> Rows:
    """Open incidents, the same whatever the history: one war room each, updates due in an hour."""
    rows = Rows()
    for k in range(count):
        rows.incident.append((
            first_id + k, f"COPEN{k:04d}", f"Open outage {k}", "P2", "investigating", lead, communicator,
            now - timedelta(minutes=5), now + timedelta(hours=1), None, None, False,
        ) + (None,) * 10)  # fmt: skip
    return rows


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def _insert_sqlite(engine: Engine, chunks: Iterator[Rows], *, analyze: bool) -> None:
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("BEGIN")
        for rows in chunks:
            for table, columns in _TABLES:
                values = [tuple(_sqlite_value(v) for v in row) for row in getattr(rows, table)]
                if values:
                    marks = ", ".join("?" * len(columns))
                    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)
        cursor.execute("COMMIT")
        if analyze:
            cursor.execute("ANALYZE")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def _insert_postgres(engine: Engine, chunks: Iterator[Rows], *, analyze: bool) -> None:
    connection = engine.raw_connection()
    try:
        cursor: Any = connection.cursor()
        for rows in chunks:
            for table, columns in _TABLES:
                values = getattr(rows, table)
                if values:
                    naive = [tuple(_naive(v) for v in row) for row in values]
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in naive:
                            copy.write_row(row)
        for table in ("incident", "entry", "timeline_event", "outbox_message"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1)) FROM {table}")
        connection.commit()
        if analyze:
            cursor.execute("ANALYZE")
            connection.commit()
    finally:
        connection.close()


def _naive(value: Any) -> Any:
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value


_TABLES: Sequence[tuple[str, Sequence[str]]] = (
    ("incident", INCIDENT_COLUMNS),
    ("entry", ENTRY_COLUMNS),
    ("timeline_event", EVENT_COLUMNS),
    ("outbox_message", OUTBOX_COLUMNS),
    ("slack_message", LANDING_COLUMNS),
)


def seed(
    url: str,
    *,
    scale: float = 1.0,
    open_incidents: int = 20,
    history: bool = True,
    analyze: bool = True,
    lead: str = "ULEAD",
    communicator: str = "UCOMM",
    now: datetime | None = None,
) -> int:
    """Bring the database to the newest schema and fill it; returns the first open incident's ID."""
    now = now or datetime.now(UTC)
    upgrade(url)
    count = round(INCIDENTS * scale) if history else 0
    first_open = 10_000_000  # open incidents get the same IDs with or without the history
    chunks = _chunks(count, open_incidents, now=now, lead=lead, communicator=communicator, first_open=first_open)
    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            _insert_sqlite(engine, chunks, analyze=analyze)
        else:
            _insert_postgres(engine, chunks, analyze=analyze)
    finally:
        engine.dispose()
    return first_open


def _chunks(count: int, open_incidents: int, *, now: datetime, lead: str, communicator: str, first_open: int
            ) -> Iterator[Rows]:  # fmt: skip
    yield from _history(count, now=now, lead=lead)
    yield _open(open_incidents, first_id=first_open, now=now, lead=lead, communicator=communicator)


def main(argv: list[str] | None = None) -> int:
    """Seed the database named on the command line."""
    parser = argparse.ArgumentParser(description="Seed a year of Warroom history")
    parser.add_argument("url")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--open", type=int, default=20)
    parser.add_argument("--no-history", action="store_true")
    parser.add_argument("--no-analyze", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    seed(args.url, scale=args.scale, open_incidents=args.open, history=not args.no_history,
         analyze=not args.no_analyze)  # fmt: skip
    print(f"seeded {args.url} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
