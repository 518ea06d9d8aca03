"""The domain the listeners are given, and how its flows are wired over one database."""

from __future__ import annotations

from dataclasses import dataclass

from bot.incidents.cadence import Cadence
from bot.incidents.channels import ChannelAccess
from bot.incidents.drills import Drills
from bot.incidents.feed import Feed
from bot.incidents.flows import FlowDeps
from bot.incidents.follow_up_reminders import FollowUpReminders
from bot.incidents.followups import FollowUps
from bot.incidents.lifecycle import Lifecycle
from bot.incidents.marking import ComponentMarks
from bot.incidents.notices import Notices
from bot.incidents.people import Directory
from bot.incidents.review import Review
from bot.playbook import Playbook


@dataclass(frozen=True)
class Domain:
    """The flows the listeners call, and the ticks the scheduler runs."""

    lifecycle: Lifecycle
    feed: Feed
    components: ComponentMarks
    cadence: Cadence
    followups: FollowUps
    reminders: FollowUpReminders
    review: Review
    drills: Drills
    notices: Notices
    playbook: Playbook


def build_domain(deps: FlowDeps, *, directory: Directory, channels: ChannelAccess) -> Domain:
    """The incident, update-feed and follow-up flows over one database."""
    followups = FollowUps(deps, directory=directory)
    return Domain(
        lifecycle=Lifecycle(deps, directory=directory, channels=channels),
        feed=Feed(
            deps,
            on_resolved=followups.after_resolution,
            sender_for=followups.sender_for,
            on_corrected=followups.after_correction,
        ),
        components=ComponentMarks(deps),
        cadence=Cadence(deps),
        followups=followups,
        reminders=FollowUpReminders(deps),
        review=Review(deps),
        drills=Drills(deps),
        notices=deps.notices,
        playbook=deps.playbook,
    )
