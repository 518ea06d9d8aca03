"""One complete P1 as the support lead sees it in the mirror, from activation to stand-down: the README's example.

The rendered mirror is compared with the block in README.md between the mirror-example markers. When the wording
changes on purpose, regenerate it: WARROOM_WRITE_MIRROR_EXAMPLE=/tmp/mirror_example.md pytest
tests/test_mirror_story.py -k sqlite, and paste that file's block into README.md.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

from bot.incidents import keys
from tests.support.feed import approve, click, opened_view, text_values, wait_posted
from tests.support.harness import DANA, ERIN, LEAD, MIRROR, Harness
from tests.support.mirror import activation_text, render, settled, wait_in_thread

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- mirror-example:start -->", "<!-- mirror-example:end -->"
WRITE_TO = "WARROOM_WRITE_MIRROR_EXAMPLE"
IMPACT = "Checkout and card payments fail for all customers in the EU"
PREVENTION = "We now roll out payment configuration changes to one region at a time, watching card declines."


def _declare_in_the_modal(warroom: Harness) -> int:
    warroom.command("declare")
    raw = warroom.fake.wait_for("views.open")[0].params["view"]
    view: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else dict(raw)
    option = {"value": "P1", "text": {"type": "plain_text", "text": "P1 · Full outage"}}
    values = {
        "severity": {"severity_select": {"type": "static_select", "selected_option": option}},
        "title": {"title_input": {"type": "plain_text_input", "value": "payments-api 500s after deploy 4411"}},
        "impact": {"impact_input": {"type": "plain_text_input", "value": IMPACT}},
        "communicator": {"communicator_select": {"type": "users_select", "selected_user": None}},
    }
    assert warroom.slack.view_submission(user=LEAD, view=view, values=values).status == 200
    incident = warroom.wait_until(lambda: warroom.incidents())[0]
    return incident.id or 0


def _draft_and_approve(warroom: Harness, text: str, *, by: str, response: str) -> int:
    before = len(warroom.entries())
    warroom.command(f"update {text}", user=by, response=f"draft-{response}")
    entry = warroom.wait_until(lambda: warroom.entries()[before:])[0]
    approve(warroom, entry.id or 0, by=DANA, response=response)
    wait_posted(warroom, entry.id or 0)
    return entry.id or 0


def _views_opened(warroom: Harness) -> int:
    return len(warroom.fake.received("views.open"))


def _submit_next_view(warroom: Harness, opened_before: int, values: dict[str, Any]) -> None:
    view = opened_view(warroom, opened_before + 1)
    assert warroom.slack.view_submission(user=DANA, view=view, values=values).status == 200


def walk_a_p1(warroom: Harness) -> None:
    """Declare (with an impact line), name the communicator, and run the incident to its postmortem."""
    incident_id = _declare_in_the_modal(warroom)  # 14:02
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)

    warroom.clock.advance(minutes=2)  # 14:04: the first draft, and with it the impact line, approved
    approve(warroom, warroom.entries()[0].id or 0, by=DANA, response="first")
    wait_posted(warroom, warroom.entries()[0].id or 0)

    warroom.clock.advance(minutes=16)  # 14:20: the update committed for 14:19 is late
    wait_in_thread(warroom, incident_id, "is late")

    warroom.clock.advance(minutes=2)  # 14:22
    identified = _draft_and_approve(
        warroom,
        "identified: A configuration change to card payments in the EU is rejecting them. We are rolling it back.",
        by=ERIN,
        response="identified",
    )

    warroom.clock.advance(minutes=3)  # 14:25: a correction, so whoever quoted the 14:22 update finds out
    opened = _views_opened(warroom)
    click(warroom, "entry_correct", identified, by=DANA)
    fixed = "A configuration change to card payments in the EU is rejecting them. Rolling it back has started."
    _submit_next_view(warroom, opened, text_values(fixed))
    wait_in_thread(warroom, incident_id, "corrected at")

    warroom.clock.advance(minutes=10)  # 14:35: customers can pay again in part
    warroom.command("severity P2", user=DANA)
    wait_in_thread(warroom, incident_id, "severity changed")

    warroom.clock.advance(minutes=1)  # 14:36
    _draft_and_approve(
        warroom,
        "monitoring: The change is rolled back and most card payments in the EU succeed again. We are watching "
        "the remaining failures.",
        by=DANA,
        response="monitoring",
    )

    warroom.clock.advance(minutes=14)  # 14:50: resolved; the stand-down follows it
    warroom.command("resolve A configuration change to card payments in the EU rejected them.", user=DANA)
    resolution = warroom.wait_until(lambda: [e for e in warroom.entries() if e.kind == "resolution"])[0]
    approve(warroom, resolution.id or 0, by=DANA, response="resolved")
    wait_in_thread(warroom, incident_id, "stand down")

    warroom.clock.advance(minutes=15)  # 15:05: credits, the email as sent, and the postmortem
    click(warroom, "followup_credits_offered", incident_id, by=DANA, response="credits")
    wait_in_thread(warroom, incident_id, "credits are being offered")
    opened = _views_opened(warroom)
    click(warroom, "followup_email_prevention", incident_id, by=DANA, response="prevention")
    _submit_next_view(
        warroom, opened, {"prevention": {"prevention_input": {"type": "plain_text_input", "value": PREVENTION}}}
    )
    warroom.wait_until(lambda: PREVENTION in (warroom.incidents()[0].email_text or ""))
    click(warroom, "followup_email_sent", incident_id, by=DANA, response="sent")
    wait_in_thread(warroom, incident_id, "customer email went out")

    warroom.clock.advance(hours=20)  # the next day
    opened = _views_opened(warroom)
    click(warroom, "followup_postmortem_link", incident_id, by=DANA, response="postmortem")
    url = {"url": {"url_input": {"type": "url_text_input", "value": "https://wiki.example.com/postmortems/inc-1"}}}
    _submit_next_view(warroom, opened, url)
    wait_in_thread(warroom, incident_id, "post-incident review is linked")
    settled(warroom)


def rendered_mirror(warroom: Harness) -> str:
    """The mirror channel as plain text, in order, with each thread under its parent."""
    return render(warroom.fake.messages.get(MIRROR, []))


def readme_block(text: str) -> str:
    """The README block between the markers, as it should read."""
    return f"{START}\n```text\n{text}\n```\n{END}"


def test_the_support_lead_follows_one_p1_from_activation_to_stand_down(warroom: Harness) -> None:
    walk_a_p1(warroom)
    text = rendered_mirror(warroom)

    assert IMPACT in activation_text(warroom, 1), "the activation was updated in place with the approved line"
    assert "payments-api" not in text and "4411" not in text, "the internal title is never mirrored"
    assert text.count("\n    ↳ ") == 11, "everything after the activation is in the incident's thread"
    broadcast = [str(m["text"]) for m in warroom.fake.messages[MIRROR] if m.get("subtype") == "thread_broadcast"]
    assert warroom.fake.top_level(MIRROR) == [activation_text(warroom, 1), *broadcast], "the rest: thread only"
    assert warroom.fake.ts_of(MIRROR, keys.mirror_notice(1, keys.MirrorNotice.STAND_DOWN)) is not None

    target = os.environ.get(WRITE_TO)
    if target:
        Path(target).write_text(readme_block(text) + "\n", encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    current = readme[readme.index(START) : readme.index(END) + len(END)] if START in readme else ""
    if current != readme_block(text):
        diff = "\n".join(
            difflib.unified_diff(
                current.splitlines(), readme_block(text).splitlines(), "README.md", "rendered", lineterm=""
            )
        )
        raise AssertionError(
            f"README.md's mirror example differs from what the mirror shows (regenerate it with "
            f"{WRITE_TO}=/tmp/mirror_example.md pytest tests/test_mirror_story.py -k sqlite, then paste that "
            f"file's block between the {START} and {END} markers):\n{diff}"
        )
