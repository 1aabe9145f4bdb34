"""Website comment feeds: the link an explainer's entry gives, the comments a comment feed
holds, and how a comment from the website is shown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain import ArticleComments, CommentView
from bot.i18n import use_language
from bot.ingest.comment_feeds import (
    CommentFeedLink,
    FeedParseError,
    comment_feed_link,
    parse_comment_feed,
    site_comment_key,
)
from bot.ingest.feed_parsing import parse_feed
from bot.render.comment_replies import SITE_READER_NAME, render_comment, render_comments

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SITE = "https://news.example.com"


def article_feed(item_extra: str) -> bytes:
    """An RSS feed with one explainer entry carrying ``item_extra``."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:wfw="http://wellformedweb.org/CommentAPI/"><channel><title>T</title>'
        f"<link>{SITE}/</link><item><title>Why</title><link>{SITE}/explainers/why</link>"
        f"<guid>why-1</guid><description>Text.</description>{item_extra}</item>"
        "</channel></rss>"
    ).encode()


def comment_feed(*items: str) -> bytes:
    """A WordPress-style comment feed (RSS with dc:creator) around ``items``."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Comments on: Why</title><link>{SITE}/explainers/why</link>"
        + "".join(items) + "</channel></rss>"
    ).encode()


def comment_item(guid: str, body_html: str, author: str | None = None,
                 date: str = "Tue, 01 Dec 2026 10:00:00 +0000") -> str:
    """One comment entry; ``body_html`` is escaped into content:encoded."""
    creator = f"<dc:creator>{author}</dc:creator>" if author else ""
    escaped = body_html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (f"<item><title>By someone</title><link>{SITE}/explainers/why#{guid}</link>"
            f'<guid isPermaLink="false">{guid}</guid>{creator}<pubDate>{date}</pubDate>'
            f"<content:encoded>{escaped}</content:encoded></item>")


def test_entry_keeps_its_wfw_comment_feed_resolved() -> None:
    """An entry's wfw:commentRss becomes its comment_feed_url, resolved against the feed."""
    feed = parse_feed(article_feed("<wfw:commentRss>/explainers/why/feed/</wfw:commentRss>"
                                   f"<comments>{SITE}/explainers/why#comments</comments>"),
                      f"{SITE}/feed", now=NOW)
    entry = feed.entries[0]
    assert entry.comment_feed_url == f"{SITE}/explainers/why/feed/"
    assert entry.comments_url == f"{SITE}/explainers/why#comments"


def test_entry_without_comment_links() -> None:
    """An entry naming no comments has neither URL."""
    entry = parse_feed(article_feed(""), f"{SITE}/feed", now=NOW).entries[0]
    assert (entry.comment_feed_url, entry.comments_url) == (None, None)


@pytest.mark.parametrize(("wfw", "comments", "expected"), [
    ("https://a/feed", "https://a/#c", CommentFeedLink("https://a/feed", "wfw")),
    (None, "https://a/#c", CommentFeedLink("https://a/#c", "comments")),
    (None, None, None),
])
def test_comment_feed_link_prefers_the_declared_feed(
    wfw: str | None, comments: str | None, expected: CommentFeedLink | None
) -> None:
    """wfw:commentRss wins; a <comments> link is a candidate to try; nothing gives None."""
    assert comment_feed_link(wfw, comments) == expected


def test_comment_entries_become_plain_text_with_author_and_key() -> None:
    """Each entry gives its author, its HTML as plain text (markup gone, text kept) and a
    key from its guid; an entry without text is skipped."""
    body = comment_feed(
        comment_item("c-1", "<p>Great <b>piece</b> &amp; <script>x()</script>thanks</p>",
                     author="Olena"),
        comment_item("c-2", "<p>No name here</p>"),
        comment_item("c-3", "<p> </p>", author="Empty"),
    )
    comments = parse_comment_feed(body, f"{SITE}/explainers/why/feed/", now=NOW)
    assert [c.author for c in comments] == ["Olena", None]
    assert comments[0].text.startswith("Great piece & ")
    assert "<" not in comments[0].text
    assert "x()" not in comments[0].text
    assert comments[0].key == site_comment_key("c-1")
    assert comments[1].text == "No name here"
    assert comments[0].published_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_an_html_page_is_not_a_comment_feed() -> None:
    """A <comments> link serving the article page raises FeedParseError."""
    page = b"<!doctype html><html><head><title>Why</title></head><body>x</body></html>"
    with pytest.raises(FeedParseError):
        parse_comment_feed(page, f"{SITE}/explainers/why#comments", "text/html", now=NOW)


def test_site_comment_key_is_fixed_length() -> None:
    """Keys fit the column whatever the guid's length."""
    assert len(site_comment_key("x" * 5000)) == 64
    assert site_comment_key("a") != site_comment_key("b")


def test_website_comment_is_marked_and_escaped() -> None:
    """A comment from the website says so after the author's name; its text is escaped;
    a nameless one shows as "Website reader"."""
    html = render_comment("Olena <3", "1 < 2 <b>not bold</b>", from_site=True)
    assert "<b>Olena &lt;3</b> (from the website)" in html
    assert "1 &lt; 2 &lt;b&gt;not bold&lt;/b&gt;" in html
    assert "<b>Website reader</b> (from the website)" in render_comment(
        SITE_READER_NAME, "Hi", from_site=True)
    assert "from the website" not in render_comment("Olena", "Hi")


def test_comments_view_marks_website_comments() -> None:
    """The comments view marks only the website's comments."""
    found = ArticleComments(1, "Why", f"{SITE}/explainers/why", 2, (
        CommentView("Olena", "From the site", from_site=True),
        CommentView("Taras", "From Telegram"),
    ))
    text = render_comments(found).text
    assert text.count("(from the website)") == 1
    assert text.index("(from the website)") < text.index("Taras")


def test_website_marker_is_translated() -> None:
    """A Ukrainian reader sees the website marker and the nameless author in Ukrainian."""
    with use_language("uk"):
        html = render_comment(SITE_READER_NAME, "Дякую", from_site=True)
    assert "<b>Читач сайту</b> (із сайту)" in html
