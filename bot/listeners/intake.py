"""What a request must be before a listener sees it: signed by Slack, readable, and shaped as Slack shapes it.

Nothing from a request that failed verification is ever used: the HTTP front door (bot/server.py) refuses it
with 401 before Bolt reads it, and the error handler answers only requests this module's middleware marked as
verified.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot import ids

log = logging.getLogger(__name__)

VERIFIED = "warroom_verified"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
NUL_IN_COMMAND = (
    "Your text contains a NUL character (an invisible control character, usually pasted from a terminal or a "
    "file). Warroom can't store it: remove it and send the command again."
)
# Buttons whose value is the incident's or entry's ID, and the input blocks each modal always submits.
_ID_BUTTONS = {
    ids.APPROVE_ACTION, ids.REJECT_ACTION, ids.EDIT_ACTION, ids.CORRECT_ACTION, ids.REMINDER_DRAFT_ACTION,
    ids.NO_NEWS_ACTION, ids.EMAIL_SENT_ACTION, ids.CREDITS_OFFERED_ACTION, ids.CREDITS_NOT_OWED_ACTION,
    ids.POSTMORTEM_ACTION, ids.PREVENTION_ACTION,
}  # fmt: skip
_MODAL_BLOCKS = {
    ids.DECLARE_VIEW: (ids.SEVERITY_BLOCK, ids.TITLE_BLOCK),
    ids.UPDATE_VIEW: (ids.TEXT_BLOCK,),
    ids.EDIT_VIEW: (ids.TEXT_BLOCK,),
    ids.CORRECT_VIEW: (ids.TEXT_BLOCK,),
    ids.POSTMORTEM_VIEW: (ids.URL_BLOCK,),
    ids.REJECT_VIEW: (ids.REASON_BLOCK,),
    ids.PREVENTION_VIEW: (ids.PREVENTION_BLOCK,),
}
# What each modal puts in private_metadata: the channel's ID, or a JSON object holding one ID.
_METADATA_KEYS = {
    ids.UPDATE_VIEW: "channel", ids.EDIT_VIEW: "entry", ids.CORRECT_VIEW: "entry", ids.POSTMORTEM_VIEW: "incident",
    ids.REJECT_VIEW: "entry", ids.PREVENTION_VIEW: "incident",
}  # fmt: skip
_CHANNEL_ID = re.compile(r"[CDG][A-Z0-9]{2,}")
# The typed parts of an input's state, as Slack sends them: text, a picked user, a picked option.
_STATE_TYPES: dict[str, type] = {"value": str, "selected_user": str, "selected_option": dict, "selected_options": list}
NUL_IN_FIELD = "This text contains a NUL character (an invisible control character). Remove it and submit again."


class MalformedRequest(Exception):
    """A signed request that is not shaped as Slack shapes it: refused with 400, nothing done."""


def signed_by_slack(verifier: SignatureVerifier, *, body: bytes, timestamp: str | None, signature: str | None) -> bool:
    """Whether Slack signed this body in the last five minutes; False for any malformed header, never an error."""
    if timestamp is None or signature is None:
        return False
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return False
    try:
        return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except (ValueError, TypeError):
        return False


def malformed(body: bytes, content_type: str) -> str | None:
    """What is wrong with a body (read the way Bolt reads it), or None when it is shaped as Slack shapes it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    if not text:
        return None
    if content_type.startswith("application/json") or text.startswith("{"):
        return _object_problem(text, "the JSON body")
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in text and "payload" in form:
        return _object_problem(form["payload"], "payload=")
    return shape_problem(form)


def _object_problem(text: str, what: str) -> str | None:
    try:
        value = json.loads(text)
    except ValueError:
        return f"{what} is not JSON"
    return shape_problem(value) if isinstance(value, dict) else f"{what} is JSON but not an object"


