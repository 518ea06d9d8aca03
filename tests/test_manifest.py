"""manifest.yml: a valid Slack app manifest whose bot scopes are exactly the ones Warroom's code needs."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema.validators import validator_for
from slack_sdk import WebClient
from slack_sdk.web.base_client import BaseClient

from bot import ids
from bot.slack.scopes import BOT_SCOPES

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"
BOT = ROOT / "bot"
# A copy of Slack's manifest schema (MIT, see LICENSE-manifest-schema next to it), so a fresh clone can run this.
SCHEMA = Path(__file__).resolve().parent / "data" / "manifest.schema.1.0.0.json"
EVENTS_PATH = "/slack/events"  # bot/server.py serves Slack's requests here in HTTP mode

# Every Web API method Warroom calls, or is likely to, with the bot scopes it needs
# (https://docs.slack.dev/reference/methods/<method> -> "Scopes"). Calling a method that is missing here fails
# test_bot_scopes_are_exactly_what_the_code_calls: look the method up, add it here, and add its scope to
# manifest.yml (then reinstall the app so the bot token carries it).
METHOD_SCOPES: dict[str, set[str]] = {
    "auth_test": set(),
    "chat_postMessage": {"chat:write"},  # also DMs: channel=<user ID> posts in the app's Messages tab
    "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_delete": {"chat:write"},
    "chat_scheduleMessage": {"chat:write"},
    "chat_getPermalink": set(),
    "users_info": {"users:read"},
    "views_open": set(),
    "views_update": set(),
    "views_push": set(),
    "views_publish": set(),
    "conversations_open": {"im:write"},
    "conversations_info": {"channels:read", "groups:read"},  # public and private mirror channels
    "apps_connections_open": set(),  # called with the app-level token (connections:write), not the bot token
    "conversations_join": {"channels:join"},
    # Public and private channels, and the bot's DMs (read on the D… channel after a crash, see bot/delivery).
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    # A thread's replies, which conversations.history never shows (read after a crash, see bot/delivery/lookup.py).
    "conversations_replies": {"channels:history", "groups:history", "im:history"},
    "files_upload_v2": {"files:write"},
    "files_getUploadURLExternal": {"files:write"},  # files_upload_v2's steps, taken one by one in bot/delivery
    "files_completeUploadExternal": {"files:write"},
    "pins_add": {"pins:write"},
    "reactions_add": {"reactions:write"},
    "bookmarks_add": {"bookmarks:write"},
}
SLASH_COMMAND_SCOPE = "commands"

# WebClient's own Web API methods (chat_postMessage, users_info, ...), without BaseClient's plumbing (api_call).
WEB_API_METHODS = frozenset(
    name
    for name in dir(WebClient)
    if not name.startswith("_") and callable(getattr(WebClient, name)) and not hasattr(BaseClient, name)
)


def web_api_uses(source: str, filename: str) -> dict[str, list[str]]:
    """The Web API methods a module uses, each with where: `client.users_info`, `api_call("chat.update")`, `say()`."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(source, filename=filename)):
        method: str | None = None
        if isinstance(node, ast.Attribute) and node.attr in WEB_API_METHODS:
            method = node.attr
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "api_call":
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                method = first.value.replace(".", "_")
            else:
                method = "api_call(<not a literal method name>)"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "say":
            method = "chat_postMessage"  # Bolt's say() posts with chat.postMessage
        if method is not None:
            found.setdefault(method, []).append(f"{filename}:{getattr(node, 'lineno', '?')}")
    return found


def scan(files: Iterable[Path]) -> dict[str, list[str]]:
    """The Web API methods used across `files`, each with every place it is used."""
    uses: dict[str, list[str]] = {}
    for path in sorted(files):
        for method, where in web_api_uses(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))).items():
            uses.setdefault(method, []).extend(where)
    return uses


def unknown_methods_message(uses: dict[str, list[str]]) -> str | None:
    """A message naming each used method that METHOD_SCOPES lacks, or None when the table covers them all."""
    unknown = {method: where for method, where in uses.items() if method not in METHOD_SCOPES}
    if not unknown:
        return None
    lines = [f"  {method} (at {', '.join(where)})" for method, where in sorted(unknown.items())]
    return (
        "bot/ calls Slack Web API methods that METHOD_SCOPES in tests/test_manifest.py does not know.\n"
        "Look up each method's bot scopes at https://docs.slack.dev/reference/methods/<method>, add the method to "
        "METHOD_SCOPES, and add its scopes to BOT_SCOPES in bot/slack/scopes.py and to oauth_config.scopes.bot in "
        "manifest.yml:\n" + "\n".join(lines)
    )


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), "manifest.yml must be a YAML mapping"
    return loaded


