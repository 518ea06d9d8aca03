"""Requests that are not Slack's, or not shaped as Slack shapes them: refused, and nothing from them is used."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from slack_bolt.request import BoltRequest

from tests.support.fake_slack import Call
from tests.support.feed import opened_view
from tests.support.harness import LEAD, WAR_ROOM, Harness
from tests.support.slack_requests import sign


def _effects(warroom: Harness) -> list[Call]:
    """Everything Warroom sent to Slack, other than looking itself up, once what it owes has been sent."""
    warroom.drain()
    return [c for c in warroom.fake.calls if c.method != "auth.test"]


def _command(warroom: Harness, text: str = "declare P1 Checkout down", response: str = "evil") -> str:
    return warroom.slack.command_body(text, user=LEAD, channel=WAR_ROOM, response=response)


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        ("abc", "v0=" + "0" * 64),
        ("", "v0=" + "0" * 64),
        ("-1", "v0=" + "0" * 64),
        ("1790000000.5", "v0=" + "0" * 64),
        ("1e9", "v0=" + "0" * 64),
        (None, "v0=garbage"),
        (None, ""),
        (None, "v1=" + "0" * 64),
    ],
)
def test_an_unsigned_or_garbled_request_gets_401_and_no_effect(
    warroom: Harness, timestamp: str | None, signature: str
) -> None:
    body = _command(warroom)
    stamp = str(int(time.time())) if timestamp is None else timestamp

    reply = warroom.slack.post(body, timestamp=stamp, signature=signature)

    assert reply.status == 401
    assert _effects(warroom) == []
    assert warroom.incidents() == []


def test_an_unsigned_request_without_a_response_url_never_makes_warroom_post(warroom: Harness) -> None:
    fields = {"command": "/incident", "text": "declare P1 x", "user_id": LEAD, "channel_id": WAR_ROOM}
    body = urlencode(fields)

    reply = warroom.slack.post(body, timestamp="abc", signature="v0=" + "0" * 64)

    assert reply.status == 401
    assert _effects(warroom) == []


def test_a_request_without_signature_headers_gets_401(warroom: Harness) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(warroom.slack.app_url, data=_command(warroom).encode(), method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)

    assert refused.value.code == 401
    refused.value.close()
    assert _effects(warroom) == []


@pytest.mark.parametrize(
    "body",
    [
        "payload=%7Bnot+json",
        "payload=" + json.dumps([1, 2]),
        "payload=42",
        "payload=null",
        '{"type": "block_actions", ',
        "payload=%FF%FE",
    ],
)
def test_a_signed_body_that_cannot_be_read_gets_400_and_no_effect(warroom: Harness, body: str) -> None:
    reply = warroom.slack.post(body)

    assert reply.status == 400
    assert _effects(warroom) == []


EVIL = "evil"  # the fake Slack's response_url these requests name: a leak there would be seen
RESPONSE_URL = "response-url-of-the-fake"  # replaced by the running fake's response_url(EVIL)


def _at_the_fake(warroom: Harness, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with its response_url(s) pointing at the fake Slack, where anything sent is recorded."""
    text = json.dumps(payload).replace(RESPONSE_URL, warroom.fake.response_url(EVIL))
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _submission(view: dict[str, Any]) -> dict[str, Any]:
    """A view_submission as Slack sends it for a modal with a conversation picker set to answer in a channel."""
    urls = [{"block_id": "b", "action_id": "a", "channel_id": WAR_ROOM, "response_url": RESPONSE_URL}]
    return {"type": "view_submission", "user": {"id": LEAD}, "view": {"type": "modal", **view}, "response_urls": urls}


def _text_view(callback_id: str, metadata: str) -> dict[str, Any]:
    """An update or edit modal's view whose private_metadata is not what Warroom gave it."""
    values = {"text": {"text_input": {"type": "plain_text_input", "value": "Checkout is back."}}}
    return {"callback_id": callback_id, "private_metadata": metadata, "state": {"values": values}}