def register(app: App) -> None:
    """Check every request's shape before any listener runs (HTTP and Socket Mode alike)."""

    def admit(body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        context[VERIFIED] = True  # only reached after Bolt's own signature check (or over Socket Mode)
        problem = shape_problem(body)
        if problem is not None:
            log.warning("refused a malformed %s request: %s", _kind(body), problem)
            return BoltResponse(status=400, body=f"Bad Request: {problem}")
        return nul_answer(body) or next()

    app.use(admit)


def shape_problem(body: dict[str, Any]) -> str | None:
    """What is missing from a payload that every listener relies on, or None when nothing is."""
    kind = body.get("type")
    if "command" in body:
        if not all(isinstance(body.get(k), str) and body.get(k) for k in ("command", "user_id", "channel_id")):
            return "a slash command without command, user_id or channel_id"
        return None if isinstance(body.get("text", ""), str) else "a slash command whose text is not text"
    if kind in ("block_actions", "view_submission", "view_closed") and not _user_id(body):
        return f"{kind} without user.id"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "block_actions without actions"
        if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            return "an action without action_id"
        return _action_problem(actions[0])
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            return f"{kind} without view.callback_id"
        if not isinstance(view.get("type"), str):  # Bolt reads it to tell a modal from a workflow step
            return f"{kind} without view.type"
        if kind == "view_submission":
            return _submission_problem(view)
    return None


def _submission_problem(view: dict[str, Any]) -> str | None:
    """What a submitted modal lacks of the input blocks Slack always sends for it, or None."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict):
        return "view_submission without view.state.values"
    callback = view["callback_id"]
    missing = [block for block in _MODAL_BLOCKS.get(callback, ()) if not isinstance(values.get(block), dict)]
    if missing:
        return f"a {callback} submission without its {', '.join(missing)} field"
    return _values_problem(values) or _metadata_problem(callback, view.get("private_metadata"))


def _values_problem(values: dict[str, Any]) -> str | None:
    """What in the submitted inputs is not shaped as Slack shapes it (block → action → typed state), or None."""
    for block_id, block in values.items():
        if not isinstance(block, dict):
            return f"the input block {block_id[:40]!r} is not an object"
        for action_id, state in block.items():
            if not isinstance(state, dict):
                return f"the input {action_id[:40]!r} is not an object"
            for part, kind in _STATE_TYPES.items():
                if state.get(part) is not None and not isinstance(state[part], kind):
                    return f"the input {action_id[:40]!r} has a {part} that is not a {kind.__name__}"
            options = [state.get("selected_option"), *(state.get("selected_options") or [])]
            if any(isinstance(o, dict) and not isinstance(o.get("value"), str) for o in options):
                return f"the input {action_id[:40]!r} has an option without a value"
            if any(o is not None and not isinstance(o, dict) for o in options[1:]):
                return f"the input {action_id[:40]!r} has a selected option that is not an object"
    return None


def _metadata_problem(callback: str, metadata: Any) -> str | None:
    """What is wrong with the private_metadata Warroom gave the modal it opened, or None."""
    if callback == ids.DECLARE_VIEW and not (isinstance(metadata, str) and metadata.startswith("{")):
        ok = isinstance(metadata, str) and _CHANNEL_ID.fullmatch(metadata) is not None
        return None if ok else "a declare submission without its channel"  # a drill's form says so in JSON
    key = "channel" if callback == ids.DECLARE_VIEW else _METADATA_KEYS.get(callback)
    if key is None:
        return None
    try:
        parsed = json.loads(metadata) if isinstance(metadata, str) else None
    except ValueError:
        parsed = None
    value = parsed.get(key) if isinstance(parsed, dict) else None
    if key == "channel":
        ok = isinstance(value, str) and _CHANNEL_ID.fullmatch(value) is not None
    else:
        ok = isinstance(value, int | str) and not isinstance(value, bool) and _is_id(str(value))
    return None if ok else f"a {callback} submission without its {key}"


def _action_problem(action: dict[str, Any]) -> str | None:
    """What a click on one of Warroom's own buttons or pickers lacks, or None."""
    action_id = action["action_id"]
    if action_id in _ID_BUTTONS and not _is_id(action.get("value")):
        return f"a {action_id} click without an ID as its value"
    if action_id == ids.NOMINATE_ACTION:
        incident = str(action.get("block_id") or "").removeprefix(ids.NOMINATE_BLOCK_PREFIX)
        if not _is_id(incident) or not isinstance(action.get("selected_user"), str):
            return "a nomination pick without its incident or its person"
    return None


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19


def nul_answer(body: dict[str, Any]) -> BoltResponse | None:
    """Refuse text holding a NUL character (PostgreSQL can't store it), saying so where the person typed it."""
    if "command" in body and "\x00" in body.get("text", ""):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": NUL_IN_COMMAND})
    if body.get("type") != "view_submission":
        return None
    values: dict[str, Any] = body["view"]["state"]["values"]
    errors = {block_id: NUL_IN_FIELD for block_id, block in values.items() if _holds_nul(block)}
    return BoltResponse(status=200, body={"response_action": "errors", "errors": errors}) if errors else None


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _user_id(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    return user_id if isinstance(user_id, str) and user_id else None


def _kind(body: dict[str, Any]) -> str:
    return str(body.get("type") or body.get("command") or "unknown")[:40]
