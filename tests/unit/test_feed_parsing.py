"""parse_feed: RSS/RDF/Atom/JSON Feed into normalised entries, and clear errors otherwise."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ingest.feed_parsing import (
    MAX_ENTRIES,
    MAX_ENTRY_HTML_CHARS,
    UNTITLED,
    FeedParseError,
    ParsedFeed,
    parse_feed,
)

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
EXPLAINER_URL = "https://news.example.com/explainers/why-russia-doesnt-want-its-pows-back"


def parse_fixture(name: str, content_type: str | None = None,
                  url: str = "https://news.example.com/feeds/main") -> ParsedFeed:
    """Parse a feed fixture as if fetched from ``url``."""
    return parse_feed((FEEDS / name).read_bytes(), url, content_type, now=NOW)


def make_rss(items: str, encoding_declaration: str = ' encoding="utf-8"') -> str:
    """A minimal RSS 2.0 document around ``items``."""
    return (f'<?xml version="1.0"{encoding_declaration}?><rss version="2.0"><channel>'
            f"<title>T</title><link>https://news.example.com/</link>{items}</channel></rss>")


def test_rss_091_latin1_with_relative_link() -> None:
    """RSS 0.91 in ISO-8859-1 decodes correctly and relative links resolve."""
    feed = parse_fixture("rss091.xml")
    assert feed.title == "Kador Post - Explainers (0.91)"
    assert feed.problems == ()
    assert [entry.url for entry in feed.entries] == [
        EXPLAINER_URL, "https://news.example.com/explainers/prisoner-swaps"
    ]
    assert "Café owners" in feed.entries[0].summary_html
    assert feed.entries[0].published_at is None


def test_rss_10_rdf() -> None:
    """RSS 1.0 (RDF) gives its items with dc:date, dc:subject and dc:creator."""
    feed = parse_fixture("rss10.rdf")
    assert feed.title == "Kador Post (RSS 1.0)"
    (entry,) = feed.entries
    assert entry.url == EXPLAINER_URL
    assert entry.published_at == datetime(2023, 11, 30, 12, 5, tzinfo=UTC)
    assert entry.categories == ("Kremlin",)
    assert entry.author == "Kador Post Staff"


def test_rss_20_full_entry() -> None:
    """RSS 2.0: GUID, categories, comments, thumbnail and links resolved against the feed."""
    feed = parse_fixture("rss20.xml")
    assert feed.site_url == "https://news.example.com/explainers"
    entry = feed.entries[0]
    assert entry.guid == "kador-explainer-1042"
    assert entry.url == EXPLAINER_URL + "?utm_source=rss"
    assert entry.title == "EXPLAINED: Why Russia Doesn't Want Its POWs Back"
    assert entry.categories == ("Russian Armed Forces", "Kremlin", "War in Ukraine")
    assert entry.comments_url == EXPLAINER_URL + "#comments"
    assert entry.image_url == "https://news.example.com/images/2023/11/pows-thumb.jpg"
    assert entry.author == "Kador Post Staff"
    assert entry.published_at == datetime(2023, 11, 30, 12, 5, tzinfo=UTC)
    assert 'href="https://news.example.com/reports/idite-lesom"' in entry.content_html


def test_rss_20_content_is_sanitised() -> None:
    """Scripts, styles, iframes and on* handlers are gone from entry HTML."""
    content = parse_fixture("rss20.xml").entries[0].content_html
    for unwanted in ("<script", "INJECTED-SCRIPT", "onclick", "<iframe", "<style", "color: red"):
        assert unwanted not in content


def test_entry_without_title_gets_its_first_sentence() -> None:
    """A missing title is made from the entry's first sentence."""
    entry = parse_fixture("rss20.xml").entries[1]
    assert entry.title == "Desertions are surging as the war drags on."


def test_first_sentence_title_does_not_stop_at_an_abbreviation() -> None:
    """A title made from the text uses the project's sentence rule: "Dr." ends no sentence."""
    document = make_rss("<item><link>https://news.example.com/a</link><description>"
                        "Dr. Smith left Kyiv. He came back.</description></item>")
    feed = parse_feed(document.encode(), "https://news.example.com/feed", None, now=NOW)
    assert feed.entries[0].title == "Dr. Smith left Kyiv."


