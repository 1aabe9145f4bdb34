"""Comment rendering: a reader's formatting (message entities) inside one spoiler, as valid
Telegram HTML whose visible text is what the reader wrote."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.callback_data import CommentConsent, ModerateComment
from bot.domain import CommentPosted, HeldComment, TextSpan
from bot.emulator.html import EntityParseError, ParsedText, parse_html, parsed_length, utf16_len
from bot.i18n import use_language
from bot.render import (
    render_comment,
    render_comment_posted,
    render_comments,
    render_held_comment,
)
from bot.render.entities import entities_to_html, strip_spans

PROPERTY = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
KINDS = ("bold", "italic", "underline", "strikethrough", "code", "pre", "text_link", "url",
         "spoiler", "mention", "custom_emoji", "blockquote")
URLS = ("https://example.com/a?b=1&c=<2>", "javascript:alert(1)", "tg://user?id=1", "", "x\"y",
        None)


def valid(markup: str) -> ParsedText:
    """Parse Telegram HTML, failing with the parser's reason when it is invalid."""
    try:
        return parse_html(markup)
    except EntityParseError as exc:  # pragma: no cover - only on failure
        raise AssertionError(f"invalid Telegram HTML ({exc.description}): {markup!r}") from exc


def covered(parsed: ParsedText, kind: str) -> list[str]:
    """The text under each entity of ``kind``."""
    raw = parsed.text.encode("utf-16-le", "surrogatepass")
    return [raw[2 * e["offset"]: 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in parsed.entities if e["type"] == kind]


def spans_for(text: str) -> st.SearchStrategy[list[TextSpan]]:
    size = utf16_len(text)
    return st.lists(
        st.builds(TextSpan, st.sampled_from(KINDS), st.integers(-2, size + 2),
                  st.integers(-1, size + 3), st.sampled_from(URLS)),
        max_size=12,
    )


# Any characters Telegram can carry in a message: emoji (2 UTF-16 units), right-to-left
# scripts, markup-looking text, zero-width characters; no lone surrogates or NUL.
TEXT = st.lists(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
    | st.sampled_from(["<", ">", "&", "&amp;", "</tg-spoiler>", "😀", "👩‍👩‍👧", "שלום", "مرحبا",
                       "\u200b", "\n", " "]),
    max_size=120,
).map("".join)


@PROPERTY
@given(st.data())
def test_any_text_and_entities_give_valid_html_with_the_same_text(data: st.DataObject) -> None:
    """Any text with any (even forged) entities renders as valid Telegram HTML whose visible
    text is exactly the text."""
    text = data.draw(TEXT)
    spans = data.draw(spans_for(text))
    html = entities_to_html(text, spans)
    assert valid(html).text == text


@PROPERTY
@given(st.data())
def test_a_comment_relays_in_one_spoiler_within_the_limit(data: st.DataObject) -> None:
    """A stripped comment of up to 2,000 characters, formatted, relays as one valid message
    (≤ 4096) with exactly one spoiler covering the whole body, the author outside it."""
    raw = data.draw(st.one_of(TEXT, TEXT.map(lambda t: (t * 40)[:2000])))
    spans = data.draw(spans_for(raw))
    body, moved = strip_spans(raw, spans)
    if not body:
        return
    html = render_comment("Ann <b>", body, body_html=entities_to_html(body, moved),
                          article_title="Why <POWs>", article_url="https://e.com/x")
    assert parsed_length(html) <= 4096
    parsed = valid(html)
    [hidden] = covered(parsed, "spoiler")
    assert parsed.text.startswith("Ann <b> on Why <POWs>\n")
    if utf16_len(body) < 3900:
        assert hidden == body
        assert parsed.text.endswith("\n" + body)


def test_reader_formatting_is_nested_inside_the_spoiler() -> None:
    """Bold, italic and a link the reader typed stay inside the spoiler; the author is
    outside; an unsafe link becomes plain text."""
    text = "Read 😀 this and that, not <that>"
    spans = [TextSpan("bold", 5, 7), TextSpan("text_link", 13, 4, "https://e.com/?a=1&b=2"),
             TextSpan("italic", 8, 13), TextSpan("text_link", 22, 3, "javascript:alert(1)")]
    html = render_comment("Olena", text, body_html=entities_to_html(text, spans),
                          article_title="T", article_url="https://e.com/t")
    parsed = valid(html)
    [hidden] = covered(parsed, "spoiler")
    assert hidden == text
    assert covered(parsed, "bold") == ["Olena", "😀 this"]
    assert covered(parsed, "text_link") == ["T", "and "]
    spoiler = next(e for e in parsed.entities if e["type"] == "spoiler")
    inner = [e for e in parsed.entities if e["type"] in ("italic", "text_link")
             and e["offset"] >= spoiler["offset"]]
    assert all(e["offset"] + e["length"] <= spoiler["offset"] + spoiler["length"]
               for e in inner)
    assert "javascript" not in html


def test_nothing_opens_inside_code_and_links_do_not_nest() -> None:
    """Overlapping code, bold and two links still give legal nesting."""
    text = "abcdefghij"
    spans = [TextSpan("code", 2, 5), TextSpan("bold", 0, 4), TextSpan("bold", 4, 6),
             TextSpan("url", 0, 10), TextSpan("text_link", 3, 3, "https://x.org")]
    assert valid(entities_to_html(text, spans)).text == text


def test_strip_spans_drops_zero_width_and_moves_entities() -> None:
    """Blank and zero-width characters around a comment go; entities follow the text."""
    assert strip_spans("\u200b\u200b", [TextSpan("bold", 0, 2)]) == ("", ())
    body, spans = strip_spans("\u200b 😀 hi \n", [TextSpan("bold", 2, 5)])
    assert body == "😀 hi"
    assert spans == (TextSpan("bold", 0, 5),)


def test_without_spoiler_the_body_is_open() -> None:
    """comments.spoiler = false: no spoiler and no "tap to reveal" line."""
    parsed = valid(render_comment("Ann", "Fair point.", spoiler=False))
    assert parsed.text == "Ann\nFair point."
    assert not covered(parsed, "spoiler")


def test_comment_list_shows_reader_formatting() -> None:
    """The comments view keeps each comment's formatting, one spoiler per comment."""
    from bot.domain import ArticleComments, CommentView

    found = ArticleComments(1, "T", "https://e.com/t", 2, (
        CommentView("Ann", "bold words", "<b>bold</b> words"), CommentView("Reader", "plain")))
    parsed = valid(render_comments(found).text or "")
    assert covered(parsed, "spoiler") == ["bold words", "plain"]
    assert "bold" in covered(parsed, "bold")


def test_consent_question_and_limits_in_ukrainian() -> None:
    """The consent question has the three buttons; limits are explained in Ukrainian."""
    posted = CommentPosted(True, 1, "T", 0, status="consent", comment_id=7, author="Olena")
    with use_language("uk"):
        message = render_comment_posted(posted)
        too_long = render_comment_posted(CommentPosted(False, reason="too long"))
        slow = render_comment_posted(CommentPosted(False, reason="slow down"))
    assert message is not None
    assert too_long is not None
    assert slow is not None
    labels = [b.text for row in message.buttons for b in row]
    assert labels == ["Опублікувати як Olena", "Опублікувати як Читач (анонімно)", "Скасувати"]
    assert [CommentConsent.parse(b.callback_data) for row in message.buttons for b in row] == [
        CommentConsent(7, "named"), CommentConsent(7, "anonymous"), CommentConsent(7, "cancel")]
    assert "щонайбільше 2\u00a0000 символів" in (too_long.text or "")
    assert "коментар" in (slow.text or "")
    assert render_comment_posted(CommentPosted(False, reason="quiet")) is None


def test_held_comment_for_admins_has_the_moderation_buttons() -> None:
    """A held comment reaches admins with Approve / Reject / Ban for that comment."""
    held = HeldComment(5, 1, "T", "https://e.com/t", "Ann", 9, "Buy followers", None, "link")
    message = render_held_comment(held, spoiler=True)
    valid(message.text or "")
    assert [ModerateComment.parse(b.callback_data) for row in message.buttons for b in row] == [
        ModerateComment(5, "approve"), ModerateComment(5, "reject"), ModerateComment(5, "ban")]


def test_comment_pages_have_previous_and_next_buttons() -> None:
    """A middle page links to the pages on both sides (numbered from 1 in the data)."""
    from bot.callback_data import CommentsPage
    from bot.domain import ArticleComments, CommentView

    found = ArticleComments(4, "T", "https://e.com/t", 12,
                            tuple(CommentView("Ann", f"c{n}") for n in range(5)), 1, 3)
    message = render_comments(found)
    assert "Page 2 of 3 · 12 in all" in valid(message.text or "").text
    assert [CommentsPage.parse(b.callback_data) for row in message.buttons for b in row] == [
        CommentsPage(4, 1), CommentsPage(4, 3)]
