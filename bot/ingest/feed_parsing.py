"""Feed parsing: bytes from a feed URL → :class:`ParsedFeed`, or :class:`FeedParseError`.

RSS 0.9x/1.0/2.0 and Atom go through feedparser, which never raises: it flags problems in
``bozo``/``bozo_exception`` and returns what it could read. Recoverable problems (a wrong
encoding declaration, slightly malformed XML with entries still readable) are kept as
``ParsedFeed.problems``; input with nothing usable, and HTML pages served instead of a feed,
raise :class:`FeedParseError`. JSON Feed 1.0/1.1 is read directly.

Entries are normalised for storage: links resolved against the feed URL, a GUID that is a URL
used when the link is missing, a title made from the text when missing, dates in UTC (future
ones clamped to now), HTML fields capped at :data:`MAX_ENTRY_HTML_CHARS`. Entries with no
usable link are dropped and counted in ``problems``. Pure functions, no I/O; CPU-bound, so
async callers run :func:`parse_feed` through ``asyncio.to_thread``.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import feedparser

from bot.render import html_to_text

#: Cap on each HTML field of an entry; longer bodies are cut (the text is all we keep).
MAX_ENTRY_HTML_CHARS = 200_000
#: Entries beyond this many in one document are ignored.
MAX_ENTRIES = 500
#: Column limits of the articles table (PostgreSQL enforces them).
MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 1000
MAX_AUTHOR_LENGTH = 500
MAX_FEED_TITLE_LENGTH = 500
#: A title made from the text is cut to about this many characters.
DERIVED_TITLE_LENGTH = 120
UNTITLED = "Untitled"

_JSON_FEED_VERSION_PREFIX = "https://jsonfeed.org/version/"
_FEED_ROOTS = (b"<rss", b"<feed", b"<rdf:rdf", b"<rdf ", b"<channel")
_CHARSET_PARAMETER = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_NON_ASCII_RUN = re.compile(
    rb"[\x20-\x7f]{0,12}[^\x00-\x7f](?:[\x20-\x7f]{0,3}[^\x00-\x7f])*[\x20-\x7f]{0,12}"
)
_REPEATED_BYTE = re.compile(rb"(.)\1{2,}", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_SPACES = re.compile(r"\s+")
# feedparser problems that still leave a complete, correct parse.
_HARMLESS_BOZO = (
    feedparser.CharacterEncodingOverride,  # noted in ParsedFeed.problems
    feedparser.NonXMLContentType,  # a feed served as text/plain or without a type: ignored
)


class FeedParseError(Exception):
    """The bytes are not a usable feed; the message says why, in one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One entry of a feed, normalised; HTML fields are as the feed gave them (sanitised by
    feedparser for XML feeds), capped in length."""

    guid: str
    url: str
    title: str
    summary_html: str
    content_html: str
    image_url: str | None
    categories: tuple[str, ...]
    published_at: datetime | None
    author: str | None
    comments_url: str | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: its title and site link, its entries, and recoverable problems met."""

    title: str | None
    site_url: str | None
    entries: list[ParsedEntry]
    problems: tuple[str, ...] = ()


