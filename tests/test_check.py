"""`warroom check` as an operator runs it: one ✓ or ✗ line per check, against a fake Slack, without a .env."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from bot.render.templates import shipped_templates
from bot.startup import SLACK_TIMEOUT
from tests.support.fake_slack import FakeSlack
from tests.support.harness import MIRROR, SECRET, start_fake_slack
from tests.support.in_process import run_main

BOT_TOKEN = "xoxb-check-test"
APP_TOKEN = "xapp-1-check-test"


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    seconds: float

    def line(self, subject: str) -> str:
        """The one line about `subject`; fails when there is none or more than one."""
        found = [line for line in self.out.splitlines() if line[2:].startswith(f"{subject}:")]
        assert len(found) == 1, f"expected one line about {subject}, got {found} in:\n{self.out}{self.err}"
        return found[0]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = start_fake_slack()
    yield slack
    slack.stop()


def run_check(tmp_path: Path, *args: str, api_url: str, process: bool = False, **settings: str) -> Outcome:
    """`python -m bot check ARGS` in `tmp_path` with the check's settings: run in this process (the check's lines and
    exit status are the subject), or with `process=True` as a real `python -m bot`."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WARROOM_", "DATABASE_URL", "PORT"))}
    env = {
        **keep,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'warroom.db'}",
        "WARROOM_MIRROR_CHANNEL": MIRROR,
        **settings,
    }
    started = time.monotonic()
    if process:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "check", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    else:
        result = run_main(["check", *args], env=env, cwd=tmp_path)
    return Outcome(result.returncode, result.stdout, result.stderr, time.monotonic() - started)


def test_everything_right_in_http_mode_is_five_ticks_and_exit_0(fake: FakeSlack, tmp_path: Path) -> None:
    outcome = run_check(tmp_path, api_url=fake.api_url, process=True)  # the real `python -m bot check`

    assert outcome.code == 0, outcome.out + outcome.err
    assert outcome.line("bot token") == (
        "✓ bot token: accepted in workspace Acme Corp (acme.slack.com) as bot user @warroom (UWARROOMBOT)"
    )
    assert outcome.line("scopes").startswith("✓ scopes: all 10 that Warroom needs are granted (channels:history,")
    assert (
        outcome.line("mirror channel")
        == "✓ mirror channel: #support-mirror (CMIRROR01), a channel Warroom is a member of"
    )
    shipped = len(list(shipped_templates().rglob("*.j2")))
    assert outcome.line("playbook and templates") == (
        "✓ playbook and templates: the shipped playbook with 3 severities (P1, P2, P3); "
        f"{shipped} templates render with sample data (all shipped)"
    )
    assert "app token" not in outcome.out, "HTTP mode has no app token to check"
    assert outcome.out.splitlines()[-1] == "warroom: all 4 checks passed"
    assert [call.params.get("channel") for call in fake.received("conversations.info")] == [MIRROR]


def test_socket_mode_also_proves_the_app_token(fake: FakeSlack, tmp_path: Path) -> None:
    outcome = run_check(tmp_path, api_url=fake.api_url, SLACK_SIGNING_SECRET="", SLACK_APP_TOKEN=APP_TOKEN)

    assert outcome.code == 0, outcome.out + outcome.err
    assert outcome.line("app token") == "✓ app token: Slack opens Socket Mode connections with SLACK_APP_TOKEN"
    assert outcome.out.splitlines()[-1] == "warroom: all 5 checks passed"
    assert len(fake.received("apps.connections.open")) == 1


def test_a_revoked_app_token_is_one_cross_with_how_to_make_a_new_one(fake: FakeSlack, tmp_path: Path) -> None:
    fake.revoked.add(APP_TOKEN)

    outcome = run_check(tmp_path, api_url=fake.api_url, SLACK_APP_TOKEN=APP_TOKEN)

    assert outcome.code == 1
    line = outcome.line("app token")
    assert line.startswith("✗ app token: Slack refused SLACK_APP_TOKEN for Socket Mode (invalid_auth). Fix: ")
    assert "App-Level Tokens" in line and "connections:write" in line
    assert outcome.line("bot token").startswith("✓")
    assert outcome.out.splitlines()[-1] == "warroom: 1 of 5 checks failed"


def test_a_refused_bot_token_fails_and_the_checks_that_need_it_say_so(fake: FakeSlack, tmp_path: Path) -> None:
    fake.revoked.add(BOT_TOKEN)

    outcome = run_check(tmp_path, api_url=fake.api_url)

    assert outcome.code == 1
    assert outcome.line("bot token").startswith(
        "✗ bot token: Slack refused SLACK_BOT_TOKEN (invalid_auth). Fix: copy the Bot User OAuth Token (xoxb-…) again"
    )
    assert outcome.line("scopes") == (
        "✗ scopes: not checked: needs a bot token Slack accepts. Fix: fix the problem above first"
    )
    assert outcome.line("mirror channel").startswith("✗ mirror channel: not checked")
    assert outcome.line("playbook and templates").startswith("✓")
    assert fake.received("conversations.info") == [], "nothing more is asked with a refused token"


