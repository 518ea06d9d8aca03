"""The public status page: only approved words, from incidents run through Slack, read over HTTP like a customer."""

from __future__ import annotations

from datetime import timedelta

from tests.support.feed import click, opened_view, text_values
from tests.support.harness import ERIN, LEAD
from tests.support.status import TITLE, Public, main_of, parse_time, public_side, times

IMPACT = "Card payments fail for some customers in the EU"
FIRST_FIX = "A configuration change is rejecting card payments in the EU. We are rolling it back."
CORRECTED = "A configuration change is rejecting card payments in the EU. Rolling it back has started."
DRAFT = "monitoring: unapproved words about the rollback that customers must not see"


def _declare_and_approve_first(public: Public) -> int:
    incident = public.harness.declare(f"P1 {TITLE}")
    first = public.harness.entries()[0]
    public.approve(first.id or 0, response="first")
    return incident.id or 0


def test_before_any_approval_the_page_says_nothing_of_the_incident(database_url: str) -> None:
    with public_side(database_url) as public:
        public.harness.declare(f"P1 {TITLE}")
        page = public.get("/")
        assert page.status == 200
        assert "All Systems Operational" in page.text
        assert "No active incidents." in page.text
        assert "payments-api" not in page.text and public.harness.entries()[0].text not in page.text
        assert public.get("/incidents/INC-1").status == 404


def test_only_approved_words_appear_newest_first_with_the_impact_line_never_the_title(database_url: str) -> None:
    with public_side(database_url) as public:
        harness = public.harness
        incident_id = _declare_and_approve_first(public)
        first_text = harness.entries()[0].text
        page = public.get("/")
        assert "Service disruption (INC-1)" in page.text, "no impact line approved yet: a neutral name"
        assert first_text in page.text
        harness.command(f"impact {IMPACT}", user=LEAD, response="impact")
        harness.wait_until(lambda: harness.incidents()[0].impact)

        harness.clock.advance(minutes=10)
        fix = public.draft(f"identified: {FIRST_FIX}", by=ERIN, response="fix")
        public.draft(DRAFT, by=ERIN, response="unapproved")
        assert FIRST_FIX not in public.get("/").text, "a draft is not public"
        public.approve(fix, response="fix-approved")

        page = public.get("/")
        assert IMPACT in page.text
        assert DRAFT.split(": ", 1)[1] not in page.text
        for internal in (TITLE, "payments-api", "Marta", "Lee Lead", "Erin", "Dana", LEAD, ERIN):
            assert internal not in page.text
        tree = main_of(page.text)
        [card] = tree.all("article", "incident")
        bodies = [node.text for node in card.all("p", "body")]
        assert bodies == [FIRST_FIX, first_text], "newest first"
        assert "Identified" in card.text and "Next update by" in card.text
        # times are machine-readable (UTC) and shown in the playbook's zone (Berlin: UTC+1 in November)
        approved_at = harness.entries()[-2].decided_at
        assert approved_at is not None
        assert approved_at.strftime("%Y-%m-%dT%H:%M:%SZ") in times(page.text)
        assert f"{(approved_at + timedelta(hours=1)):%H:%M} CET" in page.text
        due = harness.incidents()[0].next_update_due_at
        next_by = page.text.split('class="next"', 1)[1]
        assert parse_time(times(next_by)[0]) == due.replace(microsecond=0), "the committed next update"
        assert public.get(f"/incidents/INC-{incident_id}").status == 200