def test_manifest_is_valid_against_slacks_schema(manifest: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    problems = sorted(
        f"  {'.'.join(str(part) for part in error.absolute_path) or '(top level)'}: {error.message}"
        for error in validator_class(schema).iter_errors(manifest)
    )
    assert not problems, "manifest.yml does not match Slack's manifest schema 1.0.0:\n" + "\n".join(problems)


def test_background_colour_is_a_hex_colour(manifest: dict[str, Any]) -> None:
    # The schema states this with a non-standard "regex" keyword that JSON Schema validators ignore.
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    pattern = schema["definitions"]["app-manifests.v1.display_information.schema"]["properties"]["background_color"]
    colour = manifest["display_information"].get("background_color")
    assert colour is None or re.fullmatch(pattern["regex"], colour), f"background_color {colour!r} is not #rgb/#rrggbb"


def test_the_app_and_its_bot_are_called_warroom(manifest: dict[str, Any]) -> None:
    assert manifest["display_information"]["name"] == "Warroom"
    assert manifest["features"]["bot_user"]["display_name"] == "Warroom"


def test_incident_command_is_declared_with_escaped_mentions(manifest: dict[str, Any]) -> None:
    commands = {command["command"]: command for command in manifest["features"]["slash_commands"]}
    assert set(commands) == {ids.COMMAND} == {"/incident"}
    incident = commands["/incident"]
    assert incident["should_escape"] is True, "/incident parses <@U…> mentions, so Slack must escape them"
    assert incident["description"].strip()
    for word in ("declare", "communicator", "severity", "list", "help"):
        assert word in incident["usage_hint"], f"the usage hint should show `{word}`"


def test_interactivity_and_socket_mode_are_on(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True, "buttons and the declare modal need interactivity"
    assert settings["socket_mode_enabled"] is True
    assert settings["token_rotation_enabled"] is False
    assert settings["org_deploy_enabled"] is False


def test_http_mode_request_urls_point_at_warroom_events_path(manifest: dict[str, Any]) -> None:
    urls = [manifest["settings"]["interactivity"]["request_url"]]
    urls += [command["url"] for command in manifest["features"]["slash_commands"]]
    for url in urls:
        assert url.startswith("https://") and url.endswith(EVENTS_PATH), f"{url} should be https://<host>{EVENTS_PATH}"


def test_the_app_asks_for_no_user_scopes_and_subscribes_to_no_events(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]
    assert set(scopes) == {"bot"}, "Warroom acts only as its bot; it needs no user token"
    assert "event_subscriptions" not in manifest["settings"], "no listener handles Events API events"


def test_bot_scopes_are_exactly_what_the_code_calls(manifest: dict[str, Any]) -> None:
    uses = scan(BOT.rglob("*.py"))
    assert "chat_postMessage" in uses, "the scan found no chat.postMessage call; is it still finding the calls?"
    message = unknown_methods_message(uses)
    if message is not None:
        pytest.fail(message)
    needed_by: dict[str, list[str]] = {SLASH_COMMAND_SCOPE: [ids.COMMAND]}
    for method in sorted(uses):
        for scope in METHOD_SCOPES[method]:
            needed_by.setdefault(scope, []).append(method)

    problems = [
        f"  missing {scope}, needed by {', '.join(needed_by[scope])}"
        for scope in sorted(set(needed_by) - set(BOT_SCOPES))
    ]
    problems += [
        f"  unused {scope}: nothing in bot/ needs it, remove it" for scope in sorted(set(BOT_SCOPES) - set(needed_by))
    ]
    assert not problems, "BOT_SCOPES in bot/slack/scopes.py differs from what bot/ calls:\n" + "\n".join(problems)


def test_manifest_declares_exactly_the_scopes_the_code_needs(manifest: dict[str, Any]) -> None:
    declared_list = manifest["oauth_config"]["scopes"]["bot"]
    declared = set(declared_list)
    assert len(declared_list) == len(declared), f"manifest.yml lists a bot scope twice: {declared_list}"
    problems = [f"  missing {scope}: {BOT_SCOPES[scope]}" for scope in sorted(set(BOT_SCOPES) - declared)]
    problems += [
        f"  unused {scope}: BOT_SCOPES does not need it, remove it" for scope in sorted(declared - set(BOT_SCOPES))
    ]
    assert not problems, "manifest.yml's bot scopes differ from BOT_SCOPES in bot/slack/scopes.py:\n" + "\n".join(
        problems
    )


def test_scope_scan_catches_a_method_missing_from_the_table() -> None:
    source = (
        "def archive(client, say):\n"
        "    client.conversations_archive(channel='C1')\n"
        "    client.api_call('reactions.remove', params={})\n"
        "    say('done')\n"
    )
    uses = web_api_uses(source, "bot/example.py")
    assert uses == {
        "conversations_archive": ["bot/example.py:2"],
        "reactions_remove": ["bot/example.py:3"],
        "chat_postMessage": ["bot/example.py:4"],
    }
    message = unknown_methods_message(uses)
    assert message is not None
    assert "conversations_archive (at bot/example.py:2)" in message
    assert "reactions_remove (at bot/example.py:3)" in message
    assert "chat_postMessage" not in message


def test_scope_table_names_only_real_web_api_methods() -> None:
    assert set(METHOD_SCOPES) <= WEB_API_METHODS, sorted(set(METHOD_SCOPES) - WEB_API_METHODS)
