"""The playbook: defaults as documented, durations like 90s/15m/2h, and clear errors for a bad file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.playbook import Briefing, PlaybookError, load_playbook, parse_duration
from tests.support.harness import WAR_ROOM, running


def test_the_shipped_playbook_has_the_documented_values() -> None:
    playbook = load_playbook()
    assert playbook.timezone == "UTC"
    assert playbook.acknowledge_within == timedelta(minutes=5)
    assert playbook.remind_before == timedelta(minutes=3)
    assert playbook.escalate_after == timedelta(minutes=5)
    assert playbook.customer_email_within == timedelta(hours=2)
    assert playbook.customer_email_min_duration == timedelta(minutes=30)
    assert {name: (s.label, s.cadence, s.tone, s.postmortem) for name, s in playbook.severities.items()} == {
        "P1": ("Full outage", timedelta(minutes=15), "formal", True),
        "P2": ("Partial degradation", timedelta(minutes=30), "measured", True),
        "P3": ("Intermittent issues", timedelta(minutes=60), "conversational", False),
    }
    assert playbook.briefing == Briefing(), "the shipped briefing and the code's default are the same text"
    assert any("enterprise" in item.lower() for item in playbook.briefing.escalate)


def test_only_severities_are_required(tmp_path: Path) -> None:
    path = tmp_path / "playbook.yml"
    path.write_text("severities:\n  sev1: {label: Everything down, cadence: 90s}\n")
    playbook = load_playbook(path)
    assert playbook.severity_names() == ["SEV1"]
    assert playbook.severities["SEV1"].cadence == timedelta(seconds=90)
    assert playbook.acknowledge_within == timedelta(minutes=5)
    assert playbook.briefing == Briefing()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
    ],
)
def test_durations_read_like_people_write_them(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["15", "0m", "fifteen minutes", "15 mins", "-5m", ""])
def test_a_bad_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="like 90s, 15m or 2h"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("severities:\n  P1: {label: Down, cadence: soon}\n", "severities.P1.cadence: expected a positive duration"),
        ("severities:\n  P1: {label: Down}\n", "severities.P1.cadence: Field required"),
        ("timezone: Mars/Olympus\nseverities:\n  P1: {label: Down, cadence: 5m}\n", "timezone: unknown time zone"),
        ("severities: {}\n", "severities: at least one severity is needed"),
        ("severities:\n  P1: {label: Down, cadence: 5m}\ncolour: red\n", "colour: unknown key"),
        ("- just\n- a list\n", "expected a mapping"),
        ("severities: [unclosed\n", "not valid YAML at line"),
    ],
)
def test_an_invalid_playbook_names_the_file_the_key_and_the_reason(
    tmp_path: Path, yaml_text: str, expected: str
) -> None:
    path = tmp_path / "playbook.yml"
    path.write_text(yaml_text)
    with pytest.raises(PlaybookError) as raised:
        load_playbook(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert expected in str(raised.value)


def test_a_team_playbook_drives_the_bot(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "playbook.yml"
    path.write_text(
        "timezone: Europe/Berlin\nacknowledge_within: 10m\n"
        "severities:\n  SEV1: {label: Everything down, cadence: 10m}\n  SEV2: {label: Degraded, cadence: 20m}\n"
    )
    with running(database_url, playbook=load_playbook(path)) as warroom:
        warroom.command("declare P1 Checkout down", response="p1")
        assert "Use one of `SEV1` (Everything down), `SEV2` (Degraded)" in warroom.fake.wait_response("p1")[0].text

        warroom.declare("sev1 Checkout down")

        [card] = warroom.fake.received("chat.postMessage", channel=WAR_ROOM, where=lambda c: c.text.startswith("INC-"))
        assert "SEV1 · Everything down" in card.everything
        assert "15:02 CET" in card.everything and "by 15:12 CET" in card.everything
