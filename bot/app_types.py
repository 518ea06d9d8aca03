"""The domain objects the listeners are given."""

from __future__ import annotations

from dataclasses import dataclass

from bot.incidents.cadence import Cadence
from bot.incidents.feed import Feed
from bot.incidents.flows import Incidents
from bot.incidents.followups import FollowUps
from bot.incidents.notices import Notices
from bot.playbook import Playbook


@dataclass(frozen=True)
class Domain:
    """The flows the listeners call."""

    incidents: Incidents
    feed: Feed
    cadence: Cadence
    followups: FollowUps
    notices: Notices
    playbook: Playbook
