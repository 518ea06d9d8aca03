"""What to tell someone when Slack refuses a file upload: which step failed, Slack's code, and the fix for it."""

from __future__ import annotations

import math

from slack_sdk.errors import SlackApiError

from bot.slack.client import retry_after

# The Web API calls files_upload_v2 makes, by what they do for the person who asked.
_STEPS = {
    "files.getUploadURLExternal": "reserving the upload",
    "files.completeUploadExternal": "sharing the file in the channel",
}
_NOT_THERE = {"not_in_channel", "channel_not_found"}


def upload_refused(error: Exception, *, what: str, where: str, kept: str, again: str) -> str:
    """One honest message about a failed upload of `what` to `where`.

    `kept` says where the same content is already readable, `again` how to try once more, e.g.
    what="the Markdown file", where="the war room", kept="The timeline text above is complete",
    again="run `/incident timeline` again".
    """
    if not isinstance(error, SlackApiError) or error.response is None:  # the file's bytes never reached Slack
        return (
            f"Slack did not receive {what} ({type(error).__name__}). {kept}. To attach the file, {again} in a minute."
        )
    response = error.response
    code = str(response.get("error") or f"HTTP {response.status_code}")
    method = str(response.api_url or "").rstrip("/").rsplit("/", 1)[-1]
    step = f"{_STEPS.get(method, 'uploading')} ({method})" if method else "uploading"
    refused = f"Slack refused {what} while {step}: `{code}`."
    if response.status_code == 429 or code == "ratelimited":
        wait = max(1, math.ceil(retry_after(error)))
        return f"{refused} Slack is limiting uploads for now: {again} in {wait} s. {kept}."
    if code == "missing_scope":
        needed = str(response.get("needed") or "files:write")
        return (
            f"{refused} Warroom's token lacks the `{needed}` scope: a workspace admin must reinstall Warroom "
            f"(its manifest asks for `{needed}`), then {again}. {kept}."
        )
    if code in _NOT_THERE:
        return f"{refused} Warroom is not in {where}: invite it there with `/invite @Warroom`, then {again}. {kept}."
    return f"{refused} {kept}; the file is only a copy of it for the postmortem."