def test_a_correction_replaces_the_words_everywhere_and_says_so(database_url: str) -> None:
    with public_side(database_url) as public:
        harness = public.harness
        _declare_and_approve_first(public)
        fix = public.draft(f"identified: {FIRST_FIX}", response="fix")
        public.approve(fix, response="fix-approved")
        harness.clock.advance(minutes=3)
        opened = len(harness.fake.received("views.open"))
        click(harness, "entry_correct", fix, by=LEAD)
        view = opened_view(harness, opened + 1)
        assert harness.slack.view_submission(user=LEAD, view=view, values=text_values(CORRECTED)).status == 200
        harness.wait_until(lambda: [e for e in harness.entries() if e.corrected_at])

        for path in ("/", "/incidents/INC-1", "/api/v2/incidents.json", "/history.atom", "/history.rss"):
            body = public.get(path).text
            assert "Rolling it back has started." in body, path
            assert "We are rolling it back." not in body, path
        assert "(corrected " in public.get("/incidents/INC-1").text


def test_components_show_the_worst_open_mark_and_resolution_returns_them_to_operational(database_url: str) -> None:
    with public_side(database_url) as public:
        harness = public.harness
        incident_id = _declare_and_approve_first(public)
        public.mark(incident_id, API="degraded_performance", Checkout="major_outage")
        components = main_of(public.get("/").text).one("ul", "components")
        shown = {item.one("span", "name").text: item.one("span", "pill").text for item in components.all("li")}
        assert shown == {"API": "Degraded performance", "Dashboard": "Operational", "Checkout": "Major outage"}

        harness.clock.advance(minutes=30)
        public.resolve("A configuration change to card payments in the EU rejected them.")
        page = public.get("/")
        assert "All Systems Operational" in page.text
        assert page.text.count("pill-operational") == 3
        assert "No active incidents." in page.text
        [past] = main_of(page.text).all("article", "past")
        assert "Service disruption (INC-1)" in past.text and "Resolved" in past.text


def test_resolved_history_covers_90_days_and_each_incident_keeps_its_page(database_url: str) -> None:
    with public_side(database_url) as public:
        harness = public.harness
        _declare_and_approve_first(public)
        public.resolve("A bad deploy.")
        assert "Service disruption (INC-1)" in public.get("/").text
        harness.clock.advance(days=89)
        assert len(main_of(public.get("/").text).all("article", "past")) == 1
        harness.clock.advance(days=2)
        page = public.get("/")
        assert "No incidents in the last 90 days." in page.text
        old = public.get("/incidents/INC-1")
        assert old.status == 200 and "Resolved" in old.text, "an incident's own page never disappears"


def test_drills_and_internal_incidents_never_appear(database_url: str) -> None:
    with public_side(database_url) as public:
        harness = public.harness
        harness.command(f"drill P1 {TITLE}", response="drill")
        harness.wait_until(lambda: harness.entries())
        public.approve(harness.entries()[0].id or 0, response="drill-approved")
        harness.command("resolve drill over", user=LEAD, response="drill-resolve")
        internal = harness.declare("P2 Internal batch jobs slow", channel="COTHER001")
        public.make_internal(internal.id or 0)
        entry = next(e for e in harness.entries() if e.incident_id == internal.id)
        public.approve(entry.id or 0, response="internal-approved")
        public.mark(internal.id or 0, API="major_outage")
        for path in ("/", "/api/v2/summary.json", "/api/v2/incidents.json", "/history.atom", "/history.rss"):
            body = public.get(path).text
            assert "INC-1" not in body and "INC-2" not in body and "inc-1" not in body and "inc-2" not in body, path
            assert entry.text not in body and harness.entries()[0].text not in body, path
        assert "All Systems Operational" in public.get("/").text, "an internal incident's marks are not public"
        assert public.get("/incidents/INC-1").status == 404
        assert public.get("/incidents/INC-2").status == 404


def test_typed_markup_is_escaped(database_url: str) -> None:
    with public_side(database_url) as public:
        _declare_and_approve_first(public)
        public.harness.command('impact <script>alert(1)</script> & "quotes"', user=LEAD, response="impact")
        public.harness.wait_until(lambda: public.harness.incidents()[0].impact)
        page = public.get("/").text
        assert "<script>" not in page
        assert "&lt;script&gt;" in page
