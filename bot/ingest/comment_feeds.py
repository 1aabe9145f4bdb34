"""Comment feeds of the publisher's website: which URL an explainer's feed entry names for its
comments, and what a comment feed's entries become (:class:`SiteCommentEntry`).

An entry names its comment feed with ``wfw:commentRss`` (WordPress and others; feedparser's
``wfw_commentrss``); without one, its ``<comments>`` link may serve a feed too, or just be a
page — the caller tries it and remembers a page as "not a feed". Comment bodies are the
site's HTML converted to plain text with the project's web reader
(:func:`bot.render.html_to_text`): no HTML from the website reaches Telegram; the renderer
escapes the text. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.ingest.feed_parsing import FeedParseError, ParsedEntry, parse_feed
from bot.render import html_to_text
from bot.text import one_line

__all__ = [
    "MAX_SITE_AUTHOR_LENGTH",
    "MAX_SITE_COMMENT_CHARS",
    "CommentFeedLink",
    "FeedParseError",
    "SiteCommentEntry",
    "comment_feed_link",
    "parse_comment_feed",
    "site_comment_key",
]

#: A website comment's text is kept up to this many characters (views cut it shorter).
MAX_SITE_COMMENT_CHARS = 4000
#: The comments table's author column.
MAX_SITE_AUTHOR_LENGTH = 200

LinkKind = Literal["wfw", "comments"]


@dataclass(frozen=True, slots=True)
class CommentFeedLink:
    """The URL to read an explainer's website comments from, and where the entry named it:
    ``wfw`` (declared a comment feed) or ``comments`` (a link that may be a page)."""

    url: str
    kind: LinkKind


@dataclass(frozen=True, slots=True)
class SiteCommentEntry:
    """One comment read from a comment feed."""

    key: str  # :func:`site_comment_key` of the entry's guid (else link)
    author: str | None
    text: str
    published_at: datetime | None


def comment_feed_link(comment_feed_url: str | None, comments_url: str | None
                      ) -> CommentFeedLink | None:
    """The comment feed of an explainer: its ``wfw:commentRss`` URL, else its ``<comments>``
    URL (to be tried), else None."""
    if comment_feed_url:
        return CommentFeedLink(comment_feed_url, "wfw")
    if comments_url:
        return CommentFeedLink(comments_url, "comments")
    return None


def site_comment_key(guid_or_link: str) -> str:
    """The stored key of a website comment: a SHA-256 of its entry's guid (else link), so an
    identifier of any length fits the column and its unique index."""
    return hashlib.sha256(guid_or_link.encode("utf-8", "surrogatepass")).hexdigest()


def parse_comment_feed(
    body: bytes, url: str, content_type: str | None = None, *, now: datetime | None = None
) -> list[SiteCommentEntry]:
    """The comments in a comment feed, in feed order; entries without text are skipped.

    Raises :class:`FeedParseError` when the body is not a feed (an HTML page, say)."""
    parsed = parse_feed(body, url, content_type, now=now)
    comments: list[SiteCommentEntry] = []
    for entry in parsed.entries:
        comment = _comment_of(entry)
        if comment is not None:
            comments.append(comment)
    return comments


def _comment_of(entry: ParsedEntry) -> SiteCommentEntry | None:
    text = html_to_text(entry.content_html or entry.summary_html).strip()
    if not text:
        return None
    author = one_line(entry.author or "")[:MAX_SITE_AUTHOR_LENGTH] or None
    return SiteCommentEntry(
        key=site_comment_key(entry.guid or entry.url),
        author=author,
        text=text[:MAX_SITE_COMMENT_CHARS],
        published_at=entry.published_at,
    )
