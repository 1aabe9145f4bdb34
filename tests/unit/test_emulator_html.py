"""Telegram HTML parse mode of the Bot API emulator (bot.emulator.html)."""

from __future__ import annotations

import html
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.emulator.html import (
    EntityParseError,
    ParsedText,
    parse_html,
    parsed_length,
    utf16_len,
    visible_length,
)


def _entity(kind: str, offset: int, length: int, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "offset": offset, "length": length, **extra}


@pytest.mark.parametrize(
    ("markup", "entity"),
    [
        ("<b>x</b>", _entity("bold", 0, 1)),
        ("<strong>x</strong>", _entity("bold", 0, 1)),
        ("<i>x</i>", _entity("italic", 0, 1)),
        ("<em>x</em>", _entity("italic", 0, 1)),
        ("<u>x</u>", _entity("underline", 0, 1)),
        ("<ins>x</ins>", _entity("underline", 0, 1)),
        ("<s>x</s>", _entity("strikethrough", 0, 1)),
        ("<strike>x</strike>", _entity("strikethrough", 0, 1)),
        ("<del>x</del>", _entity("strikethrough", 0, 1)),
        ("<tg-spoiler>x</tg-spoiler>", _entity("spoiler", 0, 1)),
        ('<span class="tg-spoiler">x</span>', _entity("spoiler", 0, 1)),
        ("<code>x</code>", _entity("code", 0, 1)),
        ("<pre>x</pre>", _entity("pre", 0, 1)),
        (
            '<pre><code class="language-python">x</code></pre>',
            _entity("pre", 0, 1, language="python"),
        ),
        (
            '<a href="https://example.com/">x</a>',
            _entity("text_link", 0, 1, url="https://example.com/"),
        ),
        ("<blockquote>x</blockquote>", _entity("blockquote", 0, 1)),
        ("<blockquote expandable>x</blockquote>", _entity("expandable_blockquote", 0, 1)),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            _entity("custom_emoji", 0, 2, custom_emoji_id="5368324170671202286"),
        ),
    ],
)
def test_each_allowed_tag_gives_its_entity(markup: str, entity: dict[str, Any]) -> None:
    """Every tag of Telegram's HTML mode yields the matching Bot API entity and bare text."""
    parsed = parse_html(markup)
    assert parsed == ParsedText(parsed.text, [entity])
    assert parsed.text in ("x", "👍")


def test_pre_with_plain_code_child_is_just_pre() -> None:
    """<pre><code> without a language class gives one pre entity without language."""
    assert parse_html("<pre><code>a = 1</code></pre>").entities == [_entity("pre", 0, 5)]


def test_tag_names_are_case_insensitive_and_attributes_take_any_quoting() -> None:
    """Upper-case tags work; attribute values may use ", ' or an unquoted name token."""
    parsed = parse_html(
        "<B>a</B><A HREF='https://e.org/q?a=1&amp;b=2'>b</A>"
        "<pre><code class=language-rust>c</code></pre>"
    )
    assert parsed.text == "abc"
    assert parsed.entities == [
        _entity("bold", 0, 1),
        _entity("text_link", 1, 1, url="https://e.org/q?a=1&b=2"),
        _entity("pre", 2, 1, language="rust"),
    ]


def test_nested_entities_are_sorted_outer_first() -> None:
    """Nested tags produce both entities, ordered by offset and then longest first."""
    parsed = parse_html("<b>bold <i>both</i></b> <u>u</u>")
    assert parsed.text == "bold both u"
    assert parsed.entities == [
        _entity("bold", 0, 9),
        _entity("italic", 5, 4),
        _entity("underline", 10, 1),
    ]


def test_link_without_href_uses_its_text_as_url() -> None:
    """<a> without href links to its own text, as Telegram does."""
    assert parse_html("<a>https://e.org</a>").entities == [
        _entity("text_link", 0, 13, url="https://e.org")
    ]


def test_empty_entities_are_dropped() -> None:
    """Zero-length entities disappear, like on Telegram."""
    assert parse_html("<b></b>x<i></i>") == ParsedText("x", [])


