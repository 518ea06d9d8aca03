"""The history feeds: valid Atom and RSS (read with a real feed parser), one item per approved entry, newest first."""

from __future__ import annotations

from typing import Any

import feedparser  # type: ignore[import-untyped]

from tests.support.harness import ERIN
from tests.support.status import TITLE, public_side

FIX = "A configuration change is rejecting card payments. We are rolling it back."
UNAPPROVED = "words still waiting for the communicator"


def _parsed(body: bytes) -> Any:
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def test_atom_and_rss_carry_one_item_per_approved_entry_and_nothing_else(database_url: str) -> None:
    with public_side(database_url, base_url="https://status.acme.example") as public:
        harness = public.harness
        harness.declare(f"P1 {TITLE}")
        first = harness.entries()[0]
        public.approve(first.id or 0, response="first")
        harness.clock.advance(minutes=7)
        fix = public.draft(f"identified: {FIX}", by=ERIN, response="fix")
        public.approve(fix, response="fix-approved")
        public.draft(f"monitoring: {UNAPPROVED}", by=ERIN, response="pending")

        atom = public.get("/history.atom")
        rss = public.get("/history.rss")
        assert atom.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        assert rss.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
        for got, version in ((atom, "atom10"), (rss, "rss20")):
            feed = _parsed(got.body)
            assert feed.version == version
            assert feed.feed.title == "Acme Cloud status history"
            assert [entry.summary for entry in feed.entries] == [FIX, first.text], "newest first, approved only"
            assert [entry.link for entry in feed.entries] == [
                f"https://status.acme.example/incidents/INC-1#upd-{fix}",
                f"https://status.acme.example/incidents/INC-1#upd-{first.id}",
            ]
            assert feed.entries[0].title == "Service disruption (INC-1): Identified"
            assert len({entry.id for entry in feed.entries}) == 2
            assert feed.entries[0].published_parsed > feed.entries[1].published_parsed
            assert UNAPPROVED not in got.text and "payments-api" not in got.text and "Erin" not in got.text

        public.resolve("A configuration change rejected card payments.")
        feed = _parsed(public.get("/history.atom").body)
        assert len(feed.entries) == 3 and feed.entries[0].title.endswith(": Resolved")


def test_rss_links_to_the_page_and_itself_and_shows_typed_markup_as_written(database_url: str) -> None:
    with public_side(database_url, base_url="https://status.acme.example") as public:
        harness = public.harness
        harness.declare(f"P1 {TITLE}")
        markup = public.draft("identified: Card payments <b>fail</b> & retries too.", by=ERIN, response="markup")
        public.approve(markup, response="markup-approved")

        rss = public.get("/history.rss")
        feed = _parsed(rss.body)
        assert feed.feed.link == "https://status.acme.example/"
        assert any(
            link.get("rel") == "self" and link.get("href") == "https://status.acme.example/history.rss"
            for link in feed.feed.links
        )
        assert "<b>" not in rss.text, "the typed tag is not markup in the feed"
        assert "Card payments &lt;b&gt;fail&lt;/b&gt; &amp; retries too." in feed.entries[0].summary