def parse_feed(
    body: bytes,
    feed_url: str,
    content_type: str | None = None,
    *,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse ``body`` fetched from ``feed_url``; raise :class:`FeedParseError` if unusable."""
    moment = now or datetime.now(UTC)
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise FeedParseError("empty response, not a feed")
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in ("application/feed+json", "application/json") or stripped.startswith(b"{"):
        return _parse_json_feed(stripped, feed_url, moment)
    if _looks_like_html(stripped):
        raise FeedParseError(f"got an HTML page, not a feed{_page_title(stripped)}")
    return _parse_xml_feed(stripped, feed_url, content_type, moment)


# --- XML feeds ---------------------------------------------------------------------------------


def _looks_like_html(head_bytes: bytes) -> bool:
    head = head_bytes[:4096].lower()
    html_at = head.find(b"<html")
    if html_at == -1:
        html_at = head.find(b"<!doctype html")
    if html_at == -1:
        return False
    feed_positions = [pos for root in _FEED_ROOTS if (pos := head.find(root)) != -1]
    return not feed_positions or html_at < min(feed_positions)


def _page_title(page: bytes) -> str:
    match = re.search(rb"<title[^>]*>(.*?)</title>", page[:65536], re.IGNORECASE | re.DOTALL)
    if not match:
        return ""
    title = _one_line(html.unescape(match.group(1).decode("utf-8", "replace")))[:80]
    return f" (page title: {title!r})" if title else ""


def _parse_xml_feed(
    body: bytes, feed_url: str, content_type: str | None, moment: datetime
) -> ParsedFeed:
    body, parser_content_type, encoding_problem = _decodable_xml(body, content_type)
    headers = {"content-location": feed_url, "content-type": parser_content_type}
    document = feedparser.parse(body, response_headers=headers, sanitize_html=True,
                                resolve_relative_uris=True)
    version = str(document.get("version") or "")
    raw_entries: list[Any] = list(document.get("entries") or [])
    problems: list[str] = [encoding_problem] if encoding_problem else []
    exception = document.get("bozo_exception") if document.get("bozo") else None
    damaged = exception is not None and not isinstance(exception, _HARMLESS_BOZO)
    if exception is not None:
        problem = _describe_bozo(exception)
        if not raw_entries and (damaged or not version):
            if not version:
                raise FeedParseError(f"not a feed: {problem}")
            raise FeedParseError(f"malformed feed with no readable entries: {problem}")
        if damaged:
            problems.append(f"malformed XML, recovered what was readable: {problem}")
        elif isinstance(exception, feedparser.CharacterEncodingOverride):
            problems.append(f"feed encoding: {_one_line(str(exception))}")
    elif not version and not raw_entries:
        raise FeedParseError("not a feed: no RSS, RDF or Atom root element")
    meta = document.get("feed") or {}
    site_url = _absolute_url(_text(meta.get("link")), feed_url)
    title = _one_line(_text(meta.get("title")))[:MAX_FEED_TITLE_LENGTH] or None
    entries: list[ParsedEntry] = []
    skipped = 0
    for raw in raw_entries[:MAX_ENTRIES]:
        entry = _xml_entry(raw, feed_url, moment)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    if damaged and not entries:
        raise FeedParseError(f"malformed feed with no usable entries: {_describe_bozo(exception)}")
    _note_dropped(problems, skipped, len(raw_entries))
    return ParsedFeed(title=title, site_url=site_url, entries=entries, problems=tuple(problems))


def _decodable_xml(body: bytes, content_type: str | None) -> tuple[bytes, str, str | None]:
    """Return the body, the content type to tell feedparser, and an encoding problem.

    feedparser trusts the declared charset (HTTP header, else XML declaration, else UTF-8)
    and guesses only when chardet happens to be installed. When the bytes do not decode in
    the declared charset, we detect the real one (charset_normalizer) and hand feedparser
    UTF-8. A missing content type is taken as XML, not as HTTP's ISO-8859-1 default.
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in ("", "text/xml", "text/plain", "application/octet-stream"):
        mime = "application/xml"
    header = _CHARSET_PARAMETER.search(content_type or "")
    prolog = _XML_ENCODING.search(body[:200])
    if header:
        declared = header.group(1)
    elif prolog:
        declared = prolog.group(1).decode("ascii")
    else:
        declared = "utf-8"
    if header:
        mime = f"{mime}; charset={declared}"
    try:
        body.decode(declared)
    except (LookupError, UnicodeDecodeError):
        best = charset_normalizer.from_bytes(_non_ascii_sample(body)).best()
        if best is None or not best.encoding:
            return body, mime, None  # let feedparser try its own fallbacks
        text = body.decode(best.encoding, errors="replace")
        said = f"not the declared {declared}" if header or prolog else "none was declared"
        problem = f"feed encoding is {best.encoding}, {said}"
        return text.encode("utf-8"), "application/xml; charset=utf-8", problem
    return body, mime, None


def _non_ascii_sample(body: bytes) -> bytes:
    """The non-ASCII runs of ``body`` with a little context: in a mostly-ASCII feed (markup,
    URLs, English text) a detector sees too little of the real language otherwise. Runs are
    cut short, repeated bytes squeezed and duplicates dropped, so one long repetitive string
    cannot drown the rest."""
    runs = dict.fromkeys(
        _REPEATED_BYTE.sub(rb"\1\1", run)[:80] for run in _NON_ASCII_RUN.findall(body[:2_000_000])
    )
    return b"\n".join(runs)[:65536]


def _describe_bozo(exception: object) -> str:
    if exception is None:
        return "unknown problem"
    message = _one_line(str(exception)) or exception.__class__.__name__
    return f"{exception.__class__.__name__}: {message}"[:300]


def _xml_entry(raw: Any, feed_url: str, moment: datetime) -> ParsedEntry | None:
    base = _text(dict.get(raw, "title_detail", {}).get("base")) or feed_url
    guid = _one_line(_text(raw.get("id")))
    link = _absolute_url(_text(raw.get("link")), base)
    if link is None and _is_http_url(guid):
        link = _absolute_url(guid, base)
    if link is None:
        return None
    raw_summary = _text(raw.get("summary"))
    content_html = _cap(_best_content(raw.get("content") or []))
    summary_detail = dict.get(raw, "summary_detail")
    if any(_text(content.get("value")) == raw_summary for content in raw.get("content") or []):
        raw_summary = ""  # feedparser copies the content into the summary when there is none
    summary_html = _cap(_as_html(raw_summary, summary_detail))
    title_detail = dict.get(raw, "title_detail") or {}
    raw_title = _text(raw.get("title"))
    if "html" in _text(title_detail.get("type")):
        raw_title = html_to_text(raw_title)
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
        author=_author(_text(raw.get("author"))),
        comments_url=_absolute_url(_text(raw.get("comments")), base),
    )


