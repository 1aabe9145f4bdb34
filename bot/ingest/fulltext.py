"""Full-text extraction: an article page's HTML → its body text, title, lead image and date.

trafilatura does the work offline (``with_metadata=True``): it drops navigation, ads, cookie
banners, scripts, share buttons and comment sections, reads the title and ``og:image`` and
finds the publication date in JSON-LD or meta tags. CPU-bound: async callers use
:func:`extract_article_in_thread`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import UTC, datetime
from urllib.parse import urljoin

import trafilatura
from trafilatura.utils import decode_file

from bot.domain import plausible_publication
from bot.ingest.processing import ExtractedArticle

logger = logging.getLogger(__name__)

#: Below this many characters of body text the page is not taken for an article.
MIN_BODY_CHARS = 200
#: Longer image URLs are dropped (the articles table keeps 2048 characters).
MAX_URL_LENGTH = 2048
#: Pages larger than this many characters are cut before extraction.
MAX_PAGE_CHARS = 3_000_000
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""",
                           re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)


def decode_page(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML page: the header's charset, then the page's own, then a guess."""
    candidates: list[str] = []
    header = _HEADER_CHARSET.search(content_type or "")
    if header:
        candidates.append(header.group(1))
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "replace"))
    for encoding in candidates:
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return decode_file(body)


def extract_article(html: str, url: str) -> ExtractedArticle | None:
    """Return the article found in ``html`` (served at ``url``), or None if there is none."""
    if not html.strip():
        return None
    try:
        raw = trafilatura.extract(
            html[:MAX_PAGE_CHARS],
            url=url,
            output_format="json",
            with_metadata=True,
            include_comments=False,
            include_images=False,
            include_tables=True,
            favor_precision=True,
            date_extraction_params={
                "extensive_search": True,
                "original_date": True,
                "outputformat": _DATE_FORMAT,
            },
        )
    except Exception as exc:  # trafilatura/lxml raise many types on hostile markup
        logger.warning("full-text extraction failed for %s: %s", url.split("?", 1)[0],
                       exc.__class__.__name__)
        return None
    if not raw:
        return None
    data = json.loads(raw)
    title = _clean(data.get("title"))
    body = _body_without_title(_clean_block(data.get("text")), title)
    if len(body) < MIN_BODY_CHARS:
        return None
    image = _clean(data.get("image"))
    return ExtractedArticle(
        title=title or None,
        body_text=body,
        image_url=_absolute_http_url(image, url) if image else None,
        published_at=_parse_date(_clean(data.get("date"))),
    )


async def extract_article_in_thread(html: str, url: str) -> ExtractedArticle | None:
    """Run :func:`extract_article` off the event loop."""
    return await asyncio.to_thread(extract_article, html, url)


def _clean(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _clean_block(value: object) -> str:
    if not isinstance(value, str):
        return ""
    lines = (" ".join(line.split()) for line in value.splitlines())
    return "\n\n".join(line for line in lines if line)


def _body_without_title(body: str, title: str) -> str:
    first, _, rest = body.partition("\n\n")
    if title and first.casefold() == title.casefold():
        return rest
    return body


def _absolute_http_url(value: str, base: str) -> str | None:
    try:
        url = urljoin(base, value)
    except ValueError:
        return None
    if not url.lower().startswith(("http://", "https://")) or len(url) > MAX_URL_LENGTH:
        return None
    return url


def _parse_date(value: str) -> datetime | None:
    if not value:
        return None
    for parse in (datetime.fromisoformat, lambda text: datetime.strptime(text, _DATE_FORMAT)):
        try:
            parsed = parse(value)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        try:
            return plausible_publication(parsed.astimezone(UTC))
        except (OverflowError, ValueError):  # e.g. 0001-01-01T00:00:00+01:00
            return None
    return None