def test_entry_without_link_uses_a_url_guid() -> None:
    """An entry without <link> but with a permalink GUID links to the GUID."""
    entry = parse_fixture("rss20.xml").entries[2]
    assert entry.url == "https://news.example.com/explainers/guid-is-the-link"
    assert entry.image_url == "https://cdn.example.com/guid-link.png"


def test_future_date_is_clamped_to_now() -> None:
    """A publication date in the future becomes now."""
    entry = parse_fixture("rss20.xml").entries[3]
    assert entry.title == "From the future"
    assert entry.published_at == NOW


def test_entry_without_any_link_is_skipped_and_reported() -> None:
    """An entry with no link and a non-URL GUID is dropped and counted as a problem."""
    feed = parse_fixture("rss20.xml")
    assert len(feed.entries) == 4
    assert "No link at all" not in [entry.title for entry in feed.entries]
    assert feed.problems == ("1 entry without a usable link skipped",)


def test_atom_with_xml_base_html_title_and_text_content() -> None:
    """Atom: xml:base resolves links, HTML titles become text, text content is escaped."""
    feed = parse_fixture("atom.xml")
    first, second = feed.entries
    assert first.url == EXPLAINER_URL
    assert first.title == "EXPLAINED: Why Russia Doesn't Want Its POWs Back"
    assert first.categories == ("Kremlin", "War in Ukraine")
    assert first.image_url == "https://news.example.com/images/pows-atom.jpg"
    assert first.published_at == datetime(2023, 11, 30, 12, 5, tzinfo=UTC)
    assert 'href="https://news.example.com/reports/x"' in first.content_html
    assert second.published_at == datetime(2023, 11, 29, 8, 0, tzinfo=UTC)
    assert second.content_html == "<p>Plain text content &lt;not a tag&gt;.</p>"
    assert second.summary_html == ""


@pytest.mark.parametrize("content_type", [None, "application/feed+json", "application/json"])
def test_json_feed(content_type: str | None) -> None:
    """JSON Feed 1.1 (by content type or leading brace): links, tags, author, image, dates."""
    feed = parse_fixture("jsonfeed.json", content_type)
    assert feed.title == "Kador Post (JSON Feed)"
    first, second = feed.entries
    assert first.url == EXPLAINER_URL
    assert first.guid == "1042"
    assert first.categories == ("Kremlin", "War in Ukraine")
    assert first.author == "Kador Post Staff"
    assert first.image_url == "https://news.example.com/images/pows.jpg"
    assert first.published_at == datetime(2023, 11, 30, 12, 5, tzinfo=UTC)
    assert second.url == "https://news.example.com/explainers/text-only"
    assert second.title == "Desertions are surging."
    assert second.content_html == (
        "<p>Desertions are surging. Volunteers report record numbers.</p>"
        "<p>Second paragraph.</p>"
    )
    assert second.published_at == NOW
    assert feed.problems == ("2 entries without a usable link skipped",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "invalid JSON"),
        (b'{"title": "x", "items": []}', "JSON Feed version"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": 3}', "items list"),
        (b"[1, 2]", "not a JSON Feed"),
    ],
)
def test_bad_json_is_rejected(body: bytes, message: str) -> None:
    """JSON that is not a JSON Feed raises FeedParseError saying why."""
    content_type = "application/json" if body.startswith(b"[") else None
    with pytest.raises(FeedParseError, match=message):
        parse_feed(body, "https://news.example.com/feed.json", content_type, now=NOW)


def test_recoverable_malformed_xml_keeps_entries_and_notes_it() -> None:
    """Unescaped ampersands and unclosed tags: entries are read, the problem noted."""
    feed = parse_fixture("malformed-recoverable.xml")
    assert [entry.title for entry in feed.entries] == ["Bread & butter issues", "Second item"]
    assert len(feed.problems) == 1
    assert feed.problems[0].startswith("malformed XML, recovered")


