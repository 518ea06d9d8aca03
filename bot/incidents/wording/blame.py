"""Blaming a third party: an outside party named or implied as the cause, or deflection, without owning the impact."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from bot.incidents.wording.text import Text, any_of, short

PROVIDERS = (
    "aws",
    "amazon",
    "amazon web services",
    "s3",
    "ec2",
    "azure",
    "microsoft",
    "microsoft 365",
    "office 365",
    "google",
    "google cloud",
    "gcp",
    "google cloud storage",
    "cloudflare",
    "fastly",
    "akamai",
    "stripe",
    "adyen",
    "braintree",
    "paypal",
    "square",
    "worldpay",
    "checkout.com",
    "klarna",
    "twilio",
    "vonage",
    "nexmo",
    "sendgrid",
    "mailgun",
    "mailchimp",
    "mandrill",
    "postmark",
    "sparkpost",
    "amazon ses",
    "ses",
    "okta",
    "auth0",
    "onelogin",
    "github",
    "gitlab",
    "bitbucket",
    "heroku",
    "digitalocean",
    "digital ocean",
    "linode",
    "vultr",
    "hetzner",
    "ovh",
    "oracle cloud",
    "ibm cloud",
    "vercel",
    "netlify",
    "render",
    "fly.io",
    "datadog",
    "new relic",
    "pagerduty",
    "sentry",
    "slack",
    "zoom",
    "shopify",
    "salesforce",
    "hubspot",
    "zendesk",
    "intercom",
    "segment",
    "algolia",
    "mongodb atlas",
    "atlas",
    "elastic",
    "confluent",
    "snowflake",
    "apple",
    "verizon",
    "comcast",
    "at&t",
    "bt",
    "vodafone",
    "level 3",
    "lumen",
    "zayo",
    "cogent",
    "equinix",
    "plaid",
    "visa",
    "mastercard",
    "godaddy",
    "namecheap",
    "route 53",
    "ns1",
    "dyn",
)
_GENERIC = (
    r"(?:our|the|a|an|their|one\s+of\s+our)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:provider|vendor|supplier|partner|isp|host|hosting\s+company|processor|gateway|cdn|carrier|bank|acquirer|"
    r"registrar|telco|colo(?:cation)?|"
    r"third[- ]party(?:\s+(?:provider|vendor|supplier|service))?|upstream(?:\s+(?:provider|isp|service))?)"
)
_FAILS = (
    r"(?:(?:(?:is|are|was|were|has|have|had)\s+(?:been\s+)?(?:currently\s+)?)?(?:having|experiencing|suffering)(?:\s+(?:[\w-]+\s+){0,2}?(?:outages?|issues?|problems?|trouble|"
    r"incidents?|difficult\w*|bad\s+day|failures?|errors?))?|"
    r"(?:is|are|was|were|has|have|had)\s+(?:been\s+)?(?:currently\s+)?(?:down|failing|"
    r"throttling|slow|broken|unavailable|offline|out|an?\s+(?:[\w-]+\s+){0,2}?(?:outage|incident|issue|problem|failure|"
    r"bad\s+day))|(?:[\w-]+\s+){0,2}?(?:outage|issues?|problems?|incident|failure|trouble|errors)|went\s+down|"
    r"messed\s+up|failed|dropped|suffered|broke|caused|took|knocked|brought|slowed|throttl\w*|is\s+the\s+(?:reason|cause))"
)
_THEIRS = r"(?:api|servers?|service|network|platform|systems?|infrastructure|dns|cdn|region|data\s+cent(?:re|er))"
_CONSEQUENCE = r"broke|caused|took|knocked|brought|made|meant|stopped|prevented|left\s+us|is\s+why"
_CAUSE_BEFORE = (
    r"(?:because(?:\s+of)?|due\s+to|caused\s+by|blame|thanks\s+to|as\s+a\s+result\s+of|owing\s+to|"
    r"(?:root\s+)?cause\s+(?:is|was))"
    r"\s+(?:[\w'-]+\s+){0,4}?"
)
_TROUBLE_AT = (
    r"(?:outage|issue|problem|incident|failure|trouble|disruption)s?\s+(?:at|with|from|on)\s+(?:[\w'-]+\s+){0,2}?"
)
_DEFLECTION = any_of(
    r"not\s+(?:our|my)\s+fault|(?:no|nothing)\s+(?:one\s+)?(?:we|anyone)\s+could\s+(?:have\s+)?(?:done|do)|"
    r"nothing\s+we\s+could\s+(?:have\s+)?done|out\s+of\s+our\s+hands|(?:outside|beyond)\s+(?:of\s+)?our\s+control|"
    r"not\s+(?:by\s+)?us|not\s+ours|on\s+their\s+(?:end|side)|their\s+fault|their\s+outage|to\s+blame|blame\s+\w+|"
    r"waiting\s+for\s+them|nothing\s+(?:to\s+do|we\s+can\s+do)\s+on\s+our\s+(?:side|end)|"
    r"not\s+on\s+us|not\s+our\s+(?:issue|problem|doing)|on\s+\w+'s\s+(?:side|end)|third[- ]party\s+(?:issue|problem)|"
    r"not\s+(?:something|anything)\s+we\s+(?:can|could)\s+(?:fix|control)|not\s+(?:on|with)\s+our\s+(?:end|side)|(?:a|the)\s+vendor\s+caused"
)
_UNKNOWN_NAME = re.compile(  # a provider Warroom doesn't know, by its capital letter
    r"(?P<blame>(?i:outage|incident|issues?|problems?|failure)s?\s+(?:at|with|from))\s+(?P<party>[A-Z][\w.&-]+)"
    r"|(?P<party2>[A-Z][\w.&-]+)'s\s+(?P<blame2>(?i:outage|incident|failure))"
    r"|(?<=[a-z,:;] )(?P<party3>[A-Z][\w.&-]+(?: [A-Z0-9][\w.&-]*)?) (?P<blame3>(?:is|are|was|has|had) (?:having|"
    r"experiencing|suffering) (?:an? )?(?:[\w-]+ )?(?:outage|incident|issues?|problems?))"
)
_OWNERSHIP = any_of(
    r"(?<!not\s)on\s+us|(?<!not\s)our\s+(?:own\s+)?(?:mistake|fault|responsibility|error|bad)|ours\s+to\s+fix|should\s+have|"
    r"(?:did\s+not|didn't|failed\s+to|could\s+not|couldn't)\s+(?:\w+\s+)?(?:fail\s+over|fall\s+back|switch|have|move|"
    r"notice|react|plan|queue)|(?:quickly|fast|well)\s+enough|we\s+take\s+(?:full\s+)?responsibility|we\s+own\s+(?:this|it|that)|"
    r"instead\s+of\s+(?:queueing|failing\s+over|falling\s+back)|took\s+too\s+long|our\s+(?:job|responsibility)\s+to"
)


@dataclass(frozen=True)
class Blame:
    """The third party named (or the deflection), the words that blame it, and where in the text they are."""

    party: str
    said: str
    span: tuple[int, int]


def find(text: Text, extra_parties: Iterable[str], extra_markers: Iterable[str]) -> Blame | None:
    """The third party and the words that blame it (or the deflection), or None when the text owns the impact."""
    if _OWNERSHIP.search(text.low):
        return None
    parties = tuple(sorted({p.lower() for p in extra_parties if p.strip()}))
    markers = tuple(re.escape(m.lower()) for m in extra_markers if m.strip())
    for pattern in _patterns(parties, markers):
        match = pattern.search(text.low)
        if match:
            return Blame(text.quote(*match.span("party")), text.quote(*match.span("blame")), match.span())
    named = _UNKNOWN_NAME.search(text.original)
    if named:
        party = named.group("party") or named.group("party2") or named.group("party3")
        said = named.group("blame") or named.group("blame2") or named.group("blame3")
        return Blame(short(party), said, named.span())
    deflection = _DEFLECTION.search(text.low)
    if deflection:
        return Blame(text.quote(*deflection.span()), "", deflection.span())
    return None


def _parties(extra: tuple[str, ...]) -> str:
    names = sorted({*PROVIDERS, *extra}, key=len, reverse=True)
    return rf"{'|'.join(re.escape(n) for n in names)}|{_GENERIC}"


@cache
def _patterns(extra_parties: tuple[str, ...], markers: tuple[str, ...]) -> list[re.Pattern[str]]:
    """Compiled once per playbook: the built-in providers and the playbook's, with the blame words."""
    parties = _parties(extra_parties)
    party = rf"(?<![\w-])(?P<party>{parties})(?![\w-])(?:'s)?(?:\s+[\w-]+)??(?:\s+{_THEIRS})?"
    said = "|".join(["fault", "blame", r"their\s+end", r"their\s+side", *markers])
    return [
        re.compile(rf"(?P<blame>{_CAUSE_BEFORE}){party}"),
        re.compile(rf"{party}\s+(?P<blame>{_FAILS})"),
        re.compile(rf"{party}[^.;]{{0,50}}?(?P<blame>(?:,\s*|\s)(?:which|that|and|so)\s+(?:{_CONSEQUENCE}))"),
        re.compile(rf"(?P<blame>{_TROUBLE_AT}){party}"),
        re.compile(rf"{party}[^.;]{{0,60}}?(?<![\w-])(?P<blame>{said})(?![\w-])"),
        re.compile(rf"(?<![\w-])(?P<blame>{said})(?![\w-])[^.;]{{0,60}}?{party}"),
    ]