def test_a_missing_scope_is_named_with_what_needs_it(fake: FakeSlack, tmp_path: Path) -> None:
    fake.scopes -= {"users:read", "groups:read"}  # installed from an older manifest

    outcome = run_check(tmp_path, api_url=fake.api_url)

    assert outcome.code == 1
    line = outcome.line("scopes")
    assert line.startswith(
        "✗ scopes: the bot token lacks groups:read, users:read "
        "(groups:read: conversations.info on a private mirror channel; users:read: users.info: check that a "
        "nominated communicator is a real, active person). Fix: "
    )
    assert "Reinstall to Workspace" in line
    assert outcome.line("mirror channel").startswith("✓"), "a public mirror needs channels:read only"


def test_a_mirror_warroom_was_not_invited_to_says_how_to_invite_it(fake: FakeSlack, tmp_path: Path) -> None:
    fake.remove_bot(MIRROR)

    outcome = run_check(tmp_path, api_url=fake.api_url)

    assert outcome.code == 1
    assert outcome.line("mirror channel") == (
        "✗ mirror channel: Warroom is not a member of #support-mirror (CMIRROR01). "
        "Fix: in #support-mirror, type /invite @warroom"
    )


@pytest.mark.parametrize("private", [True, False], ids=["private-not-invited", "no-such-channel"])
def test_a_mirror_slack_cannot_find_points_at_the_channel_id(fake: FakeSlack, tmp_path: Path, private: bool) -> None:
    if private:
        fake.add_channel("GEXEC0001", "exec-mirror", private=True, member=False)
    outcome = run_check(tmp_path, api_url=fake.api_url, WARROOM_MIRROR_CHANNEL="GEXEC0001")

    assert outcome.code == 1
    line = outcome.line("mirror channel")
    assert line.startswith(
        "✗ mirror channel: GEXEC0001 does not exist, or is a private channel Warroom is not in (channel_not_found). "
        "Fix: set WARROOM_MIRROR_CHANNEL to the channel's ID"
    )
    assert "exec-mirror" not in line, "Slack does not reveal a private channel's name to a non-member"


def test_broken_and_misnamed_templates_each_get_a_line(fake: FakeSlack, tmp_path: Path) -> None:
    team = tmp_path / "team-templates"
    (team / "drafts").mkdir(parents=True)
    (team / "activation.md.j2").write_text("Incident {{ reff }} declared")
    (team / "drafts" / "monitoring.md.j2").write_text("{% if tone == 'formal' %}Fix is in.")
    (team / "nominate_prompt.md.j2").write_text("Pick someone for {{ ref }} by {{ due | mention }}")
    (team / "activaton.md.j2").write_text("a typo in the name")
    (team / "help.md.j2").write_text("Our own help: {% for name, label in severities %}{{ name }} {% endfor %}")

    outcome = run_check(tmp_path, api_url=fake.api_url, WARROOM_TEMPLATES=str(team))

    assert outcome.code == 1
    problems = [line for line in outcome.out.splitlines() if line.startswith("✗ templates: ")]
    assert len(problems) == 4, outcome.out
    assert problems[0].startswith(
        f"✗ templates: {team / 'activation.md.j2'} uses reff, which Warroom does not pass. "
        "Fix: use only the variables Warroom passes to activation.md.j2: "
        "authority, briefing_from, cadence, declared_as,"
    )
    assert problems[1].startswith(
        f"✗ templates: {team / 'nominate_prompt.md.j2'} does not render with sample data "
        "(ValueError: not a user ID: '14:07 UTC')"
    )
    assert problems[2].startswith(
        f"✗ templates: {team / 'drafts' / 'monitoring.md.j2'} does not render with sample data (TemplateSyntaxError:"
    )
    assert problems[3].startswith(
        f"✗ templates: {team / 'activaton.md.j2'} is not a template Warroom uses, so it changes nothing. Fix: name it"
    )
    assert "help.md.j2" not in outcome.out, "a good override passes"


def test_offline_checks_only_settings_and_playbook_without_calling_slack(fake: FakeSlack, tmp_path: Path) -> None:
    fake.revoked.add(BOT_TOKEN)

    outcome = run_check(tmp_path, "--offline", api_url=fake.api_url)

    assert (outcome.code, outcome.out) == (0, "warroom: settings and playbook are valid\n")
    assert fake.calls == []


def test_slack_that_never_answers_fails_the_check_within_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process, so that the time measured is the check's and not Python's start-up on a busy machine.
    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.startswith(("SLACK_", "WARROOM_", "DATABASE_URL", "PORT"))]:
        monkeypatch.delenv(name)
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        api_url = f"http://127.0.0.1:{silent.getsockname()[1]}/api/"
        for name, value in {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": api_url,
            "WARROOM_MIRROR_CHANNEL": MIRROR,
        }.items():
            monkeypatch.setenv(name, value)
        started = time.monotonic()
        code = main(["check"])
        outcome = Outcome(code, *capsys.readouterr(), seconds=time.monotonic() - started)

    assert outcome.code == 1
    assert outcome.line("bot token").startswith(f"✗ bot token: cannot reach Slack at {api_url} (")
    assert outcome.line("app token").startswith("✗ app token: not checked: Slack is unreachable")
    assert outcome.line("mirror channel").startswith("✗ mirror channel: not checked")
    assert outcome.line("playbook and templates").startswith("✓")
    assert outcome.seconds < SLACK_TIMEOUT + 1.5, f"the check took {outcome.seconds:.1f} s (one timeout expected)"
