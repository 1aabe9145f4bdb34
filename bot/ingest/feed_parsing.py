"""Feed parsing: bytes from a feed URL → :class:`ParsedFeed`, or :class:`FeedParseError`.

RSS 0.9x/1.0/2.0 and Atom go through feedparser, which never raises: it flags problems in
``bozo``/``bozo_exception`` and returns what it could read. Recoverable problems (a wrong
encoding declaration, slightly malformed XML with entries still readable) are kept as
``ParsedFeed.problems``; input with nothing usable, and HTML pages served instead of a feed,
raise :class:`FeedParseError`. JSON Feed 1.0/1.1 is read directly.

This module reads documents; :mod:`bot.ingest.feed_entries` normalises each entry for storage
(links, GUIDs, titles, dates, capped HTML) and :mod:`bot.ingest.parsed_feed` holds the result
types and limits. Entries with no usable link are dropped and counted in ``problems``. Pure
functions, no I/O; CPU-bound, so async callers run :func:`parse_feed` through
``asyncio.to_thread``.
"""
from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from typing import Any

import charset_normalizer
import feedparser

from bot.ingest.feed_entries import absolute_url, entry_from_json, entry_from_xml, field_text
from bot.ingest.parsed_feed import (
    MAX_ENTRIES,
    MAX_ENTRY_HTML_CHARS,
    MAX_FEED_TITLE_LENGTH,
    UNTITLED,
    FeedParseError,
    ParsedEntry,
    ParsedFeed,
)
from bot.text import one_line

__all__ = [
    "MAX_ENTRIES",
    "MAX_ENTRY_HTML_CHARS",
    "UNTITLED",
    "FeedParseError",
    "ParsedEntry",
    "ParsedFeed",
    "parse_feed",
]

_JSON_FEED_VERSION_PREFIX = "https://jsonfeed.org/version/"
_FEED_ROOTS = (b"<rss", b"<feed", b"<rdf:rdf", b"<rdf ", b"<channel")
_CHARSET_PARAMETER = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_NON_ASCII_RUN = re.compile(
    rb"[\x20-\x7f]{0,12}[^\x00-\x7f](?:[\x20-\x7f]{0,3}[^\x00-\x7f])*[\x20-\x7f]{0,12}"
)
_REPEATED_BYTE = re.compile(rb"(.)\1{2,}", re.DOTALL)
# feedparser problems that still leave a complete, correct parse.
_HARMLESS_BOZO = (
    feedparser.CharacterEncodingOverride,  # noted in ParsedFeed.problems
    feedparser.NonXMLContentType,  # a feed served as text/plain or without a type: ignored
)


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
    title = one_line(html.unescape(match.group(1).decode("utf-8", "replace")))[:80]
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
            problems.append(f"feed encoding: {one_line(str(exception))}")
    elif not version and not raw_entries:
        raise FeedParseError("not a feed: no RSS, RDF or Atom root element")
    meta = document.get("feed") or {}
    site_url = absolute_url(field_text(meta.get("link")), feed_url)
    title = one_line(field_text(meta.get("title")))[:MAX_FEED_TITLE_LENGTH] or None
    feed_language = field_text(meta.get("language")) or None
    entries: list[ParsedEntry] = []
    skipped = 0
    for raw in raw_entries[:MAX_ENTRIES]:
        entry = entry_from_xml(raw, feed_url, moment, feed_language,
                               typed_titles=version.startswith("atom"))
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
    message = one_line(str(exception)) or exception.__class__.__name__
    return f"{exception.__class__.__name__}: {message}"[:300]


# --- JSON Feed ---------------------------------------------------------------------------------

def _parse_json_feed(body: bytes, feed_url: str, moment: datetime) -> ParsedFeed:
    try:
        document = json.loads(body.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError) as exc:
        raise FeedParseError(f"invalid JSON: {one_line(str(exc))[:200]}") from None
    if not isinstance(document, dict):
        raise FeedParseError("JSON is not a JSON Feed object")
    version = document.get("version")
    if not isinstance(version, str) or not version.startswith(_JSON_FEED_VERSION_PREFIX):
        raise FeedParseError("JSON without a JSON Feed version (expected jsonfeed.org/version/1)")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedParseError("JSON Feed without an items list")
    base = field_text(document.get("feed_url")) or feed_url
    base = absolute_url(base, feed_url) or feed_url
    feed_language = field_text(document.get("language")) or None
    entries: list[ParsedEntry] = []
    skipped = 0
    for item in items[:MAX_ENTRIES]:
        entry = (entry_from_json(item, base, moment, feed_language) if isinstance(item, dict)
                 else None)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    problems: list[str] = []
    _note_dropped(problems, skipped, len(items))
    return ParsedFeed(
        title=one_line(field_text(document.get("title")))[:MAX_FEED_TITLE_LENGTH] or None,
        site_url=absolute_url(field_text(document.get("home_page_url")), base),
        entries=entries,
        problems=tuple(problems),
    )


def _note_dropped(problems: list[str], skipped: int, total: int) -> None:
    if skipped:
        problems.append(f"{skipped} entr{'y' if skipped == 1 else 'ies'} without a usable link "
                        "skipped")
    if total > MAX_ENTRIES:
        problems.append(f"only the first {MAX_ENTRIES} of {total} entries read")
