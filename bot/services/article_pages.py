"""Full text for ``full_text`` feeds: fetch each new or changed article's page and extract
its text. A page that cannot be had costs nothing but a health note: the feed's own content
is stored instead."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.ingest.fetch import FeedFetcher, FetchError, describe_url
from bot.ingest.fulltext import decode_page, extract_article
from bot.ingest.processing import ExtractedArticle

#: Full-text pages fetched per poll at most; further new articles keep the feed's content.
MAX_PAGES_PER_POLL = 100


async def fetch_full_texts(
    fetcher: FeedFetcher, urls: Sequence[str]
) -> tuple[list[ExtractedArticle | None], list[str]]:
    """Return the extracted article for each of ``urls`` (None where there is none) and
    health notes on what could not be fetched."""
    pages = urls[:MAX_PAGES_PER_POLL]
    outcomes = await asyncio.gather(*(fetch_full_text(fetcher, url) for url in pages))
    extracted: list[ExtractedArticle | None] = [article for article, _ in outcomes]
    extracted.extend([None] * (len(urls) - len(pages)))
    failures = [(url, problem) for url, (_, problem) in zip(pages, outcomes, strict=True)
                if problem]
    notes: list[str] = []
    if failures:
        last_url, last_problem = failures[-1]
        notes.append(
            f"full text unavailable for {len(failures)} of {len(pages)} new or changed "
            f"articles, feed content used instead (last: "
            f"{describe_url(last_url)}: {last_problem})"
        )
    if len(urls) > len(pages):
        notes.append(f"full text fetched for the first {len(pages)} of {len(urls)} "
                     "new or changed articles only")
    return extracted, notes


async def fetch_full_text(
    fetcher: FeedFetcher, url: str
) -> tuple[ExtractedArticle | None, str | None]:
    """Fetch and extract an article page; return (article, None) or (None, problem)."""
    try:
        page = await fetcher.fetch_page(url)
    except FetchError as exc:
        return None, f"{exc.kind.value}: {exc.message}"
    content_type = (page.content_type or "").split(";", 1)[0].strip().lower()
    if content_type and "html" not in content_type:
        return None, f"page is {content_type}, not HTML"
    try:
        html_text = await asyncio.to_thread(decode_page, page.body, page.content_type)
        article = await asyncio.to_thread(extract_article, html_text, page.final_url)
    except Exception as exc:  # hostile markup must not cost the poll
        return None, f"extraction failed: {exc.__class__.__name__}"
    if article is None:
        return None, "no article text found on the page"
    return article, None
