"""Block Kit (messages, modals) into safe HTML for the sandbox page; interactive parts carry what Slack would send."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from markupsafe import Markup, escape

from bot.sandbox.mrkdwn import Names, as_plain, mrkdwn, plain_text, safe_url, text_object

__all__ = ["Names", "message_html", "modal_html", "mrkdwn", "plain_text"]

_TEXT_INPUTS = {
    "plain_text_input": "text",
    "url_text_input": "url",
    "email_text_input": "email",
    "number_input": "number",
    "datepicker": "date",
    "timepicker": "time",
}
_SELECTS = {
    "static_select",
    "multi_static_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
    "overflow",
}


@dataclass(frozen=True)
class _Where:
    """What an element needs to know about its surroundings."""

    names: Names
    users: Sequence[tuple[str, str]]
    block_id: str = ""
    form: bool = False  # inside a modal's input block: named fields, no data-act
    optional: bool = False
    error: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


def message_html(
    *, text: str, blocks: list[dict[str, Any]] | None, names: Names, users: Sequence[tuple[str, str]] = ()
) -> Markup:
    """A message as Slack shows it: its blocks, or its text as mrkdwn when it has none."""
    if not blocks:
        return Markup('<div class="bk-text">{}</div>').format(mrkdwn(text, names))
    where = _Where(names=names, users=users)
    return Markup("").join(_block(block, index, where, {}) for index, block in enumerate(blocks))


def modal_html(
    view: dict[str, Any], *, names: Names, errors: Mapping[str, str], users: Sequence[tuple[str, str]]
) -> Markup:
    """A modal view as a form: title, blocks (inputs named `block_id.action_id`), errors beside their field, buttons."""
    where = _Where(names=names, users=users)
    body = Markup("").join(_block(block, i, where, errors) for i, block in enumerate(view.get("blocks", [])))
    submit = (
        Markup('<button type="submit" class="bk-button bk-primary">{}</button>').format(plain_text(view["submit"]))
        if view.get("submit")
        else Markup("")
    )
    close = plain_text(view.get("close") or "Cancel")
    return Markup(
        '<form class="bk-modal" data-callback-id="{}" data-view-id="{}">'
        '<header class="bk-modal-header"><h2 class="bk-modal-title">{}</h2></header>'
        '<div class="bk-modal-body">{}</div>'
        '<footer class="bk-modal-footer"><button type="button" class="bk-close">{}</button>{}</footer></form>'
    ).format(view.get("callback_id", ""), view.get("id", ""), plain_text(view.get("title")), body, close, submit)


def _block(block: dict[str, Any], index: int, where: _Where, errors: Mapping[str, str]) -> Markup:
    kind = str(block.get("type", ""))
    block_id = str(block.get("block_id") or f"b{index}")
    here = replace(where, block_id=block_id)
    renderer = _BLOCKS.get(kind)
    if kind == "input":
        here = replace(here, form=True, optional=bool(block.get("optional")), error=errors.get(block_id))
    inner = renderer(block, here) if renderer else _unsupported("block", kind)
    css = re.sub(r"[^a-z0-9_-]", "", kind) or "unknown"
    return Markup('<div class="bk-block bk-{}" data-block-id="{}">{}</div>').format(css, block_id, inner)


def _unsupported(what: str, kind: str) -> Markup:
    return Markup('<div class="bk-unsupported">unsupported {}: {}</div>').format(what, kind)


def _header(block: dict[str, Any], where: _Where) -> Markup:
    return Markup('<h3 class="bk-header">{}</h3>').format(plain_text(block.get("text")))


def _divider(block: dict[str, Any], where: _Where) -> Markup:
    return Markup('<hr class="bk-divider">')


def _context(block: dict[str, Any], where: _Where) -> Markup:
    parts = []
    for element in block.get("elements", []):
        if element.get("type") == "image":
            parts.append(_image(element, "bk-context-image"))
        elif element.get("type") in ("mrkdwn", "plain_text"):
            parts.append(Markup('<span class="bk-context-text">{}</span>').format(text_object(element, where.names)))
        else:
            parts.append(_unsupported("element", str(element.get("type"))))
    return Markup('<div class="bk-context-line">{}</div>').format(Markup("").join(parts))


def _image(element: dict[str, Any], css: str) -> Markup:
    src = safe_url(str(element.get("image_url", "")))
    alt = str(element.get("alt_text", ""))
    if src is None or not src.startswith("http"):
        return Markup('<span class="bk-image-missing">[image: {}]</span>').format(alt)
    return Markup('<img class="{}" src="{}" alt="{}">').format(css, src, alt)


def _image_block(block: dict[str, Any], where: _Where) -> Markup:
    title = block.get("title")
    caption = Markup('<div class="bk-image-title">{}</div>').format(plain_text(title)) if title else Markup("")
    return caption + _image(block, "bk-image")


def _section(block: dict[str, Any], where: _Where) -> Markup:
    out = Markup("")
    if block.get("text"):
        out += Markup('<div class="bk-section-text">{}</div>').format(text_object(block["text"], where.names))
    if block.get("fields"):
        cells = Markup("").join(
            Markup('<div class="bk-field">{}</div>').format(text_object(item, where.names)) for item in block["fields"]
        )
        out += Markup('<div class="bk-fields">{}</div>').format(cells)
    if block.get("accessory"):
        out += Markup('<div class="bk-accessory">{}</div>').format(_element(block["accessory"], where, 0))
    return out


def _actions(block: dict[str, Any], where: _Where) -> Markup:
    row = Markup("").join(_element(element, where, i) for i, element in enumerate(block.get("elements", [])))
    return Markup('<div class="bk-actions-row">{}</div>').format(row)


def _input(block: dict[str, Any], where: _Where) -> Markup:
    element = block.get("element", {})
    action_id = str(element.get("action_id") or "a0")
    field_id = f"bk-{where.block_id}.{action_id}"
    optional = Markup(' <span class="bk-optional">(optional)</span>') if where.optional else Markup("")
    out = Markup('<label class="bk-label" for="{}">{}{}</label>').format(
        field_id, plain_text(block.get("label")), optional
    )
    out += _element(element, replace(where, extra={"id": field_id}), 0)
    if where.error:
        out += Markup('<p class="bk-error" role="alert" id="{}-error">{}</p>').format(field_id, where.error)
    if block.get("hint"):
        out += Markup('<p class="bk-hint">{}</p>').format(plain_text(block["hint"]))
    return out


def _rich_text(block: dict[str, Any], where: _Where) -> Markup:
    return Markup("").join(_rich_part(part, where) for part in block.get("elements", []))


def _rich_part(part: dict[str, Any], where: _Where) -> Markup:
    kind = part.get("type")
    inner = Markup("").join(_rich_inline(item, where) for item in part.get("elements", []))
    if kind == "rich_text_section":
        return Markup('<p class="bk-rich-section">{}</p>').format(inner)
    if kind == "rich_text_quote":
        return Markup('<blockquote class="bk-quote">{}</blockquote>').format(inner)
    if kind == "rich_text_preformatted":
        return Markup('<pre class="bk-pre">{}</pre>').format(inner)
    if kind == "rich_text_list":
        tag = Markup("ol" if part.get("style") == "ordered" else "ul")
        items = Markup("").join(
            Markup("<li>{}</li>").format(Markup("").join(_rich_inline(i, where) for i in sec.get("elements", [])))
            for sec in part.get("elements", [])
        )
        return Markup('<{} class="bk-rich-list">{}</{}>').format(tag, items, tag)
    return _unsupported("rich text element", str(kind))


def _rich_inline(item: dict[str, Any], where: _Where) -> Markup:
    kind = item.get("type")
    if kind == "text":
        shown = escape(str(item.get("text", "")))
        for style, tag in (("code", "code"), ("bold", "strong"), ("italic", "em"), ("strike", "del")):
            if item.get("style", {}).get(style):
                shown = Markup("<{}>{}</{}>").format(Markup(tag), shown, Markup(tag))
        return shown
    if kind == "link":
        url = str(item.get("url", ""))
        label = f"|{item['text']}" if item.get("text") else ""
        return mrkdwn(f"<{url}{label}>".replace("&", "&amp;"), where.names)
    if kind == "user":
        return mrkdwn(f"<@{item.get('user_id', '')}>", where.names)
    if kind == "channel":
        return mrkdwn(f"<#{item.get('channel_id', '')}>", where.names)
    if kind == "broadcast":
        return mrkdwn(f"<!{item.get('range', '')}>", where.names)
    if kind == "emoji":
        return mrkdwn(f":{item.get('name', '')}:", where.names)
    return _unsupported("rich text element", str(kind))


def _element(element: dict[str, Any], where: _Where, index: int) -> Markup:
    """One interactive element: in a form it is a named field; elsewhere it carries `data-act`."""
    kind = str(element.get("type", ""))
    action_id = str(element.get("action_id") or f"a{index}")
    attrs: dict[str, str] = dict(where.extra)
    if where.form:
        attrs |= {"name": f"{where.block_id}.{action_id}", "data-type": kind}
        if where.error:
            attrs |= {"aria-invalid": "true", "aria-describedby": f"{attrs.get('id', '')}-error"}
    else:
        attrs["data-act"] = json.dumps({"type": kind, "block_id": where.block_id, "action_id": action_id})
    if kind == "button":
        return _button(element, where, action_id)
    if kind == "image":
        return _image(element, "bk-accessory-image")
    if kind in _SELECTS:
        return _select(element, where, attrs)
    if kind in _TEXT_INPUTS:
        return _text_input(element, where, attrs)
    if kind in ("checkboxes", "radio_buttons"):
        return _choices(element, where, attrs)
    return _unsupported("element", kind)


def _attrs(attrs: Mapping[str, str | bool]) -> Markup:
    out = Markup("")
    for name, value in attrs.items():
        if value is True:
            out += Markup(" {}").format(name)
        elif value is not False:
            out += Markup(' {}="{}"').format(name, value)
    return out


def _button(element: dict[str, Any], where: _Where, action_id: str) -> Markup:
    act: dict[str, str] = {"type": "button", "block_id": where.block_id, "action_id": action_id}
    if "value" in element:
        act["value"] = str(element["value"])
    style = element.get("style") if element.get("style") in ("primary", "danger") else "default"
    attrs: dict[str, str | bool] = {"class": f"bk-button bk-{style}", "data-act": json.dumps(act)}
    if isinstance(element.get("confirm"), dict):
        attrs["data-confirm"] = json.dumps(_confirm(element["confirm"], where.names))
    label = plain_text(element.get("text"))
    url = safe_url(str(element["url"])) if element.get("url") else None
    if url is not None and url.startswith("http"):
        link = {"href": url, "target": "_blank", "rel": "noopener noreferrer"}
        return Markup("<a{}>{}</a>").format(_attrs(link | attrs), label)
    return Markup("<button{}>{}</button>").format(_attrs({"type": "button"} | attrs), label)


def _confirm(confirm: dict[str, Any], names: Names) -> dict[str, str]:
    shown = text_object(confirm.get("text"), names)
    return {
        "title": as_plain(plain_text(confirm.get("title") or "Are you sure?")),
        "text": as_plain(shown),
        "html": str(shown),
        "confirm": as_plain(plain_text(confirm.get("confirm") or "Yes")),
        "deny": as_plain(plain_text(confirm.get("deny") or "Cancel")),
        "style": str(confirm.get("style") or "primary"),
    }


def _options(element: dict[str, Any], where: _Where) -> list[tuple[str, str, str | None]]:
    """(value, text, group) for each choice a select offers."""
    kind = str(element.get("type"))
    if "users_select" in kind:
        return [(user_id, name, None) for user_id, name in where.users]
    if "conversations_select" in kind or "channels_select" in kind:
        return [(channel_id, f"#{name}", None) for channel_id, name in where.names.channels.items()]
    choices: list[tuple[str, str, str | None]] = [
        (str(o.get("value", "")), as_plain(plain_text(o.get("text"))), None) for o in element.get("options", [])
    ]
    for group in element.get("option_groups", []):
        label = as_plain(plain_text(group.get("label")))
        choices += [(str(o.get("value", "")), as_plain(plain_text(o.get("text"))), label) for o in group["options"]]
    return choices


def _initial(element: dict[str, Any]) -> set[str]:
    """The values a select or choice list starts with."""
    values: set[str] = set()
    for key in ("initial_user", "initial_conversation", "initial_channel"):
        if element.get(key):
            values.add(str(element[key]))
    for key in ("initial_users", "initial_conversations", "initial_channels"):
        values |= {str(value) for value in element.get(key, [])}
    chosen = [element["initial_option"]] if element.get("initial_option") else element.get("initial_options", [])
    return values | {str(option.get("value", "")) for option in chosen}


def _select(element: dict[str, Any], where: _Where, attrs: dict[str, str]) -> Markup:
    kind = str(element.get("type"))
    multiple = kind.startswith("multi_")
    required = where.form and not where.optional
    first = Markup("")
    if not multiple:
        placeholder = plain_text(element.get("placeholder") or ("⋯" if kind == "overflow" else "Select an item"))
        first = Markup('<option value="">{}</option>').format(placeholder)
    chosen = _initial(element)
    groups: dict[str | None, Markup] = {}
    for value, text, group in _options(element, where):
        selected = Markup(" selected") if value in chosen else Markup("")
        groups[group] = groups.get(group, Markup("")) + Markup('<option value="{}"{}>{}</option>').format(
            value, selected, text
        )
    body = first + groups.pop(None, Markup(""))
    for label, options in groups.items():
        body += Markup('<optgroup label="{}">{}</optgroup>').format(label, options)
    own: dict[str, str | bool] = {"class": "bk-select", "multiple": multiple, "required": required}
    return Markup("<select{}>{}</select>").format(_attrs(own | attrs), body)


def _text_input(element: dict[str, Any], where: _Where, attrs: dict[str, str]) -> Markup:
    kind = str(element.get("type"))
    initial = str(element.get(_initial_key(kind)) or "")
    own: dict[str, str | bool] = {"class": "bk-input-field", "required": where.form and not where.optional}
    if element.get("placeholder"):
        own["placeholder"] = as_plain(plain_text(element["placeholder"]))
    if element.get("max_length"):
        own["maxlength"] = str(element["max_length"])
    if element.get("min_length"):
        own["minlength"] = str(element["min_length"])
    if kind == "plain_text_input" and element.get("multiline"):
        return Markup("<textarea{}>{}</textarea>").format(_attrs(own | attrs), initial)
    own |= {"type": _TEXT_INPUTS[kind], "value": initial} if initial else {"type": _TEXT_INPUTS[kind]}
    return Markup("<input{}>").format(_attrs(own | attrs))


def _initial_key(kind: str) -> str:
    return {"datepicker": "initial_date", "timepicker": "initial_time"}.get(kind, "initial_value")


def _choices(element: dict[str, Any], where: _Where, attrs: dict[str, str]) -> Markup:
    kind = "checkbox" if element.get("type") == "checkboxes" else "radio"
    chosen = _initial(element)
    out = Markup("")
    for value, text, _ in _options(element, where):
        own: dict[str, str | bool] = {"type": kind, "value": value, "checked": value in chosen}
        field_attrs = {key: val for key, val in attrs.items() if key != "id"}
        out += Markup('<label class="bk-choice"><input{}> {}</label>').format(_attrs(own | field_attrs), text)
    return Markup('<div class="bk-choices" id="{}">{}</div>').format(attrs.get("id", ""), out)


_BLOCKS = {
    "header": _header,
    "divider": _divider,
    "context": _context,
    "image": _image_block,
    "section": _section,
    "actions": _actions,
    "input": _input,
    "rich_text": _rich_text,
}
