"""The people directory, answered by Slack's users.info."""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.incidents.people import Person

log = logging.getLogger(__name__)
_NOT_A_USER = {"user_not_found", "user_not_visible"}


class SlackDirectory:
    """Looks people up with users.info (wrap it in a CachedDirectory: each lookup is a Slack call)."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._home: tuple[str, str | None] | None = None  # Warroom's own team and enterprise, from auth.test
        self._lock = threading.Lock()

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
            external=self._external(user),
        )

    def _external(self, user: dict[str, Any]) -> bool:
        """Whether the user belongs to another organisation: a stranger, or a member of a team not Warroom's own.

        A team of the same Enterprise Grid organisation is not another organisation.
        """
        if user.get("is_stranger"):
            return True
        team = user.get("team_id")
        home = self._home_team() if team else None
        if home is None or team == home[0]:
            return False
        enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
        return not (home[1] is not None and enterprise == home[1])

    def _home_team(self) -> tuple[str, str | None] | None:
        """Warroom's own team and enterprise (auth.test, asked once); None if Slack can't say right now."""
        with self._lock:
            if self._home is not None:
                return self._home
        try:
            answer = self._client.auth_test()
        except (SlackApiError, OSError) as error:
            log.warning("could not ask Slack which workspace Warroom is in (%s); not checking organisations", error)
            return None
        home = (str(answer.get("team_id") or ""), answer.get("enterprise_id") or None)
        with self._lock:
            self._home = home
        return home