def test_end_tag_may_be_empty() -> None:
    """</> closes the innermost open tag."""
    assert parse_html("<b>x</>").entities == [_entity("bold", 0, 1)]


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("a <b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("x <", "Unclosed start tag at byte offset 2"),
        ("a&nbsp;b", "Unsupported HTML entity &nbsp; at byte offset 1"),
        ("&apos;", "Unsupported HTML entity &apos; at byte offset 0"),
        (
            "<b><i>x</b></i>",
            'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        ),
        ("<strong>x</b>", 'Unmatched end tag at byte offset 9, expected "</strong>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<span class="big">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            "<tg-emoji>x</tg-emoji>",
            'Tag "tg-emoji" must have attribute "emoji-id" at byte offset 0',
        ),
        ("<code><b>x</b></code>", 'Tag "b" is not allowed inside "code" at byte offset 6'),
        ("<pre><i>x</i></pre>", 'Tag "i" is not allowed inside "pre" at byte offset 5'),
        (
            "<blockquote><blockquote>x</blockquote></blockquote>",
            'Tag "blockquote" is not allowed inside "blockquote" at byte offset 12',
        ),
        ('<a href="https://e.org>x</a>', "Unclosed start tag at byte offset 0"),
        ("<a href=https://e.org>x</a>", "Unexpected end of name token at byte offset 8"),
        (
            "<b class>x</b>",
            'Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0',
        ),
        ("&#0;", "Unsupported HTML entity &#0; at byte offset 0"),
        ("&#xD800;", "Unsupported HTML entity &#xD800; at byte offset 0"),
    ],
)
def test_invalid_markup_is_refused_with_telegram_description(markup: str, description: str) -> None:
    """Markup Telegram refuses raises EntityParseError with Telegram's wording."""
    with pytest.raises(EntityParseError) as caught:
        parse_html(markup)
    assert caught.value.description == description
    assert isinstance(caught.value, ValueError)


def test_error_offsets_count_utf8_bytes() -> None:
    """Byte offsets in errors are UTF-8 byte offsets, not character indices."""
    with pytest.raises(EntityParseError, match=r"at byte offset 7$"):
        parse_html("é👍 <p>")  # é = 2 bytes, 👍 = 4 bytes, space = 1


def test_named_and_numeric_entities_are_decoded() -> None:
    """&lt; &gt; &amp; &quot; and decimal/hex references become characters."""
    assert parse_html("&lt;&gt;&amp;&quot;&#65;&#x42;&#X43;&#128077;").text == '<>&"ABC👍'


def test_ampersand_and_greater_than_without_references_stay_literal() -> None:
    """A & that starts no reference and a bare > are plain text, as on Telegram."""
    assert parse_html("AT&T: a > b && c & d").text == "AT&T: a > b && c & d"


def test_entity_offsets_are_utf16_code_units() -> None:
    """Emoji outside the BMP count as two units before and inside an entity."""
    assert parse_html("👍 <b>ok</b>").entities == [_entity("bold", 3, 2)]
    assert parse_html("🇺🇦 <i>👍x</i>").entities == [_entity("italic", 5, 3)]


def test_utf16_len_counts_surrogate_pairs() -> None:
    """utf16_len counts astral characters twice and BMP characters once."""
    assert utf16_len("") == 0
    assert utf16_len("abc") == 3
    assert utf16_len("é") == 1
    assert utf16_len("👍") == 2
    assert utf16_len("🇺🇦") == 4


def test_parsed_length_measures_visible_text_in_utf16() -> None:
    """parsed_length ignores markup and counts what Telegram's limits count."""
    assert parsed_length("<b>👍</b> &amp; <a href='https://e.org'>x</a>") == 6
    assert visible_length("<i>ab</i>") == 2


@given(st.text())
def test_escaped_text_round_trips_without_entities(text: str) -> None:
    """Any text escaped for Telegram HTML parses back to itself with no entities."""
    parsed = parse_html(html.escape(text, quote=False))
    assert parsed.text == text
    assert parsed.entities == []


@given(st.text(min_size=1))
def test_bold_escaped_text_covers_whole_text(text: str) -> None:
    """Wrapping escaped text in <b> yields one bold entity spanning its UTF-16 length."""
    parsed = parse_html(f"<b>{html.escape(text)}</b>")
    assert parsed.text == text
    assert parsed.entities == [_entity("bold", 0, utf16_len(text))]
