"""The history feeds, Atom and RSS: one item per approved entry, newest first, linking to its incident's page."""

from __future__ import annotations

import html

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

from bot.publish.api import page_id
from bot.publish.snapshot import Snapshot

FEED_ITEMS = 200  # the newest entries a feed carries; every incident's own page keeps all of them
STATUS_LABELS = {"investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring"}


def feeds(snapshot: Snapshot) -> dict[str, bytes]:
    """/history.atom and /history.rss."""
    return {
        "/history.atom": _generator(snapshot, "/history.atom", rss=False).atom_str(pretty=True),
        "/history.rss": _generator(snapshot, "/history.rss", rss=True).rss_str(pretty=True),
    }


def _generator(snapshot: Snapshot, self_path: str, *, rss: bool) -> FeedGenerator:
    """One feed. RSS descriptions are HTML, so an update's text is escaped as HTML there (and is plain text in
    Atom): whatever an update says is shown as written, never as markup."""
    generator = FeedGenerator()
    base = snapshot.base_url
    generator.id(f"{base}{self_path}")
    generator.title(f"{snapshot.title} status history")
    generator.subtitle(f"Updates from {snapshot.title}")
    generator.description(f"Updates from {snapshot.title}")
    generator.link(href=f"{base}{self_path}", rel="self")
    generator.link(href=f"{base}/", rel="alternate")  # last: RSS's channel <link> is the status page
    generator.language("en")
    generator.updated(snapshot.updated_at)
    generator.generator("Warroom", uri=None, version=None)
    items = [(incident, entry) for incident in snapshot.incidents for entry in incident.entries]
    items.sort(key=lambda pair: (pair[1].created_at, pair[1].id), reverse=True)
    for incident, entry in reversed(items[:FEED_ITEMS]):  # feedgen puts the last added first
        item = generator.add_entry()
        link = f"{base}/incidents/{incident.ref}"
        item.id(f"{link}#{entry.key}")
        item.guid(f"{link}#{entry.key}", permalink=True)
        status = STATUS_LABELS.get(entry.status, "Resolved")
        item.title(f"{incident.name}: {status}")
        item.link(href=f"{link}#{entry.key}")
        if rss:
            item.description(html.escape(entry.body))
        else:
            item.description(entry.body)
            item.content(entry.body, type="text")
        item.published(entry.created_at)
        item.updated(entry.updated_at)
        item.author(name=snapshot.title)
        item.category(term=page_id(snapshot))
    return generator
