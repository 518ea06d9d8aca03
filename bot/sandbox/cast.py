"""Who is in the sandbox, where they talk, and the guided first incident (with why each step matters)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import Clock
from bot.sandbox.workspace import (
    BOT,
    COMMUNICATOR,
    ENGINEER,
    LEAD,
    MIRROR,
    SUPPORT_LEAD,
    WAR_ROOM,
    WAR_ROOM_2,
    Conversation,
    Person,
    Workspace,
)
from bot.store.models import TimelineEvent
from bot.vocabulary import Event

PEOPLE = (
    Person(LEAD, "Dana Reyes", "incident lead"),
    Person(COMMUNICATOR, "Sam Okafor", "communicator"),
    Person(ENGINEER, "Ravi Patel", "engineer"),
    Person(SUPPORT_LEAD, "Lee Chen", "support team lead (outsourced)"),
)
HOME = {LEAD: WAR_ROOM, COMMUNICATOR: WAR_ROOM, ENGINEER: WAR_ROOM, SUPPORT_LEAD: MIRROR}


def workspace(clock: Clock) -> Workspace:
    """The sandbox's workspace: two war rooms, the support team's read-only mirror, and a DM each with Warroom."""
    space = Workspace(clock)
    space.add_person(Person(BOT, "Warroom", "the bot", is_bot=True))
    for person in PEOPLE:
        space.add_person(person)
    responders = {LEAD, COMMUNICATOR, ENGINEER, BOT}
    space.add_channel(Conversation(WAR_ROOM, "war-room", "Where responders fix things. Declare here.", responders))
    space.add_channel(
        Conversation(WAR_ROOM_2, "war-room-payments", "A second war room, for a concurrent incident.", set(responders))
    )
    space.add_channel(
        Conversation(
            MIRROR,
            "support-mirror",
            "The outsourced support team's read-only mirror: approved updates only, nothing internal.",
            {SUPPORT_LEAD, COMMUNICATOR, BOT},
            posting=set(),  # only Warroom posts there
        )
    )
    return space


@dataclass(frozen=True)
class Step:
    """One step of the guided first incident."""

    key: str
    title: str
    who: str
    as_id: str
    do: str
    why: str
    type: str = ""  # what "Type it for me" puts in the composer


GUIDE = (
    Step(
        "declare",
        "Declare",
        "Dana, the incident lead",
        LEAD,
        "In #war-room, declare a P1. Warroom posts the incident card and asks Dana who talks to customers.",
        "Post within 5 minutes of confirming an incident: customers forgive outages, not silence.",
        type="/incident declare P1 Card payments failing at checkout",
    ),
    Step(
        "nominate",
        "Name the communicator",
        "Dana",
        LEAD,
        "Pick Sam Okafor in the picker Warroom showed only to Dana.",
        "Put one person in charge of external communication and keep them out of the technical investigation.",
    ),
    Step(
        "approve",
        "Approve the first update",
        "Sam, the communicator",
        COMMUNICATOR,
        "Open Sam's DM with Warroom: approve the automatic draft, or edit it first.",
        "Each entry is timestamped and commits to the next update: silence reads as abandonment.",
    ),
    Step(
        "mirror",
        "See what support sees",
        "Lee, the support team lead",
        SUPPORT_LEAD,
        "Open #support-mirror: the activation notice carries the briefing (what agents may promise, what to "
        "escalate); open its replies to read the approved entry.",
        "Agents work from the most recent update, not from inference.",
    ),
    Step(
        "resolve",
        "Resolve with the cause",
        "Dana, then Sam",
        LEAD,
        "Dana drafts the resolution with one sentence on the cause; Sam approves it.",
        "A resolved post with specifics signals a learning phase, not a forgetting phase.",
        type="/incident resolve A bad configuration change sent card payments to a retired endpoint",
    ),
    Step(
        "followups",
        "Do the follow-ups",
        "Sam",
        COMMUNICATOR,
        "Open the replies under the card in #war-room: the follow-up checklist. Add the postmortem's link; an "
        "incident that lasted 30 min or more also owes the customer email, and one past its SLA, credits.",
        "Customers who get a proactive follow-up stay; offer the credit before anyone has to ask.",
    ),
)
_FOLLOW_UPS = (Event.EMAIL_SENT, Event.CREDITS_DECIDED, Event.POSTMORTEM_LINKED, Event.EMAIL_PREVENTION_WRITTEN)


def progress(engine: Engine, space: Workspace) -> dict[str, bool]:
    """Which guide steps the sandbox's record shows done (the mirror's: the support lead has read an entry there)."""
    with Session(engine) as session:
        kinds = set(session.exec(select(TimelineEvent.kind).distinct()))
    with space.lock:
        read = space.read_threads.get(SUPPORT_LEAD, set())
        mirror = space.conversations[MIRROR]
        entry_read = any(
            m.get("thread_ts") in read and m.get("thread_ts") != m["ts"] and m.get("user") == BOT
            for m in mirror.messages
        )
    return {
        "declare": Event.DECLARED in kinds,
        "nominate": Event.COMMUNICATOR_NOMINATED in kinds,
        "approve": Event.APPROVED in kinds,
        "mirror": Event.APPROVED in kinds and entry_read,
        "resolve": Event.RESOLVED in kinds,
        "followups": any(kind in kinds for kind in _FOLLOW_UPS),
    }