def _as_html(value: str, detail: Any) -> str:
    """Return ``value`` as HTML: feeds mark some fields as plain text."""
    kind = _text(detail.get("type")) if isinstance(detail, dict) else ""
    return _text_to_html(value) if kind == "text/plain" else value


def _best_content(contents: list[Any]) -> str:
    best = ""
    for content in contents:
        value = _as_html(_text(content.get("value")), content)
        if len(value) > len(best):
            best = value
    return best


def _xml_image(raw: Any, base: str) -> str | None:
    candidates: list[str] = []
    for media in raw.get("media_thumbnail") or []:
        candidates.append(_text(media.get("url")))
    for media in raw.get("media_content") or []:
        kind = _text(media.get("type")) or _text(media.get("medium"))
        if kind.startswith("image"):
            candidates.append(_text(media.get("url")))
    for link in raw.get("links") or []:
        if link.get("rel") == "enclosure" and _text(link.get("type")).startswith("image/"):
            candidates.append(_text(link.get("href")))
    image = raw.get("image")
    if isinstance(image, dict):
        candidates.append(_text(image.get("href")))
    for candidate in candidates:
        url = _absolute_url(candidate, base)
        if url is not None:
            return url
    return None


def _struct_time_to_datetime(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time | tuple):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


# --- JSON Feed ---------------------------------------------------------------------------------


