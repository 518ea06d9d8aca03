"""/incident timeline: the text and the Markdown file go through the outbox, retried like any message, shared once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.store.models import OutboxMessage
from tests.support.driven_delivery import delivery_stopped, own_worker
from tests.support.fake_slack import FakeSlack, Fault
from tests.support.harness import LEAD, OTHER_ROOM, WAR_ROOM, Harness

SHARE = "files.completeUploadExternal"


def _shared(fake: FakeSlack) -> list[dict[str, Any]]:
    """The war room's messages that carry a file."""
    return [m for m in fake.messages.get(WAR_ROOM, []) if m.get("files")]


def _upload_row(warroom: Harness) -> OutboxMessage:
    [row] = [r for r in warroom.outbox() if r.purpose == "upload"]
    return row


def _row_when(warroom: Harness, ok: Callable[[OutboxMessage], bool], timeout: float = 5.0) -> OutboxMessage:
    """The upload's row, once it is as `ok` wants it (the delivery worker settles it in the background)."""
    return warroom.wait_until(lambda: next((row for row in [_upload_row(warroom)] if ok(row)), None), timeout)


def _ask(warroom: Harness, *, channel: str = WAR_ROOM, text: str = "timeline") -> str:
    """Run /incident timeline; the ephemeral answer the command gives at once."""
    warroom.command(text, channel=channel, response="timeline")
    [answer] = warroom.fake.wait_response("timeline")
    assert answer.params["response_type"] == "ephemeral"
    return answer.text


def test_the_timeline_arrives_as_text_then_as_a_markdown_file_in_the_war_room(warroom: Harness) -> None:
    warroom.declare()

    told = _ask(warroom)

    assert told == (
        "INC-1's timeline is on its way here: the text, then a Markdown file of it for the postmortem a moment later."
    )
    [share] = warroom.fake.wait_for(SHARE, timeout=10)
    [posted] = warroom.fake.received("chat.postMessage", where=lambda c: "Timeline of INC-1" in c.text)
    assert posted.channel == WAR_ROOM and posted.at < share.at, "the text first, then the file, in the channel's order"
    assert share.params["channel_id"] == WAR_ROOM
    assert share.params["initial_comment"] == "INC-1's timeline as Markdown, ready to paste into the postmortem."
    [reserved] = warroom.fake.received("files.getUploadURLExternal")
    assert reserved.params["filename"] == "INC-1-timeline.md"
    [file] = warroom.fake.files.values()
    assert file["content"].startswith("# INC-1 timeline: Checkout API returning 500s")
    assert int(reserved.params["length"]) == len(file["content"].encode())
    [message] = _shared(warroom.fake)
    assert message["files"][0]["title"] == "INC-1 timeline"
    row = _row_when(warroom, lambda r: r.state == "delivered")
    assert row.user_id == LEAD and row.file_id == file["id"]


def test_run_from_another_channel_it_goes_to_the_war_room_only(warroom: Harness) -> None:
    warroom.declare()

    told = _ask(warroom, channel=OTHER_ROOM, text="timeline INC-1")

    assert told.startswith(f"INC-1's timeline is on its way to its war room, <#{WAR_ROOM}>: the text, then")
    warroom.fake.wait_for(SHARE, timeout=10)
    warroom.drain()
    assert warroom.fake.received("chat.postMessage", channel=OTHER_ROOM) == []
    assert [c.params["channel_id"] for c in warroom.fake.received(SHARE)] == [WAR_ROOM]
    assert [c.channel for c in warroom.fake.received("chat.postMessage") if "Timeline" in c.text] == [WAR_ROOM]


def test_the_upload_survives_a_429_and_a_5xx_and_arrives_once(warroom: Harness) -> None:
    warroom.declare()
    warroom.fake.fail("files.getUploadURLExternal", Fault(status=429, headers={"Retry-After": "3"}))
    warroom.fake.fail(SHARE, Fault(status=500, error="internal_error"))

    _ask(warroom)

    warroom.fake.wait_for("files.getUploadURLExternal", timeout=10)  # throttled: the row waits out Retry-After
    row = _row_when(warroom, lambda r: r.last_error == "ratelimited")
    assert row.next_attempt_at == warroom.clock.now() + timedelta(seconds=3)
    warroom.clock.advance(seconds=3)
    warroom.warroom.delivery.wake()
    warroom.fake.wait_for(SHARE, timeout=10)  # Slack fails while sharing: backed off, then looked for first
    warroom.wait_until(lambda: _upload_row(warroom).last_error == "internal_error")
    warroom.clock.advance(seconds=2)
    warroom.warroom.delivery.wake()

    row = _row_when(warroom, lambda r: r.state == "delivered", timeout=10)
    [message] = _shared(warroom.fake)
    assert message["files"][0]["id"] == row.file_id
    assert row.attempts == 3 and len(warroom.fake.received(SHARE)) == 2
    assert len(warroom.fake.received("conversations.history", channel=WAR_ROOM)) == 1, "looked before sharing again"


