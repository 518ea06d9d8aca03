"""The /incident slash command."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot import ids
from bot.domain import Domain
from bot.incidents.components import described, usage
from bot.incidents.errors import UserError
from bot.incidents.flows import approver
from bot.listeners.errors import ack_at_once, answering
from bot.render.blocks import declare_modal, severity_label
from bot.render.entries import update_modal
from bot.render.text import channel_link, clock_time, day_and_time, escape, mention, unescape
from bot.store.models import Incident

_USER_TOKEN = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_BARE_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def register(app: App, *, domain: Domain) -> None:
    """Attach the /incident command."""

    def incident_command(command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        with answering(command, respond=respond, client=client):
            _run(command, respond=respond, client=client, domain=domain)

    app.command(ids.COMMAND)(ack=ack_at_once, lazy=[incident_command])


def _run(command: dict[str, Any], *, respond: Respond, client: WebClient, domain: Domain) -> None:
    subcommand, _, rest = unescape(command.get("text", "")).strip().partition(" ")
    subcommand, rest = subcommand.lower(), rest.strip()
    channel_id, user_id = command["channel_id"], command["user_id"]
    incidents, feed = domain.lifecycle, domain.feed
    if subcommand in ("", "help"):
        respond(text=domain.notices.help(), response_type="ephemeral")
    elif subcommand == "declare" and not rest:
        incidents.check_postable(channel_id)  # before the modal, not after someone has filled it in
        view = declare_modal(channel_id=channel_id, playbook=domain.playbook)
        client.views_open(trigger_id=command["trigger_id"], view=view)
    elif subcommand == "declare":
        first, _, after = rest.partition(" ")
        internal = first.lower() == "internal" and bool(after.strip())  # Slack only: no public outputs
        severity, _, title = (after.strip() if internal else rest).partition(" ")
        incidents.declare(channel_id=channel_id, lead_id=user_id, severity=severity, title=title, internal=internal)
    elif subcommand == "drill" and not rest:
        incidents.check_postable(channel_id)
        view = declare_modal(channel_id=channel_id, playbook=domain.playbook, drill=True)
        client.views_open(trigger_id=command["trigger_id"], view=view)
    elif subcommand == "drill":
        severity, _, title = rest.partition(" ")
        incident = incidents.declare(channel_id=channel_id, lead_id=user_id, severity=severity, title=title, drill=True)
        respond(text=_drill_started(incident.ref), response_type="ephemeral")
    elif subcommand == "drills":
        respond(text=_drills(domain), response_type="ephemeral")
    elif subcommand == "communicator":
        incidents.nominate(by=user_id, nominee_id=_user_id(rest), channel_id=channel_id)
    elif subcommand == "severity":
        if not rest:
            raise UserError("Say which severity, e.g. `/incident severity P2`.")
        incidents.change_severity(channel_id=channel_id, by=user_id, severity=rest)
    elif subcommand == "impact":
        respond(text=_impact(domain, channel_id=channel_id, user_id=user_id, text=rest), response_type="ephemeral")
    elif subcommand == "components":
        respond(text=_components(domain, channel_id=channel_id, user_id=user_id, text=rest), response_type="ephemeral")
    elif subcommand == "update" and not rest:
        client.views_open(trigger_id=command["trigger_id"], view=update_modal(feed.update_form(channel_id=channel_id)))
    elif subcommand == "update":
        feed.draft(channel_id=channel_id, by=user_id, text=rest)
        respond(text="Drafted. The communicator has been asked to approve it.", response_type="ephemeral")
    elif subcommand == "resolve":
        feed.draft_resolution(channel_id=channel_id, by=user_id, cause=rest)
        respond(text="Resolution drafted. Approving it posts it and closes the incident.", response_type="ephemeral")
    elif subcommand == "audit":
        incident, result = domain.review.audit_of(channel_id=channel_id, reference=rest or None)
        message = domain.review.audit_message(incident, result)
        respond(text=message.text, blocks=message.blocks, response_type="ephemeral")
    elif subcommand == "timeline":
        _timeline(domain, channel_id=channel_id, user_id=user_id, reference=rest or None, respond=respond)
    elif subcommand == "list":
        respond(text=_list(domain), response_type="ephemeral")
    else:
        respond(text=f"I don't know `{escape(subcommand)}`.\n\n{domain.notices.help()}", response_type="ephemeral")


def _timeline(domain: Domain, *, channel_id: str, user_id: str, reference: str | None, respond: Respond) -> None:
    """Owe the war room the incident's timeline, as a message and a Markdown file; say it is on its way."""
    incident, story = domain.review.events_of(channel_id=channel_id, reference=reference)
    domain.lifecycle.share_timeline(incident, story, by=user_id)
    where = "here" if channel_id == incident.channel_id else f"to its war room, {channel_link(incident.channel_id)}"
    respond(
        text=f"{incident.ref}'s timeline is on its way {where}: the text, then a Markdown file of it for the "
        "postmortem a moment later.",
        response_type="ephemeral",
    )


