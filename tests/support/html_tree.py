"""Parse the sandbox's HTML into a small tree, so tests assert on elements and attributes, not substrings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from markupsafe import Markup

VOID = {"br", "hr", "img", "input"}


@dataclass
class Node:
    """One parsed element: its tag, attributes, children and the text directly and deeply inside."""

    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    parts: list[str | Node] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(part if isinstance(part, str) else part.text for part in self.parts)

    def all(self, tag: str | None = None, css: str | None = None) -> list[Node]:
        found: list[Node] = []
        for child in self.children:
            classes = (child.attrs.get("class") or "").split()
            if (tag is None or child.tag == tag) and (css is None or css in classes):
                found.append(child)
            found += child.all(tag, css)
        return found

    def one(self, tag: str | None = None, css: str | None = None) -> Node:
        (found,) = self.all(tag, css)
        return found


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [Node("root")]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        self.stack[-1].parts.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].parts.append(data)


def parse(markup: Markup) -> Node:
    """The HTML as a tree; fails on a tag closed out of order or left open."""
    assert isinstance(markup, Markup)
    tree = _Tree()
    tree.feed(str(markup))
    tree.close()
    assert len(tree.stack) == 1, f"unclosed <{tree.stack[-1].tag}>"
    return tree.stack[0]


def act(node: Node) -> Any:
    """The JSON an interactive element carries in data-act."""
    return json.loads(node.attrs["data-act"] or "")