def _owe_timeline(warroom: Harness) -> None:
    warroom.command("timeline", response="timeline")
    warroom.wait_until(lambda: [r for r in warroom.outbox() if r.purpose == "upload"])


def _declare(warroom: Harness) -> None:
    warroom.declare()


def test_a_share_slack_took_but_whose_answer_was_lost_is_found_not_shared_twice(database_url: str) -> None:
    with delivery_stopped(database_url, before=_declare, owe=_owe_timeline) as (warroom, fake, clock, engine):
        fake.fail(SHARE, Fault(delay=2))  # Slack shares the file at once, then answers after the client gave up
        worker = own_worker(engine, fake, clock, timeout=1)
        worker.drain()
        row = _upload_row(warroom)
        assert row.state == "pending" and row.file_id is not None
        assert len(_shared(fake)) == 1, "Slack did share it"

        clock.advance(seconds=7)  # settle_wait(1 s) is 6 s: only then is the channel read for it
        worker.drain()

        row = _upload_row(warroom)
        [message] = _shared(fake)
        assert row.state == "delivered" and row.ts == message["ts"]
        assert len(fake.received(SHARE)) == 1, "shared exactly once"
        assert len(fake.received("files.getUploadURLExternal")) == 1, "no second upload either"


def test_a_share_slack_never_received_is_shared_on_the_next_attempt(database_url: str) -> None:
    with delivery_stopped(database_url, before=_declare, owe=_owe_timeline) as (warroom, fake, clock, engine):
        fake.fail(SHARE, Fault(status=503, error="service_unavailable"))
        worker = own_worker(engine, fake, clock, timeout=1)
        worker.drain()
        assert _shared(fake) == []

        clock.advance(seconds=2)
        worker.drain()

        [message] = _shared(fake)
        row = _upload_row(warroom)
        assert row.state == "delivered" and message["files"][0]["id"] == row.file_id
        first, second = fake.received("files.getUploadURLExternal")
        assert first.params["filename"] == second.params["filename"] == "INC-1-timeline.md"


def _dm_to(fake: FakeSlack, user: str, timeout: float = 10) -> str:
    [dm] = fake.wait_for("chat.postMessage", channel=user, where=lambda c: "Slack refused" in c.text, timeout=timeout)
    return dm.text


def test_a_token_without_files_write_tells_whoever_asked_to_have_warroom_reinstalled(warroom: Harness) -> None:
    warroom.declare()
    warroom.fake.scopes.discard("files:write")

    _ask(warroom)

    told = _dm_to(warroom.fake, LEAD)
    assert told.startswith(
        "Slack refused the file “INC-1 timeline” while reserving the upload (files.getUploadURLExternal): "
        "`missing_scope`."
    )
    assert "lacks the `files:write` scope: a workspace admin must reinstall Warroom" in told
    assert f"The message Warroom posted with it in <#{WAR_ROOM}> has the same text." in told
    assert _upload_row(warroom).state == "failed"
    assert warroom.fake.received("chat.postMessage", where=lambda c: "Timeline of INC-1" in c.text)


def test_any_other_refusal_names_slacks_code(warroom: Harness) -> None:
    warroom.declare()
    warroom.fake.fail(SHARE, Fault(error="file_uploads_disabled"))

    _ask(warroom)

    assert _dm_to(warroom.fake, LEAD) == (
        "Slack refused the file “INC-1 timeline” while sharing the file in the channel "
        f"(files.completeUploadExternal): `file_uploads_disabled`. The message Warroom posted with it in <#{WAR_ROOM}> "
        "has the same text; the file is only a copy of it for the postmortem."
    )
    time.sleep(0.2)
    assert _shared(warroom.fake) == []


def test_a_war_room_warroom_was_removed_from_tells_whoever_asked_to_invite_it_back(warroom: Harness) -> None:
    warroom.declare()
    warroom.fake.remove_bot(WAR_ROOM)

    _ask(warroom)

    told = _dm_to(warroom.fake, LEAD)
    assert told.startswith(
        "Slack refused the file “INC-1 timeline” while sharing the file in the channel "
        "(files.completeUploadExternal): `not_in_channel`."
    )
    assert f"Warroom is not in <#{WAR_ROOM}>: invite it there with `/invite @Warroom`, then ask for it again." in told
    assert told.endswith(f"Until then Warroom can post nothing in <#{WAR_ROOM}>.")
    assert _upload_row(warroom).state == "failed"