def _impact(domain: Domain, *, channel_id: str, user_id: str, text: str) -> str:
    """Set or propose the public impact line; the answer says whether it is public yet."""
    usage = (
        "Say what customers can't do, in their words, in one sentence: "
        "`/incident impact Checkout and card payments fail for all customers in the EU`."
    )
    if not text:
        incident = next((i for i in domain.lifecycle.open_incidents() if i.channel_id == channel_id), None)
        if incident is None:
            raise UserError(usage)
        shown = f"“{escape(incident.impact)}”" if incident.impact else "not set yet"
        waiting = (
            f" Proposed, waiting for approval: “{escape(incident.impact_proposed)}”."
            if incident.impact_proposed
            else ""
        )
        return f"{incident.ref}'s public impact line: {shown}.{waiting} {usage}"
    incident, approved = domain.feed.set_impact(channel_id=channel_id, by=user_id, text=text)
    if approved:
        return (
            f"Impact line for {incident.ref} approved: “{escape(incident.impact or '')}”. The support team's "
            "activation notice now shows it, and every update from now on carries it."
        )
    who = incident.communicator_id or incident.lead_id
    return (
        f"Impact line proposed for {incident.ref}: “{escape(incident.impact_proposed or '')}”. It reaches the "
        f"support team when {mention(who)} approves the next update; the draft cards show it until then."
    )


def _components(domain: Domain, *, channel_id: str, user_id: str, text: str) -> str:
    """Mark (or propose marks on) the components the incident affects, or show them; the answer says which."""
    flow = domain.components
    marking = flow.mark(channel_id=channel_id, by=user_id, text=text) if text else flow.current(channel_id=channel_id)
    ref = marking.incident.ref
    now = escape(described(marking.marks)) if marking.marks else "none marked (all operational)"
    waiting = escape(described(marking.proposed))
    proposed = f" Proposed, applied with the next approval: {waiting}." if marking.proposed else ""
    if not text:
        return f"{ref}'s components: {now}.{proposed} {escape(usage(domain.playbook))}"
    if marking.applied:
        done = "Marked" if marking.changed else "Nothing changed; already marked"
        return f"{done} for {ref}: {now}. The incident card shows them.{proposed}"
    who = approver(marking.incident)
    return (
        f"Proposed for {ref}: {waiting}. They apply when {mention(who)} approves the next update; the draft cards "
        f"show them until then. Marked now: {now}."
    )


def _user_id(text: str) -> str:
    token = text.split()[0] if text.split() else ""
    match = _USER_TOKEN.match(token)
    if match:
        return match.group(1)
    if _BARE_USER_ID.match(token):
        return token
    raise UserError("Mention the person to nominate, e.g. `/incident communicator @dana`.")


def _list(domain: Domain) -> str:
    """The open incidents, then the open drills apart: a drill is never counted as an incident."""
    everything = domain.lifecycle.open_incidents()
    open_ones = [incident for incident in everything if not incident.drill]
    drills = [incident for incident in everything if incident.drill]
    lines = [f"*Open incidents ({len(open_ones)})*"] if open_ones else []
    if not open_ones:
        lines.append("No incidents are open. Declare one with `/incident declare P1 &lt;title&gt;`.")
    lines += [_listed(domain, incident) for incident in open_ones]
    if drills:
        lines.append(f"\n*Drills running ({len(drills)})*: rehearsals, not incidents")
        lines += [_listed(domain, incident, prefix="DRILL ") for incident in drills]
    return "\n".join(lines)


def _listed(domain: Domain, incident: Incident, *, prefix: str = "") -> str:
    playbook = domain.playbook
    communicator = (
        f"communicator {mention(incident.communicator_id)}" if incident.communicator_id else "no communicator yet"
    )
    return (
        f"• {prefix}*{incident.ref}* · {escape(severity_label(playbook, incident.severity))} · "
        f"{channel_link(incident.channel_id)} · {incident.status.capitalize()} · "
        f"{escape(incident.title)} · declared {clock_time(incident.declared_at, playbook.zone)} by "
        f"{mention(incident.lead_id)} · {communicator}"
    )


def _drill_started(ref: str) -> str:
    return (
        f"DRILL {ref} started: the whole flow runs for real and every message says DRILL; nothing reaches customers. "
        "Resolve it as usual (`/incident resolve &lt;cause&gt;`) to get the drill report here. A real incident "
        "declared in this channel stands the drill down."
    )


def _drills(domain: Domain) -> str:
    """Past drills, newest first, with their scores, so the team can compare them over time."""
    shown, older = domain.drills.past()
    if not shown:
        return "No drills yet. Start one with `/incident drill P1 &lt;title&gt;`: the whole flow, marked DRILL."
    zone = domain.playbook.zone
    lines = [f"*Drills ({len(shown) + older})*, newest first"]
    for drill in shown:
        incident = drill.incident
        state = "still running" if incident.resolved_at is None else incident.status.capitalize()
        lines.append(
            f"• *{incident.ref}* · {day_and_time(incident.declared_at, zone)} · "
            f"{escape(severity_label(domain.playbook, incident.severity))} · {escape(incident.title)} · "
            f"{state} · *{drill.score}*"
        )
    if older:
        lines.append(f"…and {older} older {'drill' if older == 1 else 'drills'}.")
    return "\n".join(lines)
