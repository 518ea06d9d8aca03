"""The wording check reads what people write: the tuning corpus as a table, the issue's examples exactly, the
playbook's additions, and the warnings where the communicator sees them (the draft card and its DM copy)."""

from __future__ import annotations

import pytest

from bench.wording import Labelled, load, score
from bot.incidents.wording import CATEGORIES, check, findings
from bot.playbook import Playbook, Wording
from tests.support.feed import approve
from tests.support.harness import DANA, ERIN, WAR_ROOM, Harness

CORPUS = load("corpus")


@pytest.mark.parametrize("row", CORPUS, ids=[row.text[:48] for row in CORPUS])
def test_each_corpus_text_draws_the_warnings_its_readers_expect(row: Labelled) -> None:
    assert findings(row.text, Wording(), is_resolution=row.resolution).categories == set(row.labels)


@pytest.mark.parametrize("split", ["corpus", "independent_a"])
def test_the_tuning_splits_meet_the_issues_bar(split: str) -> None:
    """Our corpus, and the set another author wrote without seeing the rules (tuned on after its first score)."""
    scores = score(load(split), Wording())
    assert all(scores.recall[category] >= 0.9 for category in CATEGORIES), scores.recall
    assert scores.false_warnings * 12 <= scores.good, "at most 1 false warning in 12 good texts"


@pytest.mark.parametrize(
    ("text", "category", "words"),
    [
        ("We expect a fix by 15:00 UTC.", "promise", "fix by 15:00 UTC"),
        ("ETA 10 min, should be back within the hour.", "promise", "ETA 10 min"),
        ("Expect full recovery in about 20 minutes.", "promise", "recovery in about 20 minutes"),
        ("Cloudflare is having a major outage that took our payments down.", "blame", "Cloudflare"),
        ("Stripe is having problems, so payments are failing.", "blame", "Stripe"),
        ("We are seeing some problems with payments.", "vague", "some problems"),
        ("Some functionality may be impacted.", "vague", "Some functionality"),
        ("There is currently a problem with our systems.", "vague", "a problem"),
    ],
)
def test_the_issues_examples_are_each_caught_naming_the_words(text: str, category: str, words: str) -> None:
    found = findings(text, Wording())
    assert found.categories == {category}
    [warning] = found.warnings[category]
    assert f"“{words}" in warning, warning
    assert "“" in warning.split(")")[-1] or ":" in warning, "offers a better way to say it"


@pytest.mark.parametrize(
    "text",
    [
        "Checkout has been delayed by about 30 minutes since 14:02 UTC. Next update by 15:30 UTC.",
        "Card payments were restored at 14:41 UTC; we are watching them. Next update by 15:30 UTC.",
        "Card payments in the EU fail since 14:02 UTC; next update by 15:30 UTC.",
        "Our payments provider's API slowed, and our checkout did not fail over; that is on us.",
    ],
)
def test_the_issues_good_texts_draw_no_warning(text: str) -> None:
    assert check(text, Wording()) == []


def test_the_first_draft_for_a_full_outage_is_not_vague() -> None:
    first = (
        "We are investigating a full outage: customers cannot use the service. Our engineers are actively working "
        "on it, and we apologise for the disruption."
    )
    assert check(first, Wording()) == [], "the whole service is a scope"


def test_a_fix_time_warning_says_what_to_commit_to_instead() -> None:
    [warning] = check("Card payments fail in the EU; we'll have it fixed in 30 minutes.", Wording())
    assert warning.startswith("Promises a fix time (“fixed in 30 minutes”).")
    assert "Instead of a fix time, commit to the next update: “We will update you by 15:30 UTC.”" in warning


def test_a_resolution_is_explained_by_its_text_or_its_cause() -> None:
    bare = "Card payments work again for all customers."
    [warning] = check(bare, Wording(), is_resolution=True)
    assert warning.startswith("Resolved without an explanation (“work again”).")
    assert check(bare, Wording(), is_resolution=True, cause="A certificate we use expired; we renewed it.") == []
    assert check(bare, Wording(), is_resolution=True, cause="Database failover") == [], "the cause explains it"
    assert "cause “unknown”" in check(bare, Wording(), is_resolution=True, cause="unknown")[0]
    assert check(bare, Wording()) == [], "an update that says service is back needs no cause yet"


