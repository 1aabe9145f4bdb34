"""One feed entry → :class:`~bot.ingest.parsed_feed.ParsedEntry`: XML entries (as feedparser
reads them) and JSON Feed items, with their fields normalised for storage.

Links are resolved against the feed URL, a GUID that is a URL is used when the link is missing,
a title is made from the text when missing (and its entities decoded exactly once), dates are
in UTC (future ones clamped to now, impossible ones dropped) and
HTML fields are capped at :data:`~bot.ingest.parsed_feed.MAX_ENTRY_HTML_CHARS`. An entry with
no usable link gives ``None``.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from itertools import islice
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.domain import plausible_publication
from bot.ingest.languages import primary_language
from bot.ingest.parsed_feed import (
    DERIVED_TITLE_LENGTH,
    MAX_ALTERNATES,
    MAX_AUTHOR_LENGTH,
    MAX_CATEGORIES,
    MAX_CATEGORY_LENGTH,
    MAX_ENTRY_HTML_CHARS,
    MAX_MEDIA_CANDIDATES,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    UNTITLED,
    ParsedEntry,
)
from bot.render import html_to_text
from bot.sentences import split_sentences
from bot.text import cap, one_line

__all__ = ["absolute_url", "entry_from_json", "entry_from_xml", "field_text"]


def entry_from_xml(
    raw: Any,
    feed_url: str,
    moment: datetime,
    feed_language: str | None = None,
    *,
    typed_titles: bool = False,
) -> ParsedEntry | None:
    """The entry feedparser read as ``raw``, or ``None`` without a usable link.

    Its language is the entry's own ``xml:lang`` (feedparser puts it on the title and
    content details), else ``feed_language`` (RSS ``<language>``, the feed's ``xml:lang``).
    ``typed_titles``: the format says whether a title is text or HTML (Atom's ``type``);
    otherwise (RSS) feedparser guesses, and :func:`_xml_title` second-guesses it."""
    base = field_text(dict.get(raw, "title_detail", {}).get("base")) or feed_url
    guid = one_line(field_text(raw.get("id")))
    link = absolute_url(_own_link(raw), base)
    if link is None and _is_http_url(guid):
        link = absolute_url(guid, base)
    if link is None:
        return None
    raw_summary = field_text(raw.get("summary"))
    content_html = cap(_best_content(raw.get("content") or []), MAX_ENTRY_HTML_CHARS)
    summary_detail = dict.get(raw, "summary_detail")
    if any(field_text(content.get("value")) == raw_summary for content in raw.get("content") or []):
        raw_summary = ""  # feedparser copies the content into the summary when there is none
    summary_html = cap(_as_html(raw_summary, summary_detail), MAX_ENTRY_HTML_CHARS)
    raw_title = _xml_title(raw, typed_titles)
    published = _struct_time_to_datetime(
        dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")
        or dict.get(raw, "created_parsed")
    )
    return ParsedEntry(
        guid=_stable_guid(guid, link),
        url=link,
        title=_entry_title(raw_title, summary_html or content_html),
        summary_html=summary_html,
        content_html=content_html,
        image_url=_xml_image(raw, base),
        categories=_categories(
            tag.get("label") or tag.get("term") for tag in raw.get("tags") or []
        ),
        published_at=_clamp(published, moment),
        author=_author(field_text(raw.get("author"))),
        comments_url=absolute_url(field_text(raw.get("comments")), base),
        language=_xml_language(raw) or primary_language(feed_language),
        alternates=_alternates(raw.get("links") or [], link, base),
        comment_feed_url=absolute_url(field_text(raw.get("wfw_commentrss")), base),
    )


def _own_link(raw: Any) -> str:
    """The entry's link. feedparser gives the last ``rel="alternate"`` link, which is another
    language's version when the entry lists hreflang alternates after its own link: then
    the first alternate link without an hreflang is the entry's."""
    link = field_text(raw.get("link"))
    alternates = [item for item in islice(raw.get("links") or [], MAX_MEDIA_CANDIDATES)
                  if isinstance(item, dict) and item.get("rel", "alternate") == "alternate"]
    if not any(field_text(item.get("hreflang")) and field_text(item.get("href")) == link
               for item in alternates):
        return link
    own = [field_text(item.get("href")) for item in alternates
           if not field_text(item.get("hreflang"))]
    return next((href for href in own if href), link)


def _xml_language(raw: Any) -> str | None:
    details = [dict.get(raw, "title_detail"), dict.get(raw, "summary_detail"),
               *islice(raw.get("content") or [], MAX_MEDIA_CANDIDATES)]
    for detail in details:
        if isinstance(detail, dict):
            language = primary_language(field_text(detail.get("language")))
            if language:
                return language
    return None


def _alternates(links: Any, own_link: str, base: str) -> tuple[str, ...]:
    """The hreflang alternates among an entry's links (not the entry's own link)."""
    found: dict[str, None] = {}
    for link in islice(links, MAX_MEDIA_CANDIDATES):
        if not isinstance(link, dict) or link.get("rel", "alternate") != "alternate":
            continue
        if not field_text(link.get("hreflang")):
            continue
        url = absolute_url(field_text(link.get("href")), base)
        if url is not None and url != own_link:
            found[url] = None
    return tuple(found)[:MAX_ALTERNATES]


def _as_html(value: str, detail: Any) -> str:
    """Return ``value`` as HTML: feeds mark some fields as plain text."""
    kind = field_text(detail.get("type")) if isinstance(detail, dict) else ""
    return _text_to_html(value) if kind == "text/plain" else value


def _best_content(contents: list[Any]) -> str:
    best = ""
    for content in contents:
        value = _as_html(field_text(content.get("value")), content)
        if len(value) > len(best):
            best = value
    return best


def _xml_image(raw: Any, base: str) -> str | None:
    candidates: list[str] = []
    for media in islice(raw.get("media_thumbnail") or [], MAX_MEDIA_CANDIDATES):
        candidates.append(field_text(media.get("url")))
    for media in islice(raw.get("media_content") or [], MAX_MEDIA_CANDIDATES):
        kind = field_text(media.get("type")) or field_text(media.get("medium"))
        if kind.startswith("image"):
            candidates.append(field_text(media.get("url")))
    for link in islice(raw.get("links") or [], MAX_MEDIA_CANDIDATES):
        if link.get("rel") == "enclosure" and field_text(link.get("type")).startswith("image/"):
            candidates.append(field_text(link.get("href")))
    image = raw.get("image")
    if isinstance(image, dict):
        candidates.append(field_text(image.get("href")))
    for candidate in candidates:
        url = absolute_url(candidate, base)
        if url is not None:
            return url
    return None


def entry_from_json(
    item: dict[str, Any], base: str, moment: datetime, feed_language: str | None = None
) -> ParsedEntry | None:
    """The JSON Feed ``item``, or ``None`` without a usable link; its language is the item's
    ``language`` (JSON Feed 1.1), else ``feed_language``."""
    guid = one_line(field_text(item.get("id")))
    link = absolute_url(field_text(item.get("url")), base)
    if link is None:
        link = absolute_url(field_text(item.get("external_url")), base)
    if link is None and _is_http_url(guid):
        link = absolute_url(guid, base)
    if link is None:
        return None
    content_html = field_text(item.get("content_html"))
    if not content_html and item.get("content_text"):
        content_html = _text_to_html(field_text(item.get("content_text")))
    summary_html = html.escape(field_text(item.get("summary")))
    content_html = cap(content_html, MAX_ENTRY_HTML_CHARS)
    image = field_text(item.get("image")) or field_text(item.get("banner_image"))
    authors = item.get("authors")
    author_value = item.get("author")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        author_value = authors[0]
    author = field_text(author_value.get("name")) if isinstance(author_value, dict) else ""
    tags = item.get("tags")
    published = _parse_date_text(field_text(item.get("date_published")) or
                                 field_text(item.get("date_modified")))
    return ParsedEntry(
        guid=_stable_guid(guid, link),
        url=link,
        title=_entry_title(field_text(item.get("title")), content_html or summary_html),
        summary_html=cap(summary_html, MAX_ENTRY_HTML_CHARS),
        content_html=content_html,
        image_url=absolute_url(image, base),
        categories=_categories(tags if isinstance(tags, list) else []),
        published_at=_clamp(published, moment),
        author=_author(author),
        comments_url=None,
        language=primary_language(field_text(item.get("language")))
        or primary_language(feed_language),
    )


def _text_to_html(text: str) -> str:
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    return "".join(f"<p>{html.escape(part)}</p>" for part in paragraphs)


def _struct_time_to_datetime(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time | tuple):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _parse_date_text(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # e.g. 0001-01-01T00:00:00+01:00
        return None


def field_text(value: object) -> str:
    """A feed field as stripped text; anything but a string gives ``""``."""
    return value.strip() if isinstance(value, str) else ""


def _is_http_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def absolute_url(value: str, base: str) -> str | None:
    """Return ``value`` resolved against ``base`` if it is a usable http(s) URL, else None."""
    value = value.strip()
    if not value:
        return None
    try:
        url = urljoin(base, value)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if len(url) > MAX_URL_LENGTH or any(char.isspace() for char in url):
        return None
    return url


def _stable_guid(guid: str, link: str) -> str:
    if not guid:
        return link
    if len(guid) > MAX_URL_LENGTH:
        return "sha256:" + hashlib.sha256(guid.encode("utf-8", "replace")).hexdigest()
    return guid


_CLOSING_TAG = re.compile(r"</[A-Za-z][A-Za-z0-9]*\s*>")


def _xml_title(raw: Any, typed: bool) -> str:
    """The entry's title as plain text, its entities decoded exactly once.

    The XML parser has decoded the title once already. A title the feed declares HTML
    (Atom ``type="html"`` or ``"xhtml"``) is HTML, so it is read as HTML (tags dropped,
    entities decoded). RSS declares nothing and feedparser calls a title HTML as soon as it
    holds an entity: ``AT&amp;amp;T`` decodes to "AT&amp;T", which feedparser then reads as
    HTML again ("AT&T"). Such a title is read as HTML only when it holds markup (a closing
    tag); otherwise it is already the text the publisher wrote. An entity the XML did not
    define (``&xxe;``) stays as written: feedparser's lenient parser keeps it.
    """
    title = field_text(raw.get("title"))
    detail = dict.get(raw, "title_detail") or {}
    kind = field_text(detail.get("type")) if isinstance(detail, dict) else ""
    if "html" not in kind:
        return title
    if typed or "xhtml" in kind or _CLOSING_TAG.search(title):
        return html_to_text(title)
    return title


def _entry_title(title: str, fallback_html: str) -> str:
    title = one_line(title)
    if not title:
        text = one_line(html_to_text(fallback_html)) if fallback_html else ""
        title = split_sentences(text)[0] if text else UNTITLED
        if len(title) > DERIVED_TITLE_LENGTH:
            cut = title[:DERIVED_TITLE_LENGTH].rsplit(" ", 1)[0] or title[:DERIVED_TITLE_LENGTH]
            title = cut.rstrip(" ,;:-") + "…"
    return title[:MAX_TITLE_LENGTH]


def _categories(values: Any) -> tuple[str, ...]:
    """Distinct categories (case-insensitive), the first MAX_CATEGORIES, each capped."""
    seen: dict[str, str] = {}
    for value in values:
        category = one_line(field_text(value))[:MAX_CATEGORY_LENGTH]
        if category and category.casefold() not in seen:
            seen[category.casefold()] = category
            if len(seen) == MAX_CATEGORIES:
                break
    return tuple(seen.values())


def _author(author: str) -> str | None:
    return one_line(author)[:MAX_AUTHOR_LENGTH] or None


def _clamp(published: datetime | None, moment: datetime) -> datetime | None:
    """A date in the future becomes ``moment`` (now); one no article can have (before
    :data:`~bot.domain.EARLIEST_PUBLICATION`: year 1, the epoch, a misread year) is None."""
    if published is None or plausible_publication(published) is None:
        return None
    return min(published, moment)

