"""What parsing a feed gives: :class:`ParsedFeed` of :class:`ParsedEntry`, or
:class:`FeedParseError`; and the length limits entries are normalised to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "DERIVED_TITLE_LENGTH",
    "MAX_ALTERNATES",
    "MAX_AUTHOR_LENGTH",
    "MAX_CATEGORIES",
    "MAX_CATEGORY_LENGTH",
    "MAX_ENTRIES",
    "MAX_ENTRY_HTML_CHARS",
    "MAX_FEED_TITLE_LENGTH",
    "MAX_MEDIA_CANDIDATES",
    "MAX_TITLE_LENGTH",
    "MAX_URL_LENGTH",
    "UNTITLED",
    "FeedParseError",
    "ParsedEntry",
    "ParsedFeed",
]

#: Cap on each HTML field of an entry; longer bodies are cut (the text is all we keep).
MAX_ENTRY_HTML_CHARS = 200_000
#: Entries beyond this many in one document are ignored.
MAX_ENTRIES = 500
#: Column limits of the articles table (PostgreSQL enforces them).
MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 1000
MAX_AUTHOR_LENGTH = 500
MAX_FEED_TITLE_LENGTH = 500
#: What one entry may carry: distinct categories kept (and each one's length), and media or
#: link elements looked at for an image. A hostile entry with 20,000 categories keeps 64.
MAX_CATEGORIES = 64
MAX_CATEGORY_LENGTH = 200
MAX_MEDIA_CANDIDATES = 32
#: Language versions (hreflang alternates) kept per entry.
MAX_ALTERNATES = 16
#: A title made from the text is cut to about this many characters.
DERIVED_TITLE_LENGTH = 120
UNTITLED = "Untitled"

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
    #: The entry's declared language (ISO 639-1: "uk"), from the entry or else the feed.
    language: str | None = None
    #: Absolute URLs the publisher links as other language versions of this entry
    #: (``<link rel="alternate" hreflang=…>``), at most :data:`MAX_ALTERNATES`.
    alternates: tuple[str, ...] = ()
    #: The entry's comment feed (``wfw:commentRss``): the readers' comments on the website.
    comment_feed_url: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: its title and site link, its entries, and recoverable problems met."""

    title: str | None
    site_url: str | None
    entries: list[ParsedEntry]
    problems: tuple[str, ...] = ()