def test_unrecoverable_malformed_xml_is_rejected() -> None:
    """A feed cut off mid-entry with nothing usable raises FeedParseError."""
    with pytest.raises(FeedParseError, match="malformed feed"):
        parse_fixture("malformed-fatal.xml")


def test_windows_1251_declared_as_utf8_is_decoded() -> None:
    """Cyrillic windows-1251 bytes declared as UTF-8 still decode, with a note."""
    document = make_rss("<item><title>Война в Украине: объяснение</title>"
                        "<link>https://news.example.com/a</link>"
                        "<description>Кремль не хочет возвращать пленных.</description></item>")
    feed = parse_feed(document.encode("cp1251"), "https://news.example.com/feed",
                      "application/rss+xml; charset=utf-8", now=NOW)
    assert feed.entries[0].title == "Война в Украине: объяснение"
    assert "Кремль" in feed.entries[0].summary_html
    assert feed.problems == ("feed encoding is cp1251, not the declared utf-8",)


def test_windows_1251_without_any_declaration_is_decoded() -> None:
    """Cyrillic windows-1251 bytes with no declaration anywhere still decode."""
    document = make_rss("<item><title>Война в Украине: объяснение</title>"
                        "<link>https://news.example.com/a</link>"
                        "<description>Кремль не хочет возвращать пленных домой.</description>"
                        "</item>", encoding_declaration="")
    feed = parse_feed(document.encode("cp1251"), "https://news.example.com/feed", None, now=NOW)
    assert feed.entries[0].title == "Война в Украине: объяснение"
    assert feed.problems == ("feed encoding is cp1251, none was declared",)


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/rss+xml"])
def test_html_page_is_rejected_clearly(content_type: str) -> None:
    """An HTML page served instead of a feed raises FeedParseError naming the page."""
    page = (PAGES / "explainer-pows.html").read_bytes()
    with pytest.raises(FeedParseError, match="HTML page, not a feed") as caught:
        parse_feed(page, "https://news.example.com/feed", content_type, now=NOW)
    assert "Why Russia Doesn't Want Its POWs Back" in caught.value.message


def test_xhtml_page_with_xml_declaration_is_rejected() -> None:
    """An XHTML page (XML declaration first) is still recognised as a page."""
    page = (b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
            b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Home</title></head>'
            b"<body><p>Hi</p></body></html>")
    with pytest.raises(FeedParseError, match="HTML page"):
        parse_feed(page, "https://news.example.com/feed", None, now=NOW)


def test_feed_mentioning_html_in_content_is_not_a_page() -> None:
    """A feed whose CDATA content contains <html> is still parsed as a feed."""
    document = make_rss("<item><title>A</title><link>https://news.example.com/a</link>"
                        "<description><![CDATA[<html><body>hi</body></html>]]></description>"
                        "</item>")
    feed = parse_feed(document.encode(), "https://news.example.com/feed", None, now=NOW)
    assert len(feed.entries) == 1


@pytest.mark.parametrize(
    "body", [b"", b"   \n", b"\x00\x01\x02garbage\xff\xfe", b"just some words", b"<foo/>"]
)
def test_non_feeds_are_rejected(body: bytes) -> None:
    """Empty input, binary garbage and arbitrary text or XML raise FeedParseError."""
    with pytest.raises(FeedParseError):
        parse_feed(body, "https://news.example.com/feed", None, now=NOW)


def test_valid_feed_without_entries_is_fine() -> None:
    """A well-formed feed with no items is an empty feed, not an error."""
    feed = parse_feed(make_rss("").encode(), "https://news.example.com/feed", None, now=NOW)
    assert feed.entries == []
    assert feed.title == "T"