def _prevention_view(metadata: str) -> dict[str, Any]:
    """A prevention-sentence modal's view whose private_metadata is not what Warroom gave it."""
    values = {"prevention": {"prevention_input": {"type": "plain_text_input", "value": "We now stage changes."}}}
    return {"callback_id": "email_prevention", "private_metadata": metadata, "state": {"values": values}}


def _declare_view(
    *,
    severity: Any = None,
    title: Any = None,
    communicator: Any = None,
    metadata: Any = WAR_ROOM,
) -> dict[str, Any]:
    """A declare modal's view as Slack submits it, with one part replaced by something Slack never sends."""
    values = {
        "severity": severity or {"severity_select": {"type": "static_select", "selected_option": {"value": "P1"}}},
        "title": title or {"title_input": {"type": "plain_text_input", "value": "Checkout down"}},
        "communicator": communicator or {"communicator_select": {"type": "users_select", "selected_user": None}},
    }
    return {"callback_id": "declare_incident", "private_metadata": metadata, "state": {"values": values}}


def _action(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": LEAD},
        "api_app_id": "AWARROOM",
        "team": {"id": "T0TEAM"},
        "container": {"type": "message", "channel_id": WAR_ROOM},
        "channel": {"id": WAR_ROOM},
        "trigger_id": "1.trigger",
        "response_url": RESPONSE_URL,
        "actions": [{"action_id": "entry_approve", "value": "1", "type": "button"}],
        **overrides,
    }


