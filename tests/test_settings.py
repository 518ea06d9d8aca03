"""Configuration as a person setting Warroom up meets it: .env.example, and `python -m bot check`."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.playbook import parse_duration
from tests.support.settings import SETTING_NAMES, VALID, problems, warroom_check, warroom_check_process

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / ".env.example"
# `NAME=value`, or `# NAME=value` for a setting left at its default.
ASSIGNMENT = re.compile(r"^(?P<commented>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def example_assignments() -> dict[str, tuple[bool, str]]:
    """Each variable .env.example sets: (commented out?, value)."""
    found: dict[str, tuple[bool, str]] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            assert match["name"] not in found, f".env.example sets {match['name']} twice"
            found[match["name"]] = (match["commented"] is not None, match["value"])
    return found


def by_variable(lines: list[str]) -> dict[str, str]:
    """Problem lines keyed by the variable they start with; each variable has exactly one line."""
    named = {line.partition(":")[0]: line for line in lines}
    assert len(named) == len(lines), f"a variable has more than one line: {lines}"
    return named


# --- .env.example ------------------------------------------------------------------------------------------


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    listed = set(example_assignments())
    assert not SETTING_NAMES - listed, f".env.example lacks {sorted(SETTING_NAMES - listed)}"
    assert not listed - SETTING_NAMES, f".env.example sets {sorted(listed - SETTING_NAMES)}, which Warroom ignores"


def test_env_example_explains_every_setting_on_the_lines_above_it() -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        match = ASSIGNMENT.match(line)
        if match:
            above = lines[index - 1] if index else ""
            assert above.startswith("# ") and not ASSIGNMENT.match(above), f"{match['name']} has no comment above it"


def test_env_example_leaves_optional_settings_commented_out_at_their_default() -> None:
    assignments = example_assignments()
    for name, field in Settings.model_fields.items():
        commented, value = assignments[name.upper()]
        if field.is_required():
            assert not commented, f"{name.upper()} is required, so .env.example should not comment it out"
            assert value == "", f"{name.upper()} should be left blank for the person to fill in"
        elif field.default is not None:
            assert commented, f"{name.upper()} has a default, so .env.example should comment it out"
            shown = parse_duration(value) if isinstance(field.default, timedelta) else value
            expected = field.default if isinstance(field.default, timedelta) else str(field.default)
            assert shown == expected, f"{name.upper()} should show its default {field.default}"


def test_a_fresh_copy_of_env_example_names_what_is_left_to_fill_in(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    named = set(by_variable(problems(warroom_check(tmp_path))))
    assert named == {"SLACK_BOT_TOKEN", "WARROOM_MIRROR_CHANNEL", "SLACK_SIGNING_SECRET"}

    filled = env_file.read_text(encoding="utf-8")
    for name, value in VALID.items():
        filled = filled.replace(f"\n{name}=\n", f"\n{name}={value}\n")
    env_file.write_text(filled, encoding="utf-8")
    result = warroom_check(tmp_path)
    assert result.returncode == 0, result.stderr


# --- python -m bot check -----------------------------------------------------------------------------------


def test_missing_settings_are_named_one_per_line(tmp_path: Path) -> None:
    lines = by_variable(problems(warroom_check_process(tmp_path)))  # the real process: exit status 2, stderr
    assert set(lines) == {"SLACK_BOT_TOKEN", "WARROOM_MIRROR_CHANNEL", "SLACK_SIGNING_SECRET"}
    assert "HTTP mode" in lines["SLACK_SIGNING_SECRET"]
    assert lines["SLACK_BOT_TOKEN"].startswith("SLACK_BOT_TOKEN: missing;")
    assert "xoxb-" in lines["SLACK_BOT_TOKEN"]
    assert lines["WARROOM_MIRROR_CHANNEL"].startswith("WARROOM_MIRROR_CHANNEL: missing;")
    assert "channel ID" in lines["WARROOM_MIRROR_CHANNEL"]


def test_malformed_values_name_each_variable_and_what_was_expected(tmp_path: Path) -> None:
    result = warroom_check(tmp_path, SLACK_BOT_TOKEN="abc", WARROOM_MIRROR_CHANNEL="#incidents", PORT="notaport")
    lines = by_variable(problems(result))
    assert set(lines) == {"SLACK_BOT_TOKEN", "WARROOM_MIRROR_CHANNEL", "PORT", "SLACK_SIGNING_SECRET"}
    assert "expected a port number from 1 to 65535" in lines["PORT"]
    assert "expected a bot token starting with xoxb-" in lines["SLACK_BOT_TOKEN"]
    assert "expected a channel ID such as C0123456789 (not a #name)" in lines["WARROOM_MIRROR_CHANNEL"]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SLACK_APP_TOKEN", "xoxb-wrong-kind", "expected an app-level token starting with xapp-"),
        ("SLACK_API_URL", "slack.com/api", "expected an http(s) URL such as https://slack.com/api/"),
        ("DATABASE_URL", "postgres://warroom@db/warroom", "use postgresql+psycopg://"),
        ("DATABASE_URL", "mysql://warroom@db/warroom", "expected sqlite:///path.db or postgresql+psycopg://"),
        ("WARROOM_PLAYBOOK", "no-such-playbook.yml", "no such file: no-such-playbook.yml"),
        ("WARROOM_TEMPLATES", "no-such-templates", "no such directory: no-such-templates"),
        ("PORT", "70000", "65535"),
    ],
)
def test_each_malformed_setting_says_what_was_expected(tmp_path: Path, name: str, value: str, expected: str) -> None:
    lines = problems(warroom_check(tmp_path, **{**VALID, name: value}))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{name}: ")
    assert expected in lines[0]


def test_a_valid_configuration_is_confirmed(tmp_path: Path) -> None:
    result = warroom_check(tmp_path, **VALID)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "warroom: settings and playbook are valid\n"
    assert "problem" not in result.stderr


def test_http_mode_without_a_signing_secret_is_refused(tmp_path: Path) -> None:
    http_mode = {name: value for name, value in VALID.items() if name != "SLACK_APP_TOKEN"}
    lines = problems(warroom_check(tmp_path, **http_mode))
    assert len(lines) == 1, lines
    assert lines[0].startswith("SLACK_SIGNING_SECRET: missing;")
    assert "SLACK_APP_TOKEN" in lines[0], "the line should also say that Socket Mode would not need it"


def test_http_mode_with_a_signing_secret_is_accepted(tmp_path: Path) -> None:
    http_mode = {name: value for name, value in VALID.items() if name != "SLACK_APP_TOKEN"}
    result = warroom_check(tmp_path, **http_mode, SLACK_SIGNING_SECRET="8f14e45fceea167a5a36dedd4bea2543")
    assert result.returncode == 0, result.stderr


def test_socket_mode_needs_no_signing_secret(tmp_path: Path) -> None:
    assert "SLACK_SIGNING_SECRET" not in VALID
    result = warroom_check(tmp_path, **VALID)
    assert result.returncode == 0, result.stderr


def test_an_invalid_playbook_names_the_file_the_key_and_the_reason(tmp_path: Path) -> None:
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(
        "severities:\n  P1: {label: Full outage, cadence: fifteen minutes}\nescalate_afterwards: 5m\n",
        encoding="utf-8",
    )
    lines = problems(warroom_check(tmp_path, **VALID, WARROOM_PLAYBOOK=str(playbook)))
    assert lines == [
        f"{playbook}: severities.P1.cadence: expected a positive duration like 90s, 15m or 2h",
        f"{playbook}: escalate_afterwards: unknown key",
    ]


def test_a_playbook_that_is_not_yaml_is_refused_naming_the_file(tmp_path: Path) -> None:
    playbook = tmp_path / "playbook.yml"
    playbook.write_text("severities: [P1\n", encoding="utf-8")
    lines = problems(warroom_check(tmp_path, **VALID, WARROOM_PLAYBOOK=str(playbook)))
    assert lines[0].startswith(f"{playbook}: not valid YAML")


def test_a_dotenv_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("".join(f"{name}={value}\n" for name, value in VALID.items()), encoding="utf-8")
    result = warroom_check_process(tmp_path)  # the real process, reading the .env of its working directory
    assert result.returncode == 0, result.stderr
    assert result.stdout == "warroom: settings and playbook are valid\n"


def test_environment_variables_win_over_the_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("".join(f"{name}={value}\n" for name, value in VALID.items()), encoding="utf-8")
    lines = problems(warroom_check(tmp_path, WARROOM_MIRROR_CHANNEL="#support-mirror"))
    assert len(lines) == 1 and lines[0].startswith("WARROOM_MIRROR_CHANNEL: expected a channel ID"), lines
