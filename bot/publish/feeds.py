"""The history feeds, Atom and RSS: one item per approved entry, newest first, linking to its incident's page."""

from __future__ import annotations

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

from bot.publish.api import page_id
from bot.publish.snapshot import Snapshot

FEED_ITEMS = 200  # the newest entries a feed carries; every incident's own page keeps all of them
STATUS_LABELS = {"investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring"}


def feeds(snapshot: Snapshot) -> dict[str, bytes]:
    """/history.atom and /history.rss."""
    generator = FeedGenerator()
    base = snapshot.base_url
    generator.id(f"{base}/history.atom")
    generator.title(f"{snapshot.title} status history")
    generator.subtitle(f"Updates from {snapshot.title}")
    generator.description(f"Updates from {snapshot.title}")
    generator.link(href=f"{base}/", rel="alternate")
    generator.link(href=f"{base}/history.atom", rel="self")
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
        item.description(entry.body)
        item.content(entry.body, type="text")
        item.published(entry.created_at)
        item.updated(entry.updated_at)
        item.author(name=snapshot.title)
        item.category(term=page_id(snapshot))
    return {"/history.atom": generator.atom_str(pretty=True), "/history.rss": generator.rss_str(pretty=True)}
