"""Templates: a team may override any of them; variables are always escaped; unknown names fail loudly."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

from bot.render.templates import Templates, shipped_templates
from bot.render.text import Mrkdwn
from tests.support.harness import MIRROR, running


def test_every_shipped_template_renders_with_strict_undefined() -> None:
    names = sorted(path.name for path in shipped_templates().glob("*.j2"))
    assert "activation.md.j2" in names and "help.md.j2" in names


def test_an_unknown_variable_is_an_error_not_a_blank(tmp_path: Path) -> None:
    (tmp_path / "activation.md.j2").write_text("Incident {{ reff }}")
    with pytest.raises(UndefinedError):
        Templates(tmp_path).render("activation.md.j2", ref="INC-1")


def test_variables_are_escaped_and_only_code_made_mentions_pass(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("{{ text }} | {{ made }} | {{ user | mention }} | <!here> literal")
    rendered = Templates(tmp_path).render("t.j2", text="<!channel> & co", made=Mrkdwn("<@U1>"), user="UDANA0001")
    assert rendered == "&lt;!channel&gt; &amp; co | <@U1> | <@UDANA0001> | <!here> literal"


def test_the_mention_filter_refuses_typed_text(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("{{ user | mention }}")
    with pytest.raises(ValueError, match="not a user ID"):
        Templates(tmp_path).render("t.j2", user="!channel")


def test_a_team_template_overrides_the_shipped_one(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "activation.md.j2").write_text(
        "Heads up, support: {{ ref }} ({{ severity }} {{ label }}) since {{ started }}; first update by "
        "{{ first_update_due }}. Credits: {{ authority | length }} rules; escalate {{ escalate | length }} kinds."
    )
    with running(database_url, templates=tmp_path) as warroom:
        warroom.declare()
        [notice] = warroom.fake.wait_for("chat.postMessage", channel=MIRROR)
        assert notice.text.startswith("Heads up, support: INC-1 (P1 Full outage) since 2026-11-22 14:02 UTC")
        assert "Credits: 4 rules; escalate 4 kinds." in notice.text
        warroom.command("help", response="help")  # the other templates still come from the shipped set
        assert "/incident declare" in warroom.fake.wait_response("help")[0].text
