"""/incident timeline: when Slack refuses the Markdown file, the person is told what failed and what fixes it."""

from __future__ import annotations

from tests.support.fake_slack import Fault
from tests.support.harness import OTHER_ROOM, WAR_ROOM, Harness


def _refusal(warroom: Harness) -> str:
    """Run /incident timeline in the war room; the ephemeral answer that follows the posted timeline."""
    warroom.declare()
    warroom.command("timeline", response="timeline")
    posted, refusal = warroom.fake.wait_response("timeline", 2, timeout=10)
    assert posted.params["response_type"] == "in_channel" and "Timeline of INC-1" in posted.text
    assert refusal.params["response_type"] == "ephemeral"
    return refusal.text


def test_a_token_without_files_write_is_told_to_reinstall_not_to_invite(warroom: Harness) -> None:
    warroom.fake.scopes.discard("files:write")

    told = _refusal(warroom)

    assert told.startswith(
        "Slack refused INC-1's timeline as a Markdown file while reserving the upload "
        "(files.getUploadURLExternal): `missing_scope`."
    )
    assert "lacks the `files:write` scope: a workspace admin must reinstall Warroom" in told
    assert told.endswith("then run `/incident timeline` again. The timeline text above is complete.")
    assert "/invite" not in told


def test_a_war_room_warroom_is_not_in_is_told_to_invite_it(warroom: Harness) -> None:
    warroom.declare()
    warroom.fake.remove_bot(WAR_ROOM)  # the timeline itself still posts through the command's response_url
    warroom.command("timeline", response="timeline")
    _, told = warroom.fake.wait_response("timeline", 2, timeout=10)

    assert told.text.startswith(
        "Slack refused INC-1's timeline as a Markdown file while sharing the file in the channel "
        "(files.completeUploadExternal): `not_in_channel`."
    )
    assert f"Warroom is not in the war room <#{WAR_ROOM}>: invite it there with `/invite @Warroom`" in told.text


def test_a_throttled_upload_says_when_to_try_again(warroom: Harness) -> None:
    # Two 429s: the client's own retry waits out the first; the second is the person's to wait out.
    warroom.fake.fail("files.getUploadURLExternal", Fault(status=429, headers={"Retry-After": "2"}, times=2))

    told = _refusal(warroom)

    assert "(files.getUploadURLExternal): `ratelimited`." in told
    assert "Slack is limiting uploads for now: run `/incident timeline` again in 2 s." in told
    assert "/invite" not in told


def test_any_other_refusal_names_slacks_code_and_says_the_text_is_complete(warroom: Harness) -> None:
    warroom.fake.fail("files.completeUploadExternal", Fault(error="file_uploads_disabled"))

    told = _refusal(warroom)

    assert told == (
        "Slack refused INC-1's timeline as a Markdown file while sharing the file in the channel "
        "(files.completeUploadExternal): `file_uploads_disabled`. The timeline text above is complete; the file "
        "is only a copy of it for the postmortem."
    )


def test_run_from_another_channel_it_says_where_the_complete_text_is(warroom: Harness) -> None:
    warroom.declare()
    warroom.fake.scopes.discard("files:write")

    warroom.command("timeline INC-1", channel=OTHER_ROOM, response="elsewhere")

    posted, told = warroom.fake.wait_response("elsewhere", 2, timeout=10)
    assert posted.text.startswith("Posted INC-1's timeline in its war room")
    assert told.text.endswith(
        f"then run `/incident timeline INC-1` again. The timeline text in <#{WAR_ROOM}> is complete."
    )
