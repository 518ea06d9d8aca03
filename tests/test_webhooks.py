"""Webhooks as a helpdesk receives them: each public step of an incident once, in order, signed (checked with the
standardwebhooks library); never a draft, a rejection, a drill or an internal incident; retried through a receiver
that fails, hangs and goes away; given up after a day with the war room told once; `warroom webhooks test`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.playbook import Playbook
from bot.playbook_public import Webhook
from bot.vocabulary import WebhookEvent
from tests.support import followups
from tests.support.fake_slack import Call
from tests.support.feed import click, opened_view, text_values
from tests.support.harness import DANA, LEAD, OTHER_ROOM, WAR_ROOM, Harness, running, shipped_playbook, start_fake_slack
from tests.support.in_process import run_main
from tests.support.settings import VALID, clean_environ
from tests.support.webhook_receiver import Received, Receiver, new_secret

SECRET_ENV = "WARROOM_TEST_HELPDESK_SECRET"
OTHER_ENV = "WARROOM_TEST_STATUS_SECRET"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    value = new_secret()
    monkeypatch.setenv(SECRET_ENV, value)
    monkeypatch.setenv("WARROOM_WEBHOOK_TIMEOUT", "1s")
    return value


def hooked(*receivers: tuple[str, str, Receiver]) -> Playbook:
    """The shipped playbook with webhooks to these (name, secret variable, receiver), hearing every event."""
    hooks = [Webhook(name=name, url=r.url, secret_env=env, events=list(WebhookEvent)) for name, env, r in receivers]
    return shipped_playbook().model_copy(update={"webhooks": hooks})


@contextmanager
def driven(database_url: str, receiver: Receiver) -> Iterator[Harness]:
    """Warroom with one webhook, `helpdesk`, and no background workers: the test relays and delivers."""
    with running(database_url, playbook=hooked(("helpdesk", SECRET_ENV, receiver)), background=False) as harness:
        yield harness


def relay_and_send(warroom: Harness) -> int:
    """Relay the timeline's new public events, then deliver every webhook due now; how many were settled."""
    warroom.drain()
    warroom.warroom.relay.relay_now()
    return warroom.warroom.webhooks.deliver_now()


def once_each(received: list[Received], secret: str) -> list[dict[str, object]]:
    """The delivered payloads, once per webhook-id, in order, each signature verified by the library."""
    seen: dict[str, dict[str, object]] = {}
    for request in received:
        seen.setdefault(request.webhook_id, request.verified(secret))
    return list(seen.values())


def told_in_war_room(warroom: Harness) -> list[Call]:
    """What the war room was told about the helpdesk webhook."""
    return warroom.fake.received("chat.postMessage", channel=WAR_ROOM, where=lambda c: "Webhook *helpdesk*" in c.text)


def test_each_public_step_reaches_the_helpdesk_once_in_order_signed(
    database_url: str, receiver: Receiver, secret: str
) -> None:
    with driven(database_url, receiver) as warroom:
        followups.named(warroom)
        warroom.command("impact Card payments fail for some customers in the EU")
        followups.first_update(warroom)  # 14:04
        for n in range(4):
            followups.update(
                warroom, f"We continue to work on card payments, update {n}.", minutes=14, response=f"u{n}"
            )
        click(warroom, "entry_correct", warroom.entries()[1].id or 0, by=DANA)
        fixed = "Card payments fail for customers in the EU. We are rolling back the change."
        warroom.slack.view_submission(user=DANA, view=opened_view(warroom), values=text_values(fixed))
        warroom.wait_until(lambda: warroom.events("corrected"))
        followups.resolve(warroom, minutes=10)
        warroom.clock.advance(minutes=30)
        followups.write_prevention(warroom, count=2)  # the Correct modal was the first opened
        click(warroom, "followup_email_sent", 1, by=DANA, response="email")
        warroom.wait_until(lambda: warroom.events("email_sent"))
        click(warroom, "followup_credits_offered", 1, by=LEAD, response="credits")
        warroom.wait_until(lambda: warroom.events("credits_decided"))

        assert relay_and_send(warroom) == 11
        payloads = once_each(receiver.received, secret)
        assert [p["type"] for p in payloads] == [
            "incident.declared",
            *["entry.approved"] * 5,
            "entry.corrected",
            "entry.approved",
            "incident.resolved",
            "followup.published",
            "followup.published",
        ]
        assert len(receiver.received) == 11, "each event sent once"
        declared = payloads[0]["data"]
        assert isinstance(declared, dict)
        assert declared["reference"] == "INC-1" and declared["status"] == "investigating"
        assert declared["impact"] == "critical" and declared["resolved_at"] is None
        assert "Checkout API" not in json.dumps(payloads), "the internal title never leaves"
        first = payloads[1]["data"]
        assert isinstance(first, dict) and first["entry"]["status"] == "investigating"
        assert first["entry"]["next_update_by"] is not None and first["impact_line"] is not None
        corrected = payloads[6]["data"]
        assert isinstance(corrected, dict) and corrected["entry"]["body"] == fixed
        resolved = payloads[8]["data"]
        assert isinstance(resolved, dict) and resolved["status"] == "resolved" and resolved["resolved_at"]
        email, credits = payloads[9]["data"], payloads[10]["data"]
        assert isinstance(email, dict) and email["followup"]["kind"] == "customer_email"
        assert followups.PREVENTION in email["followup"]["body"]
        assert isinstance(credits, dict) and credits["followup"]["body"] == shipped_playbook().credits.policy

        assert relay_and_send(warroom) == 0 and len(receiver.received) == 11, "nothing relayed twice"


