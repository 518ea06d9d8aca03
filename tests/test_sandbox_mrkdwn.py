"""The sandbox's mrkdwn: Slack's formatting as safe HTML, checked by parsing what it produces."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from bot.sandbox.blockkit import Names, mrkdwn, plain_text
from tests.support.html_tree import Node, parse

NAMES = Names(users={"ULEAD0001": "Sam Okafor", "UDANA0001": "Dana Whitfield"}, channels={"C1": "war-room"})


def md(text: str) -> Node:
    return parse(mrkdwn(text, NAMES))


# mrkdwn


@pytest.mark.parametrize(
    ("source", "tag", "inner"),
    [
        ("*bold*", "strong", "bold"),
        ("_italic words_", "em", "italic words"),
        ("~gone~", "del", "gone"),
        ("`a *not bold* b`", "code", "a *not bold* b"),
        ("say (*this*), then", "strong", "this"),
    ],
)
def test_each_marker_makes_its_tag(source: str, tag: str, inner: str) -> None:
    assert md(source).one(tag).text == inner


@pytest.mark.parametrize("source", ["snake_case_name", "2*3*4", "a* b*", "file_v2_final_", "* spaced *"])
def test_markers_inside_words_stay_literal(source: str) -> None:
    tree = md(source)
    assert tree.children == [] and tree.text == source


def test_styles_nest_and_surround_mentions() -> None:
    tree = md("*_both_* and *<@ULEAD0001>*")
    assert tree.all("strong")[0].one("em").text == "both"
    assert tree.all("strong")[1].one("span", "bk-mention").text == "@Sam Okafor"


def test_crossed_markers_stay_well_formed() -> None:
    assert md("a *b _c* d_").text == "a b _c d_"


def test_fenced_code_keeps_everything_literal() -> None:
    pre = md("before\n```\n*x* <@ULEAD0001> &lt;b&gt;\n```after").one("pre", "bk-pre")
    assert pre.text == "*x* <@ULEAD0001> <b>"


def test_quoted_lines_and_line_breaks() -> None:
    tree = md("&gt; first\n> second\nafter\nlast")
    quote = tree.one("blockquote", "bk-quote")
    assert quote.text == "firstsecond" and len(quote.all("br")) == 1
    assert len(tree.all("br")) == 2 and tree.text.endswith("afterlast")


@pytest.mark.parametrize(
    ("source", "css", "shown"),
    [
        ("<@ULEAD0001>", "bk-mention", "@Sam Okafor"),
        ("<@U9|erin>", "bk-mention", "@erin"),
        ("<@U9>", "bk-mention", "@U9"),
        ("<#C1>", "bk-channel", "#war-room"),
        ("<#C7|ops>", "bk-channel", "#ops"),
        ("<!here>", "bk-broadcast", "@here"),
        ("<!channel>", "bk-broadcast", "@channel"),
        ("<!everyone>", "bk-broadcast", "@everyone"),
        ("<!subteam^S1|@oncall>", "bk-mention", "@oncall"),
    ],
)
def test_mentions_channels_and_broadcasts(source: str, css: str, shown: str) -> None:
    assert md(source).one("span", css).text == shown


def test_a_date_shows_its_fallback() -> None:
    assert md("due <!date^1700000000^{time}|2:13 PM>").text == "due 2:13 PM"


@pytest.mark.parametrize(
    ("source", "href", "label"),
    [
        ("<https://status.example.com/a?b=1&amp;c=2|the page>", "https://status.example.com/a?b=1&c=2", "the page"),
        ("<https://example.com>", "https://example.com", "https://example.com"),
        ("<mailto:ops@example.com|write to us>", "mailto:ops@example.com", "write to us"),
    ],
)
def test_links_open_in_a_new_tab(source: str, href: str, label: str) -> None:
    link = md(source).one("a")
    assert (link.attrs["href"], link.text) == (href, label)
    assert link.attrs["target"] == "_blank" and "noopener" in (link.attrs["rel"] or "")


def test_slack_escapes_are_shown_as_the_characters() -> None:
    assert md("5 &lt; 6 &amp;&amp; 7 &gt; 3").text == "5 < 6 && 7 > 3"


# escaping: nothing the text says becomes markup


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        '<img src=x onerror="alert(1)">',
        "&lt;img src=x onerror=alert(1)&gt;",
        "*<b>bold</b>*",
        "`<iframe>`",
    ],
)
def test_tags_in_text_come_out_as_text(source: str) -> None:
    tree = md(source)
    made = {node.tag for node in tree.all()}
    assert made <= {"strong", "code"}, made
    assert "<" in tree.text


@pytest.mark.parametrize(
    "source",
    ["<javascript:alert(1)|click>", "<data:text/html,x|click>", "<JavaScript:alert(1)>", "<vbscript:x|click>"],
)
def test_unsafe_links_are_not_links(source: str) -> None:
    tree = md(source)
    assert tree.all() == [] and tree.text.strip()


def test_quotes_in_a_link_cannot_break_out_of_the_attribute() -> None:
    link = md('<https://x.com/" onmouseover="alert(1)|hover>').one("a")
    assert link.attrs["href"] == 'https://x.com/" onmouseover="alert(1)'
    assert set(link.attrs) == {"class", "href", "target", "rel"}


def test_names_are_escaped_too() -> None:
    names = Names(users={"ULEAD0001": "<b>Mallory</b>"}, channels={"C1": '"><script>'})
    tree = parse(mrkdwn("<@ULEAD0001> <#C1>", names))
    assert tree.all("b") == [] and tree.all("script") == []
    assert tree.text == '@<b>Mallory</b> #"><script>'


def test_plain_text_is_never_formatted() -> None:
    assert parse(plain_text({"type": "plain_text", "text": "*a* <@ULEAD0001> <b>"})).text == "*a* <@ULEAD0001> <b>"
    assert parse(plain_text("x <i>")).children == []
    assert plain_text(None) == Markup("")


def test_known_emoji_codes_become_characters() -> None:
    assert md(":rotating_light: :white_check_mark: :warning: :unknown_thing:").text == "🚨 ✅ ⚠️ :unknown_thing:"
    assert parse(plain_text({"type": "plain_text", "text": ":x:", "emoji": False})).text == ":x:"
