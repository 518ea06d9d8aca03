"""The queries Warroom runs stay index-backed on a database with history, with and without ANALYZE.

Every SELECT, UPDATE and DELETE the running bot sends while the flows are driven through Slack (declare, nominate,
draft, approve, list, audit, timeline, reminders, resolve, follow-ups, pruning) is recorded, then explained on
the same database: first with no statistics, then after ANALYZE. None may read a whole big table.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, text
from sqlmodel import Session, select

from bench.seed_history import PEOPLE, seed
from bot.store.models import OutboxMessage
from tests.support.feed import approve
from tests.support.harness import DANA, LEAD, MIRROR, START, WAR_ROOM, Harness, running

TABLES = {"incident", "entry", "timeline_event", "outbox_message", "slack_message"}
# Partial indexes hold only the few rows a hot query wants (pending messages, open incidents, owed follow-ups):
# reading one whole is cheap however long the history.
PARTIAL = {
    "ix_outbox_pending", "ix_outbox_pending_channel", "ix_outbox_pending_key", "ix_outbox_delivered_at",
    "ix_incident_open", "ix_incident_open_due", "ix_incident_email_owed", "ix_incident_postmortem_owed",
    "ix_incident_audit_unsettled", "uq_incident_open_channel",
}  # fmt: skip


@contextmanager
def recording() -> Iterator[dict[str, Any]]:
    """Every distinct statement the bot's threads send, with the parameters it was first sent with."""
    statements: dict[str, Any] = {}

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        wanted = statement.lstrip().split(" ", 1)[0].upper() in ("SELECT", "UPDATE", "DELETE")
        if wanted and not executemany and threading.current_thread() is not threading.main_thread():
            statements.setdefault(statement, parameters)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _key(call: Any) -> str:
    return str(((call.params.get("metadata") or {}).get("event_payload") or {}).get("key", ""))


def _draft_id(warroom: Harness, skip: set[int]) -> int:
    """The newest draft card's entry ID in the war room."""

    def newest() -> int | None:
        found = {int(_key(c).split(":")[1]) for c in warroom.fake.received("chat.postMessage", channel=WAR_ROOM)
                 if _key(c).endswith(":draft")} - skip  # fmt: skip
        return max(found) if found else None

    entry_id = warroom.wait_until(newest)
    skip.add(entry_id)
    return entry_id


def _approved(warroom: Harness, entry_id: int) -> None:
    approve(warroom, entry_id, by=DANA, response=f"approve{entry_id}")
    warroom.fake.wait_for("chat.postMessage", channel=MIRROR, where=lambda c: _key(c) == f"entry:{entry_id}:mirror")


def _drive(warroom: Harness) -> None:
    """Every flow once, through Slack."""
    seen: set[int] = set()
    for person in PEOPLE:
        warroom.fake.add_user(person, person.lower())
    warroom.command("declare P1 Checkout API returning 500s")
    first = _draft_id(warroom, seen)
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.fake.wait_for("chat.postMessage", channel=DANA, where=lambda c: _key(c) == f"entry:{first}:dm:{DANA}")
    _approved(warroom, first)
    warroom.command("update We rolled back the deploy and are watching errors.")
    _approved(warroom, _draft_id(warroom, seen))
    for name in ("list", "audit", "timeline"):
        warroom.command(name, response=name)
        warroom.fake.wait_response(name)
    warroom.clock.advance(minutes=16)  # the next update is overdue
    warroom.fake.wait_for("chat.postMessage", channel=DANA, where=lambda c: "overdue" in c.text.lower())
    warroom.command("resolve A configuration change exhausted the pool.", response="resolve")
    _approved(warroom, _draft_id(warroom, seen))
    warroom.fake.wait_for("chat.postMessage", channel=WAR_ROOM, where=lambda c: "Follow-ups for" in c.text)
    warroom.clock.advance(hours=24, minutes=2)  # the postmortem reminder
    # the history's forgotten postmortems are due too, one transaction each, before this one
    warroom.fake.wait_for("chat.postMessage", channel=DANA, timeout=60, where=lambda c: "no link yet" in c.text)
    rows = _outbox_size(warroom.engine)
    warroom.clock.advance(days=15)  # past the retention: the pruning job runs
    warroom.wait_until(lambda: _outbox_size(warroom.engine) < rows, timeout=60)


def _outbox_size(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(OutboxMessage)).one())


def _sqlite_scans(connection: Any, statement: str, parameters: Any) -> list[str]:
    plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    bad = []
    for row in plan:
        detail = str(row[-1])
        match = re.match(r"SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?", detail)
        if match and match.group(1) in TABLES and match.group(2) not in PARTIAL:
            bad.append(detail)
    return bad


def _postgres_scans(connection: Any, statement: str, parameters: Any) -> list[str]:
    [[plan]] = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).fetchall()
    bad: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        table, index = node.get("Relation Name"), node.get("Index Name")
        if table in TABLES and node["Node Type"].endswith("Scan"):  # not the ModifyTable above a scan
            whole = node["Node Type"] == "Seq Scan" or (
                index not in PARTIAL and "Index Cond" not in node and "Bitmap" not in node["Node Type"]
            )
            if whole:
                bad.append(f"{node['Node Type']} on {table} {index or ''}")
        for child in node.get("Plans", []):
            walk(child)

    walk((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
    return bad


def _full_scans(url: str, statements: dict[str, Any]) -> dict[str, list[str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            explain = _sqlite_scans if engine.dialect.name == "sqlite" else _postgres_scans
            found = {sql: explain(connection, sql, params) for sql, params in statements.items()}
            connection.rollback()
    finally:
        engine.dispose()
    return {
        re.sub(r"^\s*SELECT .*?\sFROM", "SELECT … FROM", sql, flags=re.S): scans
        for sql, scans in found.items()
        if scans
    }


def _analyze(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def test_every_query_reads_through_an_index_with_or_without_statistics(upgraded_database_url: str) -> None:
    database_url = upgraded_database_url  # tables created afresh: no statistics left from an earlier test
    seed(database_url, scale=0.05, open_incidents=0, analyze=False, lead=LEAD, communicator=DANA,
         now=START - timedelta(days=1))  # fmt: skip
    with recording() as statements, running(database_url) as warroom:
        _drive(warroom)

    assert any("outbox_message.message_key LIKE" in sql for sql in statements), "the draft refresh ran"
    assert any(sql.lstrip().startswith("DELETE FROM outbox_message") for sql in statements), "pruning ran"
    assert _full_scans(database_url, statements) == {}, "without statistics"
    _analyze(database_url)
    assert _full_scans(database_url, statements) == {}, "after ANALYZE"