def test_drafts_rejections_drills_and_internal_incidents_never_reach_the_endpoint(
    database_url: str, receiver: Receiver, secret: str
) -> None:
    with driven(database_url, receiver) as warroom:
        warroom.command("drill P1 Rehearsal of the checkout outage", channel=OTHER_ROOM, response="drill")
        warroom.wait_until(lambda: warroom.incidents())
        warroom.declare()
        warroom.command(f"communicator <@{DANA}|dana>")
        warroom.wait_until(lambda: warroom.incidents()[1].communicator_id)
        warroom.clock.advance(minutes=1)
        secret_words = "The database primary in eu-west-1 fell over after the vendor patch."
        warroom.command(f"update {secret_words}")
        draft = warroom.wait_until(lambda: [e for e in warroom.entries() if e.text == secret_words])[0]
        click(warroom, "entry_reject", draft.id or 0, by=DANA, response="reject")
        warroom.slack.view_submission(
            user=DANA, view=opened_view(warroom), values={"reason": {"reason_input": {"value": None}}}
        )
        warroom.wait_until(lambda: warroom.events("rejected"))

        assert relay_and_send(warroom) == 1
        [declared] = once_each(receiver.received, secret)
        assert declared["type"] == "incident.declared"
        assert isinstance(declared["data"], dict) and declared["data"]["reference"] == "INC-2", "INC-1 is the drill"
        assert all(secret_words not in r.body for r in receiver.received)
        assert relay_and_send(warroom) == 0 and len(receiver.received) == 1


def test_an_internal_incident_stays_in_slack(database_url: str, receiver: Receiver, secret: str) -> None:
    with driven(database_url, receiver) as warroom:
        warroom.command("declare internal P2 Staging cluster lost its disks", response="internal")
        warroom.wait_until(lambda: warroom.incidents())
        warroom.drain()
        assert warroom.incidents()[0].internal
        warroom.command(f"communicator <@{DANA}|dana>")
        warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)
        followups.first_update(warroom)

        assert relay_and_send(warroom) == 0
        assert receiver.received == []
        assert warroom.fake.received("chat.postMessage", channel=WAR_ROOM), "Slack heard of it as usual"


def test_a_failing_hanging_then_absent_receiver_gets_every_event_once_in_order_after_it_recovers(
    database_url: str, receiver: Receiver, secret: str
) -> None:
    with driven(database_url, receiver) as warroom:
        receiver.status = 500
        followups.named(warroom)
        assert relay_and_send(warroom) == 1  # tried: 500, back in 5 s
        assert warroom.warroom.webhooks.deliver_now() == 0, "not due again yet"
        receiver.status, receiver.hold, receiver.hold_seconds = 200, True, 3.0  # past the 1 s timeout
        warroom.clock.advance(seconds=5)
        assert warroom.warroom.webhooks.deliver_now() == 1  # timed out: back in 10 s
        receiver.stop()  # refused from here on
        warroom.clock.advance(seconds=10)
        assert warroom.warroom.webhooks.deliver_now() == 1  # refused: back in 20 s
        followups.first_update(warroom)  # 2 minutes on: the approval waits behind the declaration
        receiver.start()
        assert relay_and_send(warroom) == 2

        payloads = once_each(receiver.delivered(), secret)
        assert [p["type"] for p in payloads] == ["incident.declared", "entry.approved"]
        declaration_ids = {r.webhook_id for r in receiver.received if '"incident.declared"' in r.body}
        assert len(declaration_ids) == 1, "every retry carries the same webhook-id"
        assert next(r.status for r in receiver.received if '"incident.declared"' in r.body) == 500
        assert relay_and_send(warroom) == 0
        assert warroom.fake.received("chat.postMessage", channel=WAR_ROOM, where=lambda c: "INC-1" in c.text)