def test_huge_entry_is_capped() -> None:
    """An entry body beyond MAX_ENTRY_HTML_CHARS is cut to it."""
    huge = "<p>" + "word " * (MAX_ENTRY_HTML_CHARS // 2) + "</p>"
    document = make_rss(f"<item><title>Huge</title><link>https://news.example.com/h</link>"
                        f"<description><![CDATA[{huge}]]></description></item>")
    feed = parse_feed(document.encode(), "https://news.example.com/feed", None, now=NOW)
    assert len(feed.entries[0].summary_html) == MAX_ENTRY_HTML_CHARS


def test_too_many_entries_are_capped_and_noted() -> None:
    """Only the first MAX_ENTRIES entries are read; the rest is noted."""
    items = "".join(f"<item><title>{n}</title><link>https://news.example.com/{n}</link></item>"
                    for n in range(MAX_ENTRIES + 5))
    feed = parse_feed(make_rss(items).encode(), "https://news.example.com/feed", None, now=NOW)
    assert len(feed.entries) == MAX_ENTRIES
    assert f"only the first {MAX_ENTRIES} of {MAX_ENTRIES + 5} entries read" in feed.problems


def test_overlong_guid_is_hashed_and_overlong_link_dropped() -> None:
    """GUIDs longer than a URL column become a hash; links that would not fit are dropped."""
    long_guid = "g" * 3000
    long_link = "https://news.example.com/" + "x" * 3000
    document = make_rss(
        f"<item><title>A</title><link>https://news.example.com/a</link>"
        f"<guid isPermaLink='false'>{long_guid}</guid></item>"
        f"<item><title>B</title><link>{long_link}</link></item>"
    )
    feed = parse_feed(document.encode(), "https://news.example.com/feed", None, now=NOW)
    (entry,) = feed.entries
    assert entry.guid.startswith("sha256:")
    assert len(entry.guid) == 71
    assert feed.problems == ("1 entry without a usable link skipped",)


def test_entry_with_nothing_is_untitled() -> None:
    """An entry with a link but no title or text gets the placeholder title."""
    document = make_rss("<item><link>https://news.example.com/bare</link></item>")
    feed = parse_feed(document.encode(), "https://news.example.com/feed", None, now=NOW)
    assert feed.entries[0].title == UNTITLED


def test_javascript_links_are_not_used() -> None:
    """A javascript: link is not a usable URL."""
    document = make_rss("<item><title>X</title><link>javascript:alert(1)</link></item>")
    feed = parse_feed(document.encode(), "https://news.example.com/feed", None, now=NOW)
    assert feed.entries == []



def test_blank_lines_and_bom_before_the_xml_declaration_are_tolerated() -> None:
    """Blank lines (a classic CMS plugin bug) and a UTF-8 BOM before <?xml do not matter."""
    document = make_rss("<item><title>A</title><link>https://news.example.com/a</link></item>")
    feed = parse_feed(b"\xef\xbb\xbf\n\n  " + document.encode(), "https://news.example.com/feed",
                      "application/rss+xml", now=NOW)
    assert [entry.title for entry in feed.entries] == ["A"]
    assert feed.problems == ()


def test_json_item_whose_id_is_a_bare_scheme_has_no_link() -> None:
    """A JSON Feed item whose only link is an id like "http://" is skipped, not stored with a
    host-less URL (the same rule as XML entries)."""
    body = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": ['
            b'{"id": "http://", "title": "No link", "content_text": "Text."},'
            b'{"id": "https://news.example.org/a", "title": "Linked", "content_text": "Text."}]}')
    feed = parse_feed(body, "https://news.example.org/feed.json", "application/feed+json")
    assert [entry.url for entry in feed.entries] == ["https://news.example.org/a"]


def test_opml_outline_with_a_malformed_url_is_skipped() -> None:
    """An outline whose xmlUrl is not a URL ("http://[::1/feed") is skipped; the rest import."""
    from bot.ingest.opml import parse_opml

    opml = (b'<?xml version="1.0"?><opml version="2.0"><head/><body>'
            b'<outline type="rss" text="Broken" xmlUrl="http://[::1/feed"/>'
            b'<outline type="rss" text="Good" xmlUrl="https://news.example.org/rss"/>'
            b'</body></opml>')
    assert [feed.url for feed in parse_opml(opml)] == ["https://news.example.org/rss"]
