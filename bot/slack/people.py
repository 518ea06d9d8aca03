"""The people directory, answered by Slack's users.info."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.incidents.people import Person

_NOT_A_USER = {"user_not_found", "user_not_visible"}


class SlackDirectory:
    """Looks people up with users.info."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def person(self, user_id: str) -> Person | None:
        """The person with this ID, or None when Slack has nobody by it."""
        try:
            user = self._client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            if error.response is not None and error.response.get("error") in _NOT_A_USER:
                return None
            raise
        profile = user.get("profile") or {}
        name = profile.get("display_name") or user.get("real_name") or user.get("name") or user_id
        return Person(
            id=str(user["id"]),
            name=str(name),
            deleted=bool(user.get("deleted", False)),
            is_bot=bool(user.get("is_bot", False)) or user_id == "USLACKBOT",
            real_name=str(profile.get("real_name") or user.get("real_name") or "").strip() or None,
            title=str(profile.get("title") or "").strip() or None,
        )
