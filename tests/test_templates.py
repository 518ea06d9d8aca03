"""Templates: a team may override any of them; variables are always escaped; unknown names fail loudly."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

from bot.playbook import load_playbook
from bot.render.samples import template_samples
from bot.render.templates import Templates, shipped_templates
from bot.render.text import Mrkdwn
from tests.support.harness import MIRROR, running

PLAYBOOK = load_playbook()
SAMPLES = template_samples(PLAYBOOK)
TEMPLATES = Templates()
# Variables whose sample value is text the reader must see wherever the template uses the variable.
PRINTED = {"ref", "communicator", "lead", "by", "channel", "due", "text", "cause", "impact", "url", "email"}
PRINTED |= {"sender", "error", "mirror", "reason", "prevention", "fixed", "greeting"}
# Where one of those only decides what is said: the heads-up says "nobody is the communicator yet" without one.
DECIDES_ONLY = {("reminder_heads_up.md.j2", "communicator")}


def _shipped() -> list[str]:
    root = shipped_templates()
    return sorted(str(path.relative_to(root)) for path in root.rglob("*.j2"))


def _shows(rendered: str, value: str) -> bool:
    """Whether each line of `value` is in `rendered`, as typed or escaped for mrkdwn (quoted lines keep their text)."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return all(
        line in rendered or escaped_line in rendered
        for line, escaped_line in zip(value.splitlines(), escaped.splitlines(), strict=True)
        if line.strip()
    )


def test_every_shipped_template_has_sample_data() -> None:
    assert _shipped() == sorted(SAMPLES), "samples.py and templates/ name the same templates"
    assert {"activation.md.j2", "help.md.j2", "drafts/investigating.md.j2"} <= set(_shipped())


@pytest.mark.parametrize("name", _shipped())
def test_every_shipped_template_renders_its_samples_completely(name: str) -> None:
    variables = TEMPLATES.variables(name)
    for context in SAMPLES[name]:
        rendered = TEMPLATES.render(name, **context)
        assert rendered.strip(), f"{name} rendered nothing for {context}"
        for leftover in ("{{", "}}", "{%", "%}", "{#"):
            assert leftover not in rendered, f"{name} left {leftover!r} in its output"
        for key in variables & PRINTED:
            value = context.get(key)
            if isinstance(value, str) and (name, key) not in DECIDES_ONLY and _used(name, context, key):
                assert _shows(rendered, value), f"{name} uses {key}={value!r} but does not show it:\n{rendered}"
        if "ref" in variables:
            assert "INC-42" in rendered, f"{name} never names the incident"


@pytest.mark.parametrize("name", _shipped())
def test_a_missing_variable_fails_loudly_instead_of_leaving_a_blank(name: str) -> None:
    """Leaving out any variable either fails the render or changes nothing (that branch did not read it)."""
    failed = set()
    for context in SAMPLES[name]:
        rendered = TEMPLATES.render(name, **context)
        for key in context:
            if not _used(name, context, key):
                fewer = {k: v for k, v in context.items() if k != key}
                assert TEMPLATES.render(name, **fewer) == rendered, f"{name} went on without {key}"
            else:
                failed.add(key)
    if TEMPLATES.variables(name):
        assert failed, f"{name} rendered with any one of its variables missing"


def _used(name: str, context: dict[str, object], key: str) -> bool:
    """Whether rendering `name` without `key` fails; when it does, it is StrictUndefined's error, naming `key`."""
    fewer = {k: v for k, v in context.items() if k != key}
    try:
        TEMPLATES.render(name, **fewer)
    except UndefinedError as error:
        assert str(error) == f"{key!r} is undefined", f"{name} without {key} failed with: {error}"
        return True
    return False


def test_an_unknown_variable_is_an_error_not_a_blank(tmp_path: Path) -> None:
    (tmp_path / "activation.md.j2").write_text("Incident {{ reff }}")
    with pytest.raises(UndefinedError):
        Templates(tmp_path).render("activation.md.j2", ref="INC-1")


def test_variables_are_escaped_and_only_code_made_mentions_pass(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("{{ text }} | {{ made }} | {{ user | mention }} | <!here> literal")
    rendered = Templates(tmp_path).render("t.j2", text="<!channel> & co", made=Mrkdwn("<@U1>"), user="UDANA0001")
    assert rendered == "&lt;!channel&gt; &amp; co | <@U1> | <@UDANA0001> | <!here> literal"


@pytest.mark.parametrize("name", ["mention", "channel", "group", "email", "quote"])
def test_a_missing_variable_through_a_filter_is_named_not_a_type_error(tmp_path: Path, name: str) -> None:
    (tmp_path / "t.j2").write_text(f"Lead: {{{{ lead | {name} }}}}")
    with pytest.raises(UndefinedError, match=r"^'lead' is undefined$"):
        Templates(tmp_path).render("t.j2", ref="INC-1")


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
