"""The sandbox renderer: Block Kit messages and modals into safe HTML, checked by parsing what it produces."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot import ids
from bot.playbook import load_playbook
from bot.render.blocks import IncidentCard, declare_modal, incident_card, nomination_prompt
from bot.render.entries import UpdateForm, draft_card, edit_modal, entry_post, reject_modal, update_modal
from bot.render.followups import Line, checklist, email_shown, postmortem_modal
from bot.render.reminders import with_button
from bot.sandbox.blockkit import Names, message_html, modal_html
from bot.vocabulary import Phase
from tests.support.html_tree import Node, act, parse

NAMES = Names(users={"ULEAD0001": "Sam Okafor", "UDANA0001": "Dana Whitfield"}, channels={"C1": "war-room"})
USERS = [("ULEAD0001", "Sam Okafor"), ("UDANA0001", "Dana Whitfield")]


# blocks, from the bot's own builders

PLAYBOOK = load_playbook()


def _card() -> Node:
    at = datetime(2026, 11, 22, 14, 2, tzinfo=UTC)
    card = IncidentCard(
        ref="INC-42",
        title="Checkout <down> & out",
        severity=PLAYBOOK.severity_names()[0],
        status="investigating",
        lead_id="ULEAD0001",
        communicator_id=None,
        declared_at=at,
        next_update_due_at=at,
        resolved_at=None,
        updated_once=False,
    )
    message = incident_card(card, PLAYBOOK)
    return parse(message_html(text=message.text, blocks=message.blocks, names=NAMES))


def test_the_incident_card_header_fields_and_context() -> None:
    tree = _card()
    blocks = tree.all("div", "bk-block")
    assert [b.attrs["class"] for b in blocks] == [
        "bk-block bk-header",
        "bk-block bk-section",
        "bk-block bk-section",
        "bk-block bk-context",
    ]
    assert [b.attrs["data-block-id"] for b in blocks] == ["b0", "b1", "b2", "b3"]
    assert tree.one("h3", "bk-header").text.startswith("INC-42 · ")
    assert blocks[1].one("strong").text == "Checkout <down> & out"
    fields = tree.one("div", "bk-fields").all("div", "bk-field")
    assert len(fields) == 6 and fields[2].one("span", "bk-mention").text == "@Sam Okafor"
    assert fields[3].one("em").text == "not yet nominated"
    assert tree.one("span", "bk-context-text").one("code").text == "/incident help"


def test_the_draft_card_buttons_carry_their_action() -> None:
    message = draft_card(
        headline="*Draft* for INC-42",
        text="We are investigating.",
        warnings=["Vague: say what fails"],
        footer="Drafted by <@UDANA0001>",
        entry_id=7,
        decided=None,
    )
    tree = parse(message_html(text=message.text, blocks=message.blocks, names=NAMES))
    buttons = tree.all("button")
    assert [(b.text, b.attrs["class"]) for b in buttons] == [
        ("Approve", "bk-button bk-primary"),
        ("Edit", "bk-button bk-default"),
        ("Reject", "bk-button bk-danger"),
    ]
    assert [act(b) for b in buttons] == [
        {"type": "button", "block_id": ids.draft_buttons(7), "action_id": action, "value": "7"}
        for action in (ids.APPROVE_ACTION, ids.EDIT_ACTION, ids.REJECT_ACTION)
    ]
    assert all(b.attrs["type"] == "button" for b in buttons)
    assert tree.one("blockquote").text == "We are investigating."
    assert tree.all("div", "bk-section")[2].text.startswith("⚠️ Wording check")


def test_posted_entries_checklists_reminders_and_email() -> None:
    entry = entry_post("*INC-42* fixed", entry_id=3, correctable=True)
    posted = parse(message_html(text=entry.text, blocks=entry.blocks, names=NAMES)).one("button")
    assert act(posted) == {"type": "button", "block_id": "posted:3", "action_id": ids.CORRECT_ACTION, "value": "3"}
    lines = [Line("Send the email", (("Sent", ids.EMAIL_SENT_ACTION, "primary"),)), Line("~Credits~ done")]
    listed = checklist(title="Follow-ups for INC-42", lines=lines, incident_id=5)
    tree = parse(message_html(text=listed.text, blocks=listed.blocks, names=NAMES))
    assert tree.one("h3").text == "Follow-ups for INC-42" and tree.one("del").text == "Credits"
    assert act(tree.one("button"))["action_id"] == ids.EMAIL_SENT_ACTION
    reminder = with_button("Update owed", label="Draft it", action_id=ids.REMINDER_DRAFT_ACTION, incident_id=5)
    assert parse(message_html(text="", blocks=reminder.blocks, names=NAMES)).one("button").text == "Draft it"
    email = email_shown(intro="The email:", email="Dear customer,\n&lt;thanks&gt;")
    assert parse(message_html(text="", blocks=email.blocks, names=NAMES)).one("pre").text == (
        "Dear customer,\n<thanks>"
    )


def test_the_nomination_picker_lists_the_workspace() -> None:
    message = nomination_prompt(9, "Who talks to customers?")
    tree = parse(message_html(text=message.text, blocks=message.blocks, names=NAMES, users=USERS))
    select = tree.one("div", "bk-accessory").one("select", "bk-select")
    assert act(select) == {"type": "users_select", "block_id": "nominate:9", "action_id": ids.NOMINATE_ACTION}
    options = select.all("option")
    assert [(o.attrs["value"], o.text) for o in options] == [("", "Choose the communicator"), *USERS]


def test_text_without_blocks_is_mrkdwn() -> None:
    tree = parse(message_html(text="*hi* <@UDANA0001>", blocks=None, names=NAMES))
    assert tree.one("div", "bk-text").one("strong").text == "hi"


def test_url_buttons_confirm_dialogs_selects_and_overflow() -> None:
    confirm = {
        "title": {"type": "plain_text", "text": "Approve?"},
        "text": {"type": "mrkdwn", "text": "Post to *customers*?"},
        "confirm": {"type": "plain_text", "text": "Post"},
        "deny": {"type": "plain_text", "text": "Wait"},
        "style": "danger",
    }
    option = {"text": {"type": "plain_text", "text": "Two"}, "value": "2"}
    elements = [
        {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "go", "confirm": confirm},
        {"type": "button", "text": {"type": "plain_text", "text": "Docs"}, "url": "https://d.example", "value": "v"},
        {"type": "button", "text": {"type": "plain_text", "text": "Bad"}, "url": "javascript:alert(1)"},
        {
            "type": "static_select",
            "action_id": "pick",
            "option_groups": [{"label": {"type": "plain_text", "text": "G"}, "options": [option]}],
            "initial_option": option,
        },
        {"type": "overflow", "action_id": "more", "options": [option]},
    ]
    tree = parse(message_html(text="", blocks=[{"type": "actions", "elements": elements}], names=NAMES))
    go = tree.all("button")[0]
    assert json.loads(go.attrs["data-confirm"] or "") == {
        "title": "Approve?",
        "text": "Post to customers?",
        "html": "Post to <strong>customers</strong>?",
        "confirm": "Post",
        "deny": "Wait",
        "style": "danger",
    }
    link = tree.one("a")
    assert (link.attrs["href"], link.attrs["target"], link.text) == ("https://d.example", "_blank", "Docs")
    assert act(link) == {"type": "button", "block_id": "b0", "action_id": "a1", "value": "v"}
    assert tree.all("button")[1].text == "Bad" and "href" not in tree.all("button")[1].attrs
    pick, more = tree.all("select")
    assert act(pick) == {"type": "static_select", "block_id": "b0", "action_id": "pick"}
    assert pick.one("optgroup").attrs["label"] == "G" and pick.children[0].attrs == {"value": ""}
    assert pick.one("optgroup").one("option").attrs == {"value": "2", "selected": None}
    assert act(more)["type"] == "overflow"


def test_images_dividers_rich_text_and_unknown_blocks() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "divider"},
        {"type": "image", "image_url": "https://i.example/a.png", "alt_text": 'graph "5xx"'},
        {"type": "image", "image_url": "javascript:alert(1)", "alt_text": "bad"},
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "<hi> ", "style": {"bold": True}},
                        {"type": "user", "user_id": "ULEAD0001"},
                        {"type": "link", "url": "https://x.example", "text": "x"},
                    ],
                }
            ],
        },
        {"type": "video", "block_id": "v"},
        {"type": "context", "elements": [{"type": "image", "image_url": "https://i.example/b.png", "alt_text": "b"}]},
    ]
    tree = parse(message_html(text="", blocks=blocks, names=NAMES))
    assert tree.one("hr", "bk-divider")
    shown, context_image = tree.all("img")
    assert (shown.attrs["src"], shown.attrs["alt"]) == ("https://i.example/a.png", 'graph "5xx"')
    assert context_image.attrs["class"] == "bk-context-image"
    assert tree.one("span", "bk-image-missing").text == "[image: bad]"
    rich = tree.one("p", "bk-rich-section")
    assert rich.one("strong").text == "<hi> " and rich.one("span", "bk-mention").text == "@Sam Okafor"
    assert rich.one("a").attrs["href"] == "https://x.example"
    assert tree.one("div", "bk-unsupported").text == "unsupported block: video"


# modals


def test_the_declare_modal_as_a_form_with_an_error_beside_its_field() -> None:
    view = {**declare_modal(channel_id="C1", playbook=PLAYBOOK), "id": "V1"}
    form = parse(modal_html(view, names=NAMES, errors={ids.TITLE_BLOCK: "Say what broke"}, users=USERS)).one("form")
    assert (form.attrs["data-callback-id"], form.attrs["data-view-id"]) == (ids.DECLARE_VIEW, "V1")
    assert form.one("h2", "bk-modal-title").text == "Declare an incident"
    assert (
        form.one("button", "bk-primary").attrs["type"] == "submit" and form.one("button", "bk-close").text == "Cancel"
    )
    inputs = form.all("div", "bk-input")
    assert [i.attrs["data-block-id"] for i in inputs] == [
        ids.SEVERITY_BLOCK,
        ids.TITLE_BLOCK,
        ids.IMPACT_BLOCK,
        ids.COMMUNICATOR_BLOCK,
        ids.INTERNAL_BLOCK,
    ]
    severity = inputs[0].one("select")
    assert severity.attrs["name"] == f"{ids.SEVERITY_BLOCK}.{ids.SEVERITY_ACTION}" and "data-act" not in severity.attrs
    assert "required" in severity.attrs and len(severity.all("option")) == len(PLAYBOOK.severity_names()) + 1
    title = inputs[1]
    field = title.one("input")
    assert field.attrs["name"] == f"{ids.TITLE_BLOCK}.{ids.TITLE_ACTION}" and field.attrs["data-type"] == (
        "plain_text_input"
    )
    assert field.attrs["aria-invalid"] == "true" and "required" in field.attrs and field.attrs["maxlength"]
    kids = [child.tag for child in title.children]
    assert kids[:3] == ["label", "input", "p"] and title.one("p", "bk-error").attrs["role"] == "alert"
    assert title.one("p", "bk-error").text == "Say what broke" and len(form.all("p", "bk-error")) == 1
    impact = inputs[2]
    assert impact.one("label").text.endswith("(optional)") and "required" not in impact.one("input").attrs
    people = inputs[3].one("select")
    assert people.attrs["data-type"] == "users_select" and [o.text for o in people.all("option")][1:] == [
        "Sam Okafor",
        "Dana Whitfield",
    ]


def test_the_update_edit_and_reject_modals() -> None:
    form = UpdateForm(channel_id="C1", phase=Phase.INVESTIGATING, drafts={Phase.INVESTIGATING: "We <see> errors"})
    tree = parse(modal_html(update_modal(form), names=NAMES, errors={}, users=USERS))
    assert [o.attrs for o in tree.one("select").all("option") if "selected" in o.attrs] == [
        {"value": "investigating", "selected": None}
    ]
    assert tree.one("textarea").text == "We <see> errors"
    edit = parse(
        modal_html(edit_modal(entry_id=1, text="t", cause="c", correcting=True), names=NAMES, errors={}, users=())
    )
    assert edit.one("input").attrs["value"] == "c" and edit.one("h2").text == "Correct the entry"
    reject = reject_modal(entry_id=1, ref="INC-1", text="draft", channel_id="C1", reason_limit=300)
    rejected = parse(modal_html(reject, names=NAMES, errors={}, users=()))
    assert rejected.one("div", "bk-section").one("strong").text == "INC-1"
    assert rejected.one("button", "bk-close").text == "Keep it" and "required" not in rejected.one("textarea").attrs
    url = parse(modal_html(postmortem_modal(incident_id=1, ref="INC-1"), names=NAMES, errors={}, users=()))
    assert url.one("input").attrs["type"] == "url" and url.one("input").attrs["data-type"] == "url_text_input"


def test_modal_choices_dates_and_accessory_buttons() -> None:
    def block(element: dict[str, Any], block_id: str) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block_id,
            "label": {"type": "plain_text", "text": block_id},
            "element": element,
        }

    option = {"text": {"type": "plain_text", "text": "Yes"}, "value": "y"}
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "T"},
        "blocks": [
            {
                "type": "section",
                "block_id": "s",
                "text": {"type": "mrkdwn", "text": "x"},
                "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Help"}, "action_id": "h"},
            },
            block({"type": "checkboxes", "action_id": "c", "options": [option], "initial_options": [option]}, "box"),
            block({"type": "radio_buttons", "action_id": "r", "options": [option]}, "radio"),
            block({"type": "datepicker", "action_id": "d", "initial_date": "2026-11-24"}, "day"),
            block({"type": "multi_users_select", "action_id": "m", "initial_users": ["UDANA0001"]}, "many"),
            block({"type": "file_input", "action_id": "f"}, "file"),
        ],
    }
    tree = parse(modal_html(view, names=NAMES, errors={}, users=USERS))
    assert tree.all("button", "bk-primary") == []
    assert act(tree.one("div", "bk-accessory").one("button")) == {"type": "button", "block_id": "s", "action_id": "h"}
    box, radio, day = tree.all("input")
    assert (box.attrs["type"], box.attrs["name"], box.attrs["value"], "checked" in box.attrs) == (
        "checkbox",
        "box.c",
        "y",
        True,
    )
    assert (radio.attrs["type"], "checked" in radio.attrs) == ("radio", False)
    assert (day.attrs["type"], day.attrs["value"]) == ("date", "2026-11-24")
    many = tree.one("select")
    assert "multiple" in many.attrs and [o.attrs["value"] for o in many.all("option") if "selected" in o.attrs] == [
        "UDANA0001"
    ]
    assert tree.one("div", "bk-unsupported").text == "unsupported element: file_input"
