"""Vague: a problem or a hedge with nothing concrete about what is affected or what customers see."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.incidents.wording.text import Text, any_of, short

_MODIFIER = (
    r"(?:(?:some|an?|the|this|these|certain|technical|internal|ongoing|unexpected|potential|possible|minor|small|"
    r"intermittent|operational|service|performance|system|platform|general|temporary|unforeseen|current|degraded|"
    r"reported|odd|unusual|a\s+few)\s+)*"
)
_PROBLEM = re.compile(
    rf"(?<![\w-]){_MODIFIER}(?:issues?|problems?|difficult(?:y|ies)|disruptions?|incidents?|glitch(?:es)?|hiccups?|"
    r"outages?|interruptions?|degradation|anomal(?:y|ies)|weirdness|trouble|situation|fault|"
    r"behaviou?r|degraded\s+(?:performance|service)|slowness|matter|event|instability|wonk\w*|flak\w*|unstable|"
    r"degraded|reports\s+of\s+\w+|bump\w*|things|stuff|something)(?![\w-])"
    r"|(?<![\w-])(?:not\s+(?:working|behaving|functioning)\s+as\s+(?:expected|intended|(?:they|it)\s+should)|"
    r"aren't\s+working\s+as\s+they\s+should|something\s+(?:isn't|is\s+not|went|is)\s+(?:quite\s+)?(?:right|wrong)|"
    r"has\s+been\s+addressed|not\s+behave\s+as\s+expected)(?![\w-])"
)
_HEDGE = re.compile(
    r"(?<![\w-])(?:(?:may|might|could|can)\s+(?:be\s+)?(?:experienc\w*|encounter\w*|notic\w*|see|affected|impacted|"
    r"degraded|unavailable|disrupted|delayed)|some\s+(?:functionality|features|services|users|customers|parts)|"
    r"certain\s+(?:users|customers|features|services)|a\s+(?:small\s+)?(?:number|subset)\s+of|parts\s+of\s+(?:the|our)|"
    r"(?:is|are)\s+(?:currently\s+)?(?:impacted|affected))(?![\w-])"
)
# Hedges about our own customers, which stay vague even in a sentence that blames a provider for the trouble.
_OUR_HEDGE = re.compile(
    r"(?<![\w-])(?:(?:may|might|could)\s+(?:be\s+)?(?:experienc\w*|impact\w*|affect\w*|degraded|disrupted)|"
    r"some\s+(?:functionality|features|services|users|customers)|certain\s+(?:users|customers|features|services))(?![\w-])"
)
_OBJECT = any_of(
    r"payments?|checkout|cards?|log\s?-?ins?|logging\s+in|sign[\s-]?(?:ins?|ups?)|sso|saml|api|e-?mails?|"
    r"notifications?|webhooks?|dashboards?|search(?:es)?|uploads?|downloads?|exports?|imports?|reports?|invoices?|"
    r"orders?|(?:mobile\s+)?app|website|site|pages?|sync(?:ing)?|sms|codes?|two-factor|2fa|passwords?|accounts?|"
    r"billing|files?|previews?|charts?|calendar|video|calls?|audio|chat|editor|transfers?|balance|tokens?|keys?|"
    r"links?|sessions?|messages?|bookings?|subscriptions?|refunds?|receipts?|integrations?|backups?|deliver\w*|"
    r"storage|inbox|queue|totals|results|matches|games?|streams?|streaming|players?|dns|domains?|appointments?|"
    r"reminders?|shipments?|tracking|pickups?|parcels?|permissions?|console|voice|channels?|transactions?|terminals?|"
    r"content|websites?|contacts?|crm|maps?|feeds?|comments?|posts?|profiles?|photos?|images?|media|playback|carts?|"
    r"basket|portal|admin|prescriptions?|statements?|trades?|quotes?|tickets?|routes?|drivers?|"
    # the whole service is a scope too: "a full outage", "customers cannot use the service"
    r"(?:full|complete|total)\s+outage|(?:entire|whole)\s+(?:service|platform|site|product)|"
    r"(?:cannot|can't|unable\s+to)\s+use\s+(?:the|our)\s+(?:service|platform|product)"
)
_SYMPTOM = any_of(
    r"fail\w*|errors?|erroring|slow\w*|time\s?outs?|timing\s+out|times?\s+out|declin\w*|cannot|can't|can\s+not|unable|"
    r"unavailable|unreachable|not\s+(?:\w+\s+)?(?:load\w*|arriv\w*|sent|send\w*|sync\w*|work\w*|shown|generated|"
    r"delivered|import\w*|export\w*|found|available)|delay\w*|late|missing|empty|duplicat\w*|wrong|incorrect|crash\w*|"
    r"drop\w*|stale|blank|lost|logged\s+out|logs?\s+(?:\w+\s+){0,2}out|down|offline|paused|stuck|broken|reject\w*|"
    r"[45]\d\d|[45]\d\ds|old|no\s+results|twice|off\s+by|knocked\s+out|took\s+down|brought\s+down|"
    r"disconnect\w*|buffer\w*|freez\w*|hangs|hanging|bounc\w*|outdated|(?:didn't|did\s+not)\s+(?:reach|arrive|go)|"
    r"(?:won't|will\s+not|wont)\s+(?:play|load|open|start|appear|connect)|not\s+(?:\w+\s+)?(?:reach\w*|play\w*|appear\w*)"
)
_DETAIL = re.compile(
    r"(?<![\w-])(?:since|between|from)\s+(?:about\s+)?\d|\d+\s*%|\bone\s+in\s+\w+|\b(?:in|for)\s+(?:the\s+)?"
    r"(?:eu|us|uk|usa|europe|asia|australia|america|south\s+america|north\s+america|emea|apac)\b|customers\s+in\b|"
    r"\bonly\b|\b(?:all|every)\s+(?:customers|users|accounts|requests)\b|\bon\s+(?:ios|android|safari|chrome|firefox)\b"
)


def find(
    text: Text, extra: Iterable[str], *, own_only: bool = False, blamed: tuple[int, int] | None = None
) -> list[str]:
    """The vague words, or [] when the text says what is affected and what customers see.

    `own_only` checks only the team's phrases; the sentence `blamed` names a third party's trouble, not ours.
    """
    own = [phrase for phrase in extra if _contains(text.low, phrase.lower())]
    if own or own_only:
        return own
    low = text.without_apologies()
    ours = low  # a provider's trouble is theirs to describe; a hedge about our customers is ours, blamed or not
    if blamed:
        start, end = next(((a, b) for a, b in text.sentence_spans() if a <= blamed[0] < b + 1), blamed)
        ours = low[:start] + " " * (end - start) + low[end:]
    found = [*_PROBLEM.finditer(ours), *_HEDGE.finditer(ours)]
    found += [m for m in _OUR_HEDGE.finditer(low) if not any(m.start() == f.start() for f in found)]
    if not found:
        return []
    if _OBJECT.search(text.low) and (_SYMPTOM.search(_without(text.low, found)) or _DETAIL.search(text.low)):
        return []
    found.sort(key=lambda m: m.start())
    return list(dict.fromkeys(text.quote(*m.span()) for m in found))[:3]


def nothing_named(text: Text) -> list[str]:
    """The opening words of a text that names nothing customers use, or [] when it names something."""
    specific = re.sub(r"\b(?:elevated\s+|increased\s+|higher\s+)?error(?:s|ing|\s+rates?)?\b", " ", text.low)
    if _OBJECT.search(text.low) or _SYMPTOM.search(specific) or _DETAIL.search(text.low) or not text.low.strip():
        return []  # a symptom ("disconnected", "buffering since 21:30") describes something customers use
    return [_opening(text)]


def _opening(text: Text) -> str:
    """The first words of a text: what the warning quotes when it names nothing customers use."""
    words = text.original.split()
    return short(" ".join(words[:6]) + (" …" if len(words) > 6 else ""))


def _without(low: str, found: list[re.Match[str]]) -> str:
    """The text with the vague words blanked, so "a technical fault" is not read as a symptom."""
    chars = list(low)
    for match in found:
        chars[match.start() : match.end()] = " " * (match.end() - match.start())
    return "".join(chars)


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None
