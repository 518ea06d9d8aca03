"""The bot scopes Warroom's code needs: manifest.yml declares exactly these, and `warroom check` expects them."""

from __future__ import annotations

# Each scope with what needs it. tests/test_manifest.py derives the scopes from the Web API calls in bot/ and
# fails when this table, manifest.yml and the code disagree.
BOT_SCOPES: dict[str, str] = {
    "channels:history": "conversations.history and .replies: after a crash, find a message already posted, not repost",
    "channels:read": "conversations.info: confirm that Warroom is in the mirror channel",
    "chat:write": "chat.postMessage, chat.postEphemeral, chat.update: every message Warroom sends",
    "commands": "the /incident slash command",
    "files:write": "files.getUploadURLExternal, .completeUploadExternal: the timeline as a Markdown file",
    "groups:history": "conversations.history and .replies in private channels, as channels:history in public ones",
    "groups:read": "conversations.info on a private mirror channel",
    "im:history": "conversations.history and .replies in a DM: after a crash, find a DM already sent, not resend it",
    "im:write": "conversations.open: the DM channel whose history is read after a crash",
    "users:read": "users.info: check that a nominated communicator is a real, active person",
}


def missing_scopes(granted: set[str] | frozenset[str]) -> list[str]:
    """The scopes Warroom needs that `granted` lacks, sorted."""
    return sorted(set(BOT_SCOPES) - set(granted))
