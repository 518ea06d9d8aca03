"""Imports point down only: each module of bot/ may import its own layer and the layers below it, never above.

The layers, top first (see ARCHITECTURE.md):

    entry points   bot.cli, bot.__main__, bot.server, bot.socket_mode, bot.socket_link, bot.runtime, bot.app, …
    listeners      bot.listeners: transport only
    scheduler      bot.scheduler
    Slack adapters bot.slack.people, bot.slack.channels: they implement the domain's ports (Directory, ChannelAccess)
    wiring         bot.domain: the flows the listeners and the scheduler are given
    domain         bot.incidents
    publish        bot.publish: the public side (status page, API, feeds, webhooks); reads the store, never the domain
    render         bot.render: domain values into Slack
    delivery       bot.delivery: outbox rows into Slack
    store          bot.store
    base           bot.playbook, bot.config, bot.clock, bot.ids, bot.vocabulary, bot.slack.client/scopes/uploads

Render and delivery are siblings: neither imports the other, and render never reads the store. Only the listeners
and the entry points know slack_bolt.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "entry points",
        (
            "bot.__main__",
            "bot.cli",
            "bot.server",
            "bot.socket_mode",
            "bot.socket_link",
            "bot.runtime",
            "bot.app",
            "bot.startup",
            "bot.sandbox",
        ),
    ),
    ("listeners", ("bot.listeners",)),
    ("scheduler", ("bot.scheduler",)),
    ("Slack adapters", ("bot.slack.people", "bot.slack.channels")),
    ("wiring", ("bot.domain",)),
    ("domain", ("bot.incidents",)),
    ("publish", ("bot.publish",)),
    ("render", ("bot.render",)),
    ("delivery", ("bot.delivery",)),
    ("store", ("bot.store",)),
    (
        "base",
        (
            "bot",
            "bot.playbook",
            "bot.playbook_public",
            "bot.config",
            "bot.clock",
            "bot.ids",
            "bot.vocabulary",
            "bot.slack",
            "bot.slack.client",
            "bot.slack.scopes",
            "bot.slack.uploads",
        ),
    ),
]

# Pairs the order alone would allow, but which would tie two layers that must stay apart.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "render": ("store", "delivery"),  # render turns values into Slack: it never reads rows nor sends
    "delivery": ("render",),  # delivery knows rows and Slack, not how a message was made
}
BOLT_ALLOWED = ("entry points", "listeners")
# Packages listed for their own __init__ only: a new module inside them must be given its layer.
PACKAGES_ONLY = ("bot", "bot.slack")


@dataclass(frozen=True)
class Violation:
    """One import that points the wrong way."""

    path: str
    line: int
    importer: str
    imported: str
    why: str

    def __str__(self) -> str:
        what = f"imports {self.imported}" if self.imported else "is in no layer"
        return f"{self.path}:{self.line}: {self.importer} {what}: {self.why}"


def layer_of(module: str) -> tuple[int, str] | None:
    """The layer a bot module belongs to (its longest listed prefix), top = 0; None if no layer lists it."""
    best: tuple[int, int, str] | None = None
    for rank, (name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            covers = module == prefix or (prefix not in PACKAGES_ONLY and module.startswith(prefix + "."))
            if covers and (best is None or len(prefix) > best[0]):
                best = (len(prefix), rank, name)
    return None if best is None else (best[1], best[2])


def module_name(path: Path) -> str:
    """bot/render/blocks.py -> bot.render.blocks; bot/store/__init__.py -> bot.store."""
    parts = list(path.relative_to(BOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(module: str, source: str, *, package: bool = False) -> list[tuple[int, str]]:
    """Every module `source` imports (at any depth: in functions, under TYPE_CHECKING), with its line."""
    found: list[tuple[int, str]] = []
    here = module if package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from bot import ids` imports the module bot.ids; `from bot.ids import X` imports bot.ids
            found.extend((node.lineno, _submodule(base, alias.name)) for alias in node.names)
    return list(dict.fromkeys(found))  # `from bot.ids import A, B` is one import of bot.ids


def _submodule(base: str, name: str) -> str:
    candidate = f"{base}.{name}"
    relative = Path(*candidate.split("."))
    if (BOT.parent / relative.with_suffix(".py")).is_file() or (BOT.parent / relative / "__init__.py").is_file():
        return candidate
    return base


def check(path: str, module: str, source: str, *, package: bool = False) -> list[Violation]:
    """The imports of one module that break the layer rules."""
    placed = layer_of(module)
    if placed is None:
        return [Violation(path, 1, module, "", "add it to LAYERS in tests/test_layers.py")]
    rank, layer = placed
    out: list[Violation] = []
    for line, imported in imports(module, source, package=package):
        if imported.split(".")[0] == "slack_bolt" and layer not in BOLT_ALLOWED:
            out.append(Violation(path, line, module, imported, f"only {' and '.join(BOLT_ALLOWED)} use slack_bolt"))
        if imported != "bot" and not imported.startswith("bot."):
            continue
        target = layer_of(imported)
        if target is None:
            out.append(Violation(path, line, module, imported, "the imported module is in no layer"))
            continue
        target_rank, target_layer = target
        if target_rank < rank:
            out.append(
                Violation(path, line, module, imported, f"{layer} may not import {target_layer}, a layer above it")
            )
        elif target_layer in FORBIDDEN.get(layer, ()):
            out.append(Violation(path, line, module, imported, f"{layer} may not import {target_layer}"))
    return out


def test_every_import_in_bot_points_down() -> None:
    problems: list[Violation] = []
    modules = sorted(BOT.rglob("*.py"))
    assert len(modules) > 40, "the walk found bot/'s modules"
    for path in modules:
        module = module_name(path)
        problems += check(
            str(path.relative_to(BOT.parent)), module, path.read_text(), package=path.name == "__init__.py"
        )
    assert not problems, "imports that point up or sideways:\n" + "\n".join(map(str, problems))


@pytest.mark.parametrize(
    ("module", "source", "why"),
    [
        ("bot.render.blocks", "from bot.store.models import Incident", "render may not import store"),
        ("bot.render.entries", "from bot.incidents.feed import Feed", "render may not import domain, a layer above"),
        ("bot.render.text", "import bot.delivery.outbox", "render may not import delivery"),
        ("bot.delivery.outbox", "from bot.render.blocks import Message", "delivery may not import render"),
        ("bot.delivery.worker", "from bot.incidents import timeline", "delivery may not import domain"),
        ("bot.incidents.feed", "from slack_bolt import App", "only entry points and listeners use slack_bolt"),
        ("bot.incidents.feed", "from bot.listeners.errors import answering", "domain may not import listeners"),
        ("bot.scheduler.ticking", "from bot.listeners import actions", "scheduler may not import listeners"),
        ("bot.store.models", "from bot.vocabulary import Phase\nfrom bot.incidents import keys", "store may not"),
        ("bot.vocabulary", "from bot.playbook import Playbook\nfrom bot.render import text", "base may not"),
        ("bot.incidents.notices", "def f():\n    from bot.slack.people import SlackDirectory", "domain may not"),
        ("bot.render.samples", "from .. import ids\nfrom ..store import db", "render may not import store"),
    ],
)
def test_a_wrong_import_is_named_with_its_line(module: str, source: str, why: str) -> None:
    problems = check("bot/x.py", module, source)
    assert len(problems) == 1, problems
    line = source.count("\n") + 1  # each sample's wrong import is its last line
    assert str(problems[0]).startswith(f"bot/x.py:{line}: {module} imports "), problems[0]
    assert why in str(problems[0])


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("bot.incidents.notices", "from bot.render.blocks import Message\nfrom bot.store.models import Entry"),
        (
            "bot.render.blocks",
            "from bot import ids\nfrom bot.playbook import Playbook\nfrom bot.vocabulary import Phase",
        ),
        ("bot.listeners.commands", "from slack_bolt import App\nfrom bot.domain import Domain"),
        ("bot.delivery.worker", "from bot.slack.client import retry_after\nfrom bot.store.db import session_scope"),
        ("bot.runtime", "from bot.slack.people import SlackDirectory"),
    ],
)
def test_imports_that_point_down_pass(module: str, source: str) -> None:
    assert check("bot/x.py", module, source) == []


@pytest.mark.parametrize("module", ["bot.newthing", "bot.slack.newthing"])
def test_a_module_in_no_layer_is_named(module: str) -> None:
    (problem,) = check("bot/newthing.py", module, "import json")
    assert str(problem) == f"bot/newthing.py:1: {module} is in no layer: add it to LAYERS in tests/test_layers.py"


def test_one_import_of_two_names_is_one_problem() -> None:
    (problem,) = check("bot/x.py", "bot.render.blocks", "from bot.store.models import Entry, Incident")
    assert str(problem) == "bot/x.py:1: bot.render.blocks imports bot.store.models: render may not import store"