def test_the_playbooks_wording_keys_add_to_the_rules() -> None:
    wording = Wording(vague=["a blip"], promises=[r"\bgood to go by\b"], third_parties=["Acme Pay"], blame=["dropped"])
    assert findings("Card payments in the EU had a blip since 14:02 UTC.", wording).categories == {"vague"}
    assert findings("Checkout fails in the EU; good to go by lunch.", wording).categories == {"promise"}
    said = check("Card payments fail in the EU: Acme Pay dropped them.", wording)
    assert said and said[0].startswith("Blames a third party (“Acme Pay” with “dropped”)")
    assert findings("Card payments fail in the EU: Acme Pay dropped them.", Wording()).categories == set()
    [long] = check("Card payments fail in the EU. Checkout is slow.", Wording(max_sentences=1))
    assert long.startswith("2 sentences: keep entries to 1 or fewer")


def test_a_playbook_written_for_the_phrase_list_still_loads() -> None:
    old = {
        "vague": ["technical difficulties", "some issues"],
        "promises": [r"\b(resolved|fixed)\b[^.!?]{0,40}\b(in|within)\s+\d+\s*(minutes?|hours?)\b"],
        "third_parties": ["AWS", "Cloudflare"],
        "blame": ["fault", "caused by"],
        "max_sentences": 3,
    }
    playbook = Playbook.model_validate({"severities": {"P1": {"label": "x", "cadence": "1m"}}, "wording": old})
    assert findings("Checkout fails: technical difficulties.", playbook.wording).categories == {"vague"}


def test_the_draft_card_and_its_dm_copy_show_the_warnings(warroom: Harness) -> None:
    warroom.declare("P1 Checkout API returning 500s")
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)

    warroom.command("update Stripe is having problems, so payments are failing. Back within the hour.", user=ERIN)

    entry = warroom.wait_until(lambda: warroom.entries()[1:])[0]
    blame = "Blames a third party (“Stripe” with “is having problems”)"
    promise = "Promises a fix time (“Back within the hour”)"
    key = f"entry:{entry.id}:"
    [card] = warroom.fake.wait_for(
        "chat.postMessage", channel=WAR_ROOM, where=lambda c: f"{key}draft" in str(c.params["metadata"])
    )
    [dm] = warroom.fake.wait_for(
        "chat.postMessage", channel=DANA, where=lambda c: f"{key}dm" in str(c.params["metadata"])
    )
    for message in (card.everything, dm.everything):
        assert "Wording check" in message and blame in message and promise in message
        assert "commit to the next update: “We will update you by 15:30 UTC.”" in message
    approve(warroom, entry.id or 0, by=DANA)  # a warning, never a block
    warroom.wait_until(lambda: next((e for e in warroom.entries() if e.id == entry.id and e.state == "approved"), None))


def test_a_resolution_whose_cause_explains_nothing_is_flagged_on_its_card(warroom: Harness) -> None:
    warroom.declare("P1 Checkout API returning 500s")
    warroom.command(f"communicator <@{DANA}|dana>")
    warroom.wait_until(lambda: warroom.incidents()[0].communicator_id)

    warroom.command("resolve fixed", response="r")

    resolution = warroom.wait_until(lambda: [e for e in warroom.entries() if e.kind == "resolution"])[0]
    [card] = warroom.fake.wait_for(
        "chat.postMessage",
        channel=WAR_ROOM,
        where=lambda c: f"entry:{resolution.id}:draft" in str(c.params["metadata"]),
    )
    assert "Resolved without an explanation (“restored”, cause “fixed”)" in card.everything
    assert "“A configuration change we made at 14:00 UTC broke card payments" in card.everything
