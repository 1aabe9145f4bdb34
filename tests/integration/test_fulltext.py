"""Full-text extraction from a realistic saved news page, also fetched over local HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import IngestionSettings
from bot.ingest.fetch import FeedFetcher
from bot.ingest.fulltext import (
    ExtractedArticle,
    decode_page,
    extract_article,
    extract_article_in_thread,
)
from tests.support.feedserver import FeedServer

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
PAGE_URL = "https://news.example.com/explainers/why-russia-doesnt-want-its-pows-back"
BOILERPLATE = (
    "We use cookies",  # cookie banner
    "Accept all cookies",
    "Subscribe now and save",  # navigation
    "MegaShadesOutlet",  # advertisements
    "Advertisement",
    "TRACKING-SCRIPT-SHOULD-NOT-APPEAR",  # inline script
    "gtag(",
    "color: #fff",  # inline style
    "Share on Facebook",  # share buttons
    "Energy prices climb",  # "most read" sidebar
    "fletcher long",  # comments
    "red cross",
    "All rights reserved",  # footer
    "Get the Kador Post newsletter",
)


@pytest.fixture
def page_html() -> str:
    """The saved explainer page."""
    return (PAGES / "explainer-pows.html").read_text(encoding="utf-8")


@pytest.fixture
def extracted(page_html: str) -> ExtractedArticle:
    """The article extracted from the saved page."""
    article = extract_article(page_html, PAGE_URL)
    assert article is not None
    return article


def test_body_has_the_article_paragraphs(extracted: ExtractedArticle) -> None:
    """Every paragraph of the explainer is in the body, first to last, in order."""
    body = extracted.body_text
    first = body.find("The Kremlin appears to be employing a deliberate tactic")
    middle = body.find("So why is Russia not doing anything to get its own men back?")
    last = body.find("this number had almost doubled.")
    assert -1 < first < middle < last


@pytest.mark.parametrize("unwanted", BOILERPLATE)
def test_body_has_no_boilerplate(extracted: ExtractedArticle, unwanted: str) -> None:
    """Banners, navigation, ads, scripts, styles, sidebars, comments and footer are gone."""
    assert unwanted not in extracted.body_text


def test_title_is_not_repeated_in_the_body(extracted: ExtractedArticle) -> None:
    """The headline is the title, not the body's first paragraph."""
    assert extracted.title == "EXPLAINED: Why Russia Doesn't Want Its POWs Back"
    assert not extracted.body_text.startswith("EXPLAINED")


def test_metadata_image_and_date(extracted: ExtractedArticle) -> None:
    """The lead image comes from og:image and the date from the page's metadata, in UTC."""
    assert extracted.image_url == "https://cdn.example.com/images/2023/11/pows-explainer-1200x630.jpg"
    assert extracted.published_at == datetime(2023, 11, 30, 12, 5, tzinfo=UTC)


def test_paragraphs_are_separated_by_blank_lines(extracted: ExtractedArticle) -> None:
    """Paragraphs stay apart (blank line between), with single spaces inside."""
    paragraphs = extracted.body_text.split("\n\n")
    assert len(paragraphs) >= 10
    assert all(paragraph == " ".join(paragraph.split()) for paragraph in paragraphs)


@pytest.mark.parametrize(
    "html",
    ["", "   ", "<html><body><nav><a href='/'>Home</a></nav><p>Short.</p></body></html>",
     "<<<>>> not html at all \x00\x01"],
)
def test_pages_without_an_article_give_none(html: str) -> None:
    """Empty, tiny or garbage pages give None instead of raising."""
    assert extract_article(html, PAGE_URL) is None


def test_decode_page_prefers_header_then_meta_charset() -> None:
    """The HTTP charset wins; without it the page's meta charset is used."""
    html = '<html><head><meta charset="windows-1251"></head><body>Кремль</body></html>'
    body = html.encode("cp1251")
    assert "Кремль" in decode_page(body, "text/html")
    assert "Кремль" in decode_page(body, "text/html; charset=windows-1251")
    assert "Кремль" in decode_page("<p>Кремль</p>".encode(), None)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    """A running local server."""
    async with FeedServer() as feed_server:
        yield feed_server


async def test_fetched_page_is_extracted_off_the_loop(server: FeedServer, page_html: str) -> None:
    """The page fetched over HTTP (gzip) and extracted in a thread gives the same article."""
    server.route("/explainer", page_html, content_type="text/html; charset=utf-8", gzip=True)
    async with FeedFetcher(IngestionSettings(allow_private_networks=True)) as fetcher:
        page = await fetcher.fetch_page(server.url("/explainer"))
    html = decode_page(page.body, page.content_type)
    article = await extract_article_in_thread(html, page.final_url)
    assert article is not None
    assert article == extract_article(page_html, page.final_url)
    assert "Idite Lesom" in article.body_text