def _parse_json_feed(body: bytes, feed_url: str, moment: datetime) -> ParsedFeed:
    try:
        document = json.loads(body.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError) as exc:
        raise FeedParseError(f"invalid JSON: {_one_line(str(exc))[:200]}") from None
    if not isinstance(document, dict):
        raise FeedParseError("JSON is not a JSON Feed object")
    version = document.get("version")
    if not isinstance(version, str) or not version.startswith(_JSON_FEED_VERSION_PREFIX):
        raise FeedParseError("JSON without a JSON Feed version (expected jsonfeed.org/version/1)")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedParseError("JSON Feed without an items list")
    base = _text(document.get("feed_url")) or feed_url
    base = _absolute_url(base, feed_url) or feed_url
    entries: list[ParsedEntry] = []
    skipped = 0
    for item in items[:MAX_ENTRIES]:
        entry = _json_entry(item, base, moment) if isinstance(item, dict) else None
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    problems: list[str] = []
    _note_dropped(problems, skipped, len(items))
    return ParsedFeed(
        title=_one_line(_text(document.get("title")))[:MAX_FEED_TITLE_LENGTH] or None,
        site_url=_absolute_url(_text(document.get("home_page_url")), base),
        entries=entries,
        problems=tuple(problems),
    )


def _json_entry(item: dict[str, Any], base: str, moment: datetime) -> ParsedEntry | None:
    guid = _one_line(_text(item.get("id")))
    link = _absolute_url(_text(item.get("url")), base)
    if link is None:
        link = _absolute_url(_text(item.get("external_url")), base)
    if link is None and _is_http_url(guid):
        link = guid
    if link is None:
        return None
    content_html = _text(item.get("content_html"))
    if not content_html and item.get("content_text"):
        content_html = _text_to_html(_text(item.get("content_text")))
    summary_html = html.escape(_text(item.get("summary")))
    content_html = _cap(content_html)
    image = _text(item.get("image")) or _text(item.get("banner_image"))
    authors = item.get("authors")
    author_value = item.get("author")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        author_value = authors[0]
    author = _text(author_value.get("name")) if isinstance(author_value, dict) else ""
    tags = item.get("tags")
    published = _parse_date_text(_text(item.get("date_published")) or
                                 _text(item.get("date_modified")))
    return ParsedEntry(
        guid=_stable_guid(guid, link),
        url=link,
        title=_entry_title(_text(item.get("title")), content_html or summary_html),
        summary_html=_cap(summary_html),
        content_html=content_html,
        image_url=_absolute_url(image, base),
        categories=_categories(tags if isinstance(tags, list) else []),
        published_at=_clamp(published, moment),
        author=_author(author),
        comments_url=None,
    )


def _text_to_html(text: str) -> str:
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    return "".join(f"<p>{html.escape(part)}</p>" for part in paragraphs)


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


# --- shared helpers ----------------------------------------------------------------------------


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _cap(html_text: str) -> str:
    return html_text[:MAX_ENTRY_HTML_CHARS]


def _is_http_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def _absolute_url(value: str, base: str) -> str | None:
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


def _entry_title(title: str, fallback_html: str) -> str:
    title = _one_line(title)
    if not title:
        text = _one_line(html_to_text(fallback_html)) if fallback_html else ""
        title = _SENTENCE_END.split(text, maxsplit=1)[0] if text else UNTITLED
        if len(title) > DERIVED_TITLE_LENGTH:
            cut = title[:DERIVED_TITLE_LENGTH].rsplit(" ", 1)[0] or title[:DERIVED_TITLE_LENGTH]
            title = cut.rstrip(" ,;:-") + "…"
    return title[:MAX_TITLE_LENGTH]


def _categories(values: Any) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        category = _one_line(_text(value))
        if category and category.casefold() not in seen:
            seen[category.casefold()] = category
    return tuple(seen.values())


def _author(author: str) -> str | None:
    return _one_line(author)[:MAX_AUTHOR_LENGTH] or None


def _clamp(published: datetime | None, moment: datetime) -> datetime | None:
    if published is None:
        return None
    return min(published, moment)


def _note_dropped(problems: list[str], skipped: int, total: int) -> None:
    if skipped:
        problems.append(f"{skipped} entr{'y' if skipped == 1 else 'ies'} without a usable link "
                        "skipped")
    if total > MAX_ENTRIES:
        problems.append(f"only the first {MAX_ENTRIES} of {total} entries read")
