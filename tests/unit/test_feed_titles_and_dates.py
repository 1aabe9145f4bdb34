"""Feed titles decoded exactly once, and publication dates no article can have dropped.

The rule for titles: the XML parser decodes a title once; a title the feed declares HTML
(Atom ``type="html"``/``"xhtml"``) or that holds markup is then read as HTML; the renderer
escapes it once. For dates: no date rather than a wrong one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.ingest.feed_parsing import parse_feed
from bot.ingest.fulltext import extract_article

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
FEED_URL = "https://news.example.com/feed"


def rss_entry(item_xml: str) -> str:
    """An RSS 2.0 document with one item made of ``item_xml`` and a link."""
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
            f"<link>https://news.example.com/</link><item>{item_xml}"
            "<link>https://news.example.com/a</link></item></channel></rss>")


def atom_entry(entry_xml: str) -> str:
    """An Atom document with one entry made of ``entry_xml``, an id and a link."""
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>T</title><entry>{entry_xml}<id>urn:a</id>'
            '<link href="https://news.example.com/a"/></entry></feed>')


def parsed_title(document: str) -> str:
    """The title ingestion stores for the only entry of ``document``."""
    [entry] = parse_feed(document.encode(), FEED_URL, "application/xml", now=NOW).entries
    return entry.title


def parsed_date(document: str) -> datetime | None:
    """The publication date ingestion stores for the only entry of ``document``."""
    [entry] = parse_feed(document.encode(), FEED_URL, "application/xml", now=NOW).entries
    return entry.published_at


@pytest.mark.parametrize(
    ("title_xml", "expected"),
    [
        ("Plain title", "Plain title"),
        ("Ukraine &amp; Russia", "Ukraine & Russia"),
        ("AT&amp;amp;T", "AT&amp;T"),  # double-escaped at source: decoded once
        ("Caf&#233; &#x26; bar", "Café & bar"),
        ("Why &lt;b&gt; tags matter", "Why <b> tags matter"),  # a literal tag, no markup
        ("Attack &xxe; here", "Attack &xxe; here"),  # undefined in XML: kept as written
        ("<![CDATA[Ukraine & Russia]]>", "Ukraine & Russia"),
        ("<![CDATA[a < b and c > d]]>", "a < b and c > d"),
        ("<![CDATA[<b>Bold</b> move]]>", "Bold move"),  # markup: read as HTML
        ("&lt;b&gt;Bold&lt;/b&gt; move &amp;amp; more", "Bold move & more"),
    ],
)
def test_rss_titles_are_decoded_exactly_once(title_xml: str, expected: str) -> None:
    """RSS titles: the XML decoding is the one decoding, unless the title holds markup."""
    assert parsed_title(rss_entry(f"<title>{title_xml}</title>")) == expected


@pytest.mark.parametrize(
    ("title_xml", "expected"),
    [
        ("Ukraine &amp; Russia", "Ukraine & Russia"),
        ("AT&amp;amp;T", "AT&amp;T"),
        ("Attack &xxe; here", "Attack &xxe; here"),
        ("<![CDATA[<b>Bold</b> move]]>", "Bold move"),
    ],
)
def test_rss_titles_decode_the_same_in_malformed_xml(title_xml: str, expected: str) -> None:
    """A bare "&" elsewhere sends feedparser to its lenient parser; titles come out alike."""
    document = rss_entry(f"<title>{title_xml}</title>").replace("<title>T</title>",
                                                                "<title>A & B</title>")
    feed = parse_feed(document.encode(), FEED_URL, "application/xml", now=NOW)
    assert feed.problems  # the lenient parser was used
    assert feed.entries[0].title == expected


@pytest.mark.parametrize(
    ("title_xml", "expected"),
    [
        ("<title>Plain title</title>", "Plain title"),
        ("<title>Ukraine &amp; Russia</title>", "Ukraine & Russia"),
        ('<title type="text">AT&amp;amp;T</title>', "AT&amp;T"),
        ('<title type="text">a &lt;b&gt; tag</title>', "a <b> tag"),
        ('<title type="html">Ukraine &amp;amp; Russia</title>', "Ukraine & Russia"),
        ('<title type="html">&lt;b&gt;Bold&lt;/b&gt; move</title>', "Bold move"),
        ('<title type="html">a &amp;lt; b</title>', "a < b"),
        # WordPress's Atom feed: HTML in CDATA, entities and no tags
        ('<title type="html"><![CDATA[Ukraine &#038; Russia]]></title>', "Ukraine & Russia"),
        ('<title type="html"><![CDATA[<em>Bold</em> &amp; move]]></title>', "Bold & move"),
        ('<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
         "<b>Bold</b> &amp; move</div></title>", "Bold & move"),
    ],
)
def test_atom_titles_follow_their_declared_type(title_xml: str, expected: str) -> None:
    """Atom titles: type="text" is text as the XML gives it, "html"/"xhtml" is read as HTML."""
    assert parsed_title(atom_entry(title_xml)) == expected


@pytest.mark.parametrize(
    "date_xml",
    [
        "<pubDate>Mon, 01 Jan 0001 00:00:00 +0000</pubDate>",
        # feedparser's RFC 822 parser overflows; its asctime fallback reads "+1400" as the
        # year: this is where "1 Jan 1400" came from
        "<pubDate>Mon, 01 Jan 0001 00:00:00 +1400</pubDate>",
        "<pubDate>Mon, 01 Jan 0001 00:00:00 +0100</pubDate>",  # read as year 100
        "<pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate>",  # the epoch: a placeholder
        "<pubDate>0001-01-01T00:00:00+01:00</pubDate>",
        "<pubDate>not a date</pubDate>",
        "",
    ],
)
def test_impossible_or_missing_rss_dates_become_no_date(date_xml: str) -> None:
    """Year 1, a year misread from the offset, the epoch, garbage, nothing: no date."""
    assert parsed_date(rss_entry(f"<title>x</title>{date_xml}")) is None


def test_atom_year_one_becomes_no_date() -> None:
    """An Atom entry updated in year 1 has no date."""
    assert parsed_date(atom_entry("<title>x</title><updated>0001-01-01T00:00:00Z</updated>")
                       ) is None


@pytest.mark.parametrize("when", ["Fri, 31 Dec 9999 23:59:59 +0000", "9999-12-31T23:59:59Z"])
def test_year_9999_is_clamped_to_now(when: str) -> None:
    """A date in the far future (year 9999) becomes the moment the entry was seen."""
    assert parsed_date(rss_entry(f"<title>x</title><pubDate>{when}</pubDate>")) == NOW


def test_a_real_date_is_kept() -> None:
    """An ordinary date passes unchanged (in UTC)."""
    document = rss_entry("<title>x</title><pubDate>Thu, 30 Nov 2023 14:05:00 +0200</pubDate>")
    assert parsed_date(document) == datetime(2023, 11, 30, 12, 5, tzinfo=UTC)


def test_json_feed_year_one_becomes_no_date() -> None:
    """A JSON Feed item dated 0001-01-01 (no offset, so no overflow) has no date."""
    body = ('{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": '
            '[{"id": "1", "url": "https://e.org/1", "title": "Old", "content_text": "Text.", '
            '"date_published": "0001-01-01T00:00:00Z"}]}')
    [entry] = parse_feed(body.encode(), FEED_URL, "application/feed+json", now=NOW).entries
    assert entry.published_at is None


def test_page_dated_year_one_gives_no_date() -> None:
    """Full-text extraction drops a page's impossible publication date."""
    paragraphs = "".join(f"<p>Paragraph {n} of an explainer about prisoner swaps and what "
                         "they mean for the families waiting at home.</p>" for n in range(6))
    page = ('<html><head><title>Old</title><meta property="article:published_time" '
            'content="0001-01-01T00:00:00Z"></head><body><article><h1>Old</h1>'
            f"{paragraphs}</article></body></html>")
    article = extract_article(page, "https://news.example.com/old")
    assert article is not None
    assert article.published_at is None
