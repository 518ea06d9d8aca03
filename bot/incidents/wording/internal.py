"""Internal detail customers should not see: the playbook's identifiers, stack-trace words and staff mentions."""

from __future__ import annotations

import re

from bot.playbook import InternalIdentifier, Wording

BUILT_IN = (
    InternalIdentifier(
        name="a stack-trace word",
        pattern=r"\b(?:[a-z]+\.)+[A-Z]\w*(?:Exception|Error)\b|\b[A-Z][A-Za-z]*(?:Exception|Error)\b"
        r"|(?i:\btraceback\b(?:\s*\(most recent call last\))?|\bstack\s?traces?\b|\bsegfault\w*|\bsegmentation fault\b"
        r"|\bcore dump(?:ed)?\b|\boom(?:[- ]?kill(?:ed|er)?)?\b|\bout of memory\b|\bnull pointer\b|\bpanic:|"
        r"\bkernel panic\b|\bruntime error\b|\bconnection refused\b|\b500 internal server error\b"
        r"|\b(?:unhandled|uncaught)\s+exceptions?\b|\bexceptions?\s+(?:thrown|raised)\b|\b(?:threw|throws|raised)\s+an?\s+exception\b)",
        instead="Say what customers see, not what the logs say: “checkout shows an error after you press Pay”.",
    ),
    InternalIdentifier(
        name="infrastructure jargon",
        pattern=r"(?i)\bcrash-?loop\w*|\b(?:k8s|kubernetes|nginx|haproxy|pods?|kubelet|cron\s?job|cron|replica\s+lag|"
        r"on-call|paging|the\s+dba|sev-?\d|p[0-3]\s+incident|runbook|container\s+image|docker|helm|[a-z0-9]+-svc)\b"
        r"|\bHTTP\s+[45]\d\d\b",
        instead="Say what customers see and what we are doing: “checkout shows an error; our engineers are fixing it”.",
    ),
    InternalIdentifier(
        name="a host name",
        # not a cloud region customers may know ("us-east-1", "eu-west-2")
        pattern=r"(?<![\w-])(?!(?:us|eu|ap|sa|ca|me|af|uk)-[a-z]+-\d\b)[a-z][a-z0-9]*(?:-[a-z0-9]+)*-\d{1,3}\b"
        r"(?!\s*(?:%|min|hour|day|second))",
        instead="Name what customers use, not our machines: “email delivery”, “the payments service”.",
    ),
    InternalIdentifier(
        name="a mention of someone on the team",
        pattern=r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>|(?<![\w.@])@[a-z][\w.-]{1,30}\b",
        instead="Customers don't know our team: say “our engineers”, and keep names for the war room.",
    ),
)


def internal_identifiers(text: str, wording: Wording) -> list[str]:
    """Warnings for identifiers only the team knows (deploys, servers, tickets, commits), with what to write instead."""
    warnings: list[str] = []
    taken: list[tuple[int, int]] = []  # what an earlier kind already named: "db-prod-03" is a server, said once
    for kind in (*wording.internal, *BUILT_IN):
        fresh = [m for m in re.finditer(kind.pattern, text) if not any(m.start() < b and a < m.end() for a, b in taken)]
        taken += [m.span() for m in fresh]
        found = list(dict.fromkeys(match.group(0).strip() for match in fresh))
        if found:
            warnings.append(
                f"Internal identifier ({kind.name}): “{'”, “'.join(found[:3])}” means nothing to customers. "
                + kind.instead
            )
    return warnings