@pytest.mark.parametrize(
    "payload",
    [
        _action(actions=[]),
        _action(actions="approve"),
        _action(actions=[{"value": "1", "type": "button"}]),
        _action(actions=[{"action_id": "entry_approve", "type": "button"}]),
        _action(actions=[{"action_id": "entry_approve", "value": "1; DROP", "type": "button"}]),
        _action(user={}),
        {"type": "view_submission", "user": {"id": LEAD}, "view": {"callback_id": "declare_incident"}},
        _submission({"callback_id": "declare_incident"}),
        _submission({"callback_id": "declare_incident", "state": []}),
        _submission(_declare_view(severity={"severity_select": "P1"})),
        _submission(_declare_view(severity={"severity_select": {"type": "static_select", "selected_option": "P1"}})),
        _submission(_declare_view(severity={"severity_select": {"selected_option": {"value": 1}}})),
        _submission(_declare_view(title={"title_input": {"type": "plain_text_input", "value": ["Checkout"]}})),
        _submission(_declare_view(title={"title_input": None})),
        _submission(_declare_view(communicator={"communicator_select": {"selected_user": {"id": LEAD}}})),
        _submission(_declare_view(metadata="")),
        _submission(_declare_view(metadata={"channel": WAR_ROOM})),
        _submission(_text_view("draft_update", '{"channel": 7}')),
        _submission(_text_view("edit_draft", "not json")),
        _submission(_text_view("edit_draft", '{"entry": true}')),
        _action(actions=[{"action_id": "followup_email_prevention", "value": "INC-1", "type": "button"}]),
        _submission(
            {"callback_id": "email_prevention", "private_metadata": '{"incident": 1}', "state": {"values": {}}}
        ),
        _submission(_prevention_view("not json")),
        _submission(_prevention_view('{"entry": 1}')),
    ],
)
def test_a_signed_payload_missing_what_slack_always_sends_gets_400(
    warroom: Harness, payload: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    reply = warroom.slack.interaction(_at_the_fake(warroom, payload))

    assert reply.status == 400
    assert _effects(warroom) == []
    assert warroom.fake.responses(EVIL) == []
    assert not [r for r in caplog.records if r.exc_info], "no stack trace for a malformed request"
    assert any("malformed" in r.getMessage() for r in caplog.records)


def test_a_declare_submission_without_its_fields_gets_400_and_declares_nothing(
    warroom: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    warroom.command("declare")
    view = opened_view(warroom)

    reply = warroom.slack.view_submission(user=LEAD, view=view, values={})

    assert reply.status == 400
    warroom.drain()
    assert warroom.incidents() == []
    assert [c.method for c in _effects(warroom)] == ["conversations.info", "views.open"]
    assert not [r for r in caplog.records if r.exc_info]


def test_a_signed_request_no_listener_handles_gets_404_and_no_effect(warroom: Harness) -> None:
    shortcut = {"type": "shortcut", "callback_id": "nobody_listens", "user": {"id": LEAD}, "trigger_id": "1.t"}

    reply = warroom.slack.interaction(shortcut)

    assert reply.status == 404
    assert _effects(warroom) == []


def test_nul_in_a_command_is_refused_with_a_clear_answer(warroom: Harness) -> None:
    reply = warroom.command("declare P1 Checkout\x00 down")

    assert reply.status == 200
    assert "NUL character" in reply.json()["text"]
    assert warroom.incidents() == []
    assert _effects(warroom) == []


def test_nul_in_a_modal_field_is_shown_beside_that_field(warroom: Harness) -> None:
    warroom.command("declare")
    view = opened_view(warroom)
    values = {
        "severity": {"severity_select": {"type": "static_select", "selected_option": {"value": "P2"}}},
        "title": {"title_input": {"type": "plain_text_input", "value": "Search\x00 is slow"}},
    }

    reply = warroom.slack.view_submission(user=LEAD, view=view, values=values)

    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors" and "NUL character" in answer["errors"]["title"]
    assert warroom.incidents() == []


def test_a_stale_signature_with_a_valid_mac_is_still_refused(warroom: Harness) -> None:
    body = _command(warroom)
    stale = str(int(time.time()) - 400)

    reply = warroom.slack.post(body, timestamp=stale, signature=sign(warroom.slack.secret, stale, body))

    assert reply.status == 401
    assert _effects(warroom) == []


def test_bolt_itself_never_answers_a_request_it_could_not_verify(warroom: Harness) -> None:
    # Behind the front door Bolt never sees such a request; if it ever did (another adapter, say), the error
    # handler must not use the body: no response_url post, no ephemeral, no DM.
    body = _command(warroom)
    headers: dict[str, str | Sequence[str]] = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": "abc",
        "x-slack-signature": "v0=" + "0" * 64,
    }

    response = warroom.warroom.app.dispatch(BoltRequest(body=body, headers=headers))

    assert response.status == 401
    assert _effects(warroom) == []
    assert warroom.incidents() == []


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value, as the keys and indexes that lead to it."""
    found = [prefix]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        found += _paths(item, (*prefix, key))
    return found


def _replaced(payload: dict[str, Any], path: tuple[Any, ...], new: Any) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(payload))
    parent: Any = copy
    for key in path[:-1]:
        parent = parent[key]
    if new is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return copy


_DELETE = object()
_VALID_SUBMISSION = _submission(_declare_view())
_PLACES = [path for path in _paths(_VALID_SUBMISSION) if len(path) > 1 and path[0] in ("view", "user")]
_OTHER_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(_PLACES), new=st.one_of(st.just(_DELETE), _OTHER_JSON))
def test_a_declare_submission_bent_out_of_shape_never_gets_a_5xx_and_is_refused_without_effect(
    warroom: Harness, path: tuple[Any, ...], new: Any
) -> None:
    assume(new is _DELETE or type(new) is not type(_lookup(_VALID_SUBMISSION, path)))  # the shape, not the content
    if not warroom.incidents():  # one is open in the war room: a submission accepted as well-formed declares nothing
        warroom.declare(response="first")
    warroom.drain()
    before = len(warroom.fake.calls)

    reply = warroom.slack.interaction(_at_the_fake(warroom, _replaced(_VALID_SUBMISSION, path, new)))

    assert reply.status < 500
    warroom.drain()
    after = warroom.fake.calls[before:]
    assert not [c for c in after if "unexpected error" in c.everything]
    if reply.status >= 400:
        assert [(c.method, c.channel) for c in after] == [], "a refused request has no effect"
        assert warroom.fake.responses(EVIL) == []


def _lookup(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value
