"""An admin's announcement keeps spoilers, block quotes and pre blocks besides what a comment
keeps; any mix of entities still gives Telegram HTML the strict parser accepts, with the same
visible text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import TextSpan
from bot.emulator.html import parse_html
from bot.render.entities import entities_to_html

KINDS = ["bold", "italic", "underline", "strikethrough", "code", "pre", "spoiler",
         "blockquote", "expandable_blockquote", "text_link", "url", "custom_emoji"]


def _spans(raw: list[tuple[str, int, int]]) -> list[TextSpan]:
    return [TextSpan(kind, offset, length, "https://e.org/x" if kind == "text_link" else None)
            for kind, offset, length in raw]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab <&>😀\n")), min_size=1, max_size=40),
       st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 45), st.integers(1, 45)),
                max_size=8))
def test_any_announcement_formatting_is_valid_html_with_the_same_text(
    text: str, raw: list[tuple[str, int, int]]
) -> None:
    """Any overlap of any entities parses, and the visible text is the admin's."""
    html = entities_to_html(text, _spans(raw), rich=True)
    assert parse_html(html).text == text


def test_announcements_keep_spoilers_quotes_and_pre_but_comments_do_not() -> None:
    """Rich mode keeps a spoiler, a quote and a pre block; a comment shows them plain."""
    text = "Secret\nQuoted line\nprint(1)"
    raw = [("spoiler", 0, 6), ("blockquote", 7, 11), ("pre", 19, 8)]
    rich = entities_to_html(text, _spans(raw), rich=True)
    assert rich == ("<tg-spoiler>Secret</tg-spoiler>\n<blockquote>Quoted line</blockquote>\n"
                    "<pre>print(1)</pre>")
    assert entities_to_html(text, _spans(raw)) == "Secret\nQuoted line\n<code>print(1)</code>"