def test_a_hung_endpoint_delays_neither_slack_nor_another_endpoint(
    database_url: str, receiver: Receiver, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_WEBHOOK_TIMEOUT", "30s")
    monkeypatch.setenv(OTHER_ENV, new_secret())
    other = Receiver().start()
    receiver.hold, receiver.hold_seconds = True, 60.0
    playbook = hooked(("helpdesk", SECRET_ENV, receiver), ("statuspage", OTHER_ENV, other))
    try:
        with running(database_url, playbook=playbook) as warroom:  # the real workers, in the background
            followups.named(warroom)  # waits for the card in Slack
            warroom.wait_until(lambda: other.delivered() and receiver.holding == 1)
            assert receiver.delivered() == [], "the helpdesk holds the declaration while Slack and the other have it"
            assert other.types() == ["incident.declared"]
            receiver.release()
            warroom.wait_until(lambda: receiver.delivered())
            assert receiver.types() == ["incident.declared"]
    finally:
        receiver.release()
        other.stop()


def test_after_a_day_of_failures_the_war_room_is_told_once_and_later_events_still_go(
    database_url: str, receiver: Receiver, secret: str
) -> None:
    with driven(database_url, receiver) as warroom:
        receiver.stop()
        followups.named(warroom)
        followups.first_update(warroom)
        assert relay_and_send(warroom) == 1, "the approval waits behind the declaration"
        for _ in range(3):
            warroom.clock.advance(hours=9)  # past the day after three: given up
            warroom.warroom.webhooks.deliver_now()
        warroom.drain()
        told = told_in_war_room(warroom)
        assert len(told) == 1, "once for the outage, not once per event given up"
        assert "gave up after retrying for a day" in told[0].text and "Last error: no answer" in told[0].text

        receiver.start()
        followups.update(warroom, "Card payments are recovering.", minutes=1, response="back")
        assert relay_and_send(warroom) == 1
        assert receiver.types() == ["entry.approved"]
        assert "Card payments are recovering." in receiver.delivered()[0].body

        receiver.stop()  # a second outage is told again
        followups.update(warroom, "Card payments work again for most customers.", minutes=1, response="again")
        assert relay_and_send(warroom) == 1
        warroom.clock.advance(hours=25)
        warroom.warroom.webhooks.deliver_now()
        warroom.drain()
        assert len(told_in_war_room(warroom)) == 2

        warroom.clock.advance(days=15)  # past the outbox retention: delivered events are forgotten
        assert warroom.tick()["webhook pruning"] == 1
        assert warroom.tick()["webhook pruning"] == 0


def test_a_gone_endpoint_is_given_up_at_once(database_url: str, receiver: Receiver, secret: str) -> None:
    with driven(database_url, receiver) as warroom:
        receiver.status = 410
        followups.named(warroom)
        assert relay_and_send(warroom) == 1
        warroom.drain()
        told = warroom.fake.received(
            "chat.postMessage", channel=WAR_ROOM, where=lambda c: "Webhook *helpdesk*" in c.text
        )
        assert len(told) == 1 and "HTTP 410: the endpoint says it is gone" in told[0].text
        assert len(receiver.received) == 1


def _playbook_file(tmp_path: Path, receiver: Receiver) -> Path:
    shipped = (Path(__file__).resolve().parents[1] / "bot" / "playbook.yml").read_text(encoding="utf-8")
    path = tmp_path / "playbook.yml"
    path.write_text(
        shipped + f"webhooks:\n  - name: helpdesk\n    url: {receiver.url}\n    secret_env: {SECRET_ENV}\n"
        "    events: [incident.declared, entry.approved]\n",
        encoding="utf-8",
    )
    return path


def test_webhooks_test_sends_a_signed_test_event(tmp_path: Path, receiver: Receiver) -> None:
    secret = new_secret()
    env = {**clean_environ(), **VALID, "WARROOM_PLAYBOOK": str(_playbook_file(tmp_path, receiver))}

    sent = run_main(["webhooks", "test", "helpdesk"], env={**env, SECRET_ENV: secret}, cwd=tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert "webhook helpdesk" in sent.stdout and "delivered, HTTP 200" in sent.stdout
    [request] = receiver.received
    assert request.verified(secret)["type"] == "webhook.test"

    unknown = run_main(["webhooks", "test", "zendesk"], env={**env, SECRET_ENV: secret}, cwd=tmp_path)
    assert unknown.returncode == 2 and "no webhook named 'zendesk'; the playbook's webhooks: helpdesk" in unknown.stderr

    receiver.status = 500
    refused = run_main(["webhooks", "test", "helpdesk"], env={**env, SECRET_ENV: secret}, cwd=tmp_path)
    assert refused.returncode == 1 and "not delivered, HTTP 500" in refused.stdout

    missing = run_main(["webhooks", "test", "helpdesk"], env=env, cwd=tmp_path)
    assert missing.returncode == 2
    assert f"{SECRET_ENV}: missing; the playbook's webhook helpdesk is signed with it" in missing.stderr


def test_a_missing_or_malformed_secret_stops_the_start_naming_the_variable(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.startup import check_webhook_secrets

    playbook = hooked(("helpdesk", SECRET_ENV, receiver))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(SECRET_ENV, raising=False)
    finding = check_webhook_secrets(playbook)
    assert not finding.ok and finding.blocks_start
    assert f"{SECRET_ENV}: missing" in finding.line
    monkeypatch.setenv(SECRET_ENV, "not base64!")
    assert "expected a Standard Webhooks secret" in check_webhook_secrets(playbook).line
    (tmp_path / ".env").write_text(f"{SECRET_ENV}={new_secret()}\n", encoding="utf-8")
    monkeypatch.delenv(SECRET_ENV)
    assert check_webhook_secrets(playbook).ok, "read from .env like every setting"


def test_component_marks_reach_the_helpdesk_with_the_incident_page(
    database_url: str, receiver: Receiver, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_STATUS_URL", "https://status.example.com")
    playbook = hooked(("helpdesk", SECRET_ENV, receiver)).model_copy(update={"components": ["Checkout", "Search"]})
    with running(database_url, playbook=playbook, background=False) as warroom:
        followups.named(warroom)
        followups.first_update(warroom)
        warroom.command("components Checkout=major_outage", user=DANA, response="marks")
        warroom.wait_until(lambda: warroom.events("components_changed"))
        followups.resolve(warroom, minutes=20)

        relay_and_send(warroom)
        payloads = once_each(receiver.delivered(), secret)
        updated = [p["data"] for p in payloads if p["type"] == "component.updated"]
        assert len(updated) == 2, "marked, then operational again on resolution"
        marked, back = updated
        assert isinstance(marked, dict) and isinstance(back, dict)
        assert marked["components"] == {"Checkout": "major_outage"} == marked["changed"]
        assert back["changed"] == {"Checkout": "operational"}
        assert marked["status"] == "investigating" and back["status"] == "resolved", "as of each event, relayed late"
        assert marked["url"] == "https://status.example.com/incidents/INC-1"
        assert [p["type"] for p in payloads][-2:] == ["component.updated", "incident.resolved"]


def test_two_replicas_relaying_and_delivering_at_once_send_each_event_once(
    database_url: str, receiver: Receiver, secret: str
) -> None:
    fake = start_fake_slack()
    playbook = hooked(("helpdesk", SECRET_ENV, receiver))
    try:
        with (
            running(database_url, playbook=playbook, fake=fake, background=False) as one,
            running(database_url, playbook=playbook, fake=fake, clock=one.clock, background=False) as two,
            ThreadPoolExecutor(max_workers=2) as replicas,
        ):
            followups.named(one)
            followups.first_update(one)
            one.drain()
            relayed = [replicas.submit(replica.warroom.relay.relay_now) for replica in (one, two)]
            assert sorted(done.result(timeout=20) for done in relayed) == [0, 2]
            sent = [replicas.submit(replica.warroom.webhooks.deliver_now) for replica in (one, two)]
            assert sum(done.result(timeout=20) for done in sent) == 2
        assert [p["type"] for p in once_each(receiver.received, secret)] == ["incident.declared", "entry.approved"]
        assert len(receiver.received) == 2, "each event sent by one replica only"
    finally:
        fake.stop()


@pytest.mark.parametrize("secret", ["abc", "notasecret", "whsec_!!!", "dGhpcyBpcyBub3QgcHJlZml4ZWQ="])
def test_a_secret_that_is_not_whsec_and_base64_is_refused_naming_its_variable(secret: str) -> None:
    from bot.config import ConfigError
    from bot.playbook_public import Webhook
    from bot.publish.webhook_sending import endpoints
    from bot.vocabulary import WebhookEvent

    approved = [WebhookEvent.ENTRY_APPROVED]
    hook = Webhook(name="helpdesk", url="https://x.example/h", secret_env="HELPDESK_SECRET", events=approved)
    with pytest.raises(ConfigError) as raised:
        endpoints([hook], environ={"HELPDESK_SECRET": secret})
    assert str(raised.value) == "HELPDESK_SECRET: expected a Standard Webhooks secret, whsec_ followed by base64"
