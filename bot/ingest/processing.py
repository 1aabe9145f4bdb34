"""The CPU-bound, pure half of ingestion: entries → what is stored.

Everything here is plain data in, plain data out, and picklable, so the ingestion service
can run it in a worker process (``ingestion.workers``). It deliberately imports nothing
heavy that it does not use (no database, no HTTP, no trafilatura) to keep that worker small.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.ingest.languages import detect_language
from bot.ingest.parsed_feed import MAX_URL_LENGTH, ParsedEntry, ParsedFeed
from bot.ingest.summaries import description_summary, summarize
from bot.ingest.topic_matching import TopicMatcher
from bot.ingest.urls import canonical_url
from bot.render import html_to_text
from bot.sentences import split_sentences

#: The summariser (TextRank) is quadratic in sentences: 20k characters take about a second,
#: 70k about ten. Longer bodies are summarised from their beginning.
MAX_SUMMARY_INPUT_CHARS = 20_000
logger = logging.getLogger(__name__)
_SPACES = re.compile(r"\s+")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """What an article page says about its article (full-text extraction's result)."""

    title: str | None
    body_text: str
    image_url: str | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProcessedEntry:
    """One feed entry exactly as ingestion stores it (before any full-text extraction)."""

    guid: str
    url: str
    canonical_url: str
    title: str
    summary: str
    body_text: str
    image_url: str | None
    author: str | None
    comments_url: str | None
    published_at: datetime | None
    categories: tuple[str, ...]
    topics: tuple[str, ...]
    tags: tuple[str, ...]
    content_hash: str
    #: ISO 639-1 code: the feed's declaration, else detected from title and text; None if
    #: neither says.
    language: str | None = None
    #: Canonical URLs of the same story in other languages (the feed's hreflang alternates).
    alternate_urls: tuple[str, ...] = ()
    #: The entry's comment feed (``wfw:commentRss``), polled for the website's comments.
    comment_feed_url: str | None = None


@dataclass(frozen=True, slots=True)
class PreparedEntry:
    """An entry with the cheap derived values: enough to decide whether it must be stored."""

    entry: ParsedEntry
    guid: str
    canonical_url: str
    summary_text: str
    body_text: str
    content_hash: str


def content_hash(title: str, summary_text: str, body_text: str) -> str:
    """Return the SHA-256 of the normalised title, summary and body (whitespace, NFC)."""
    parts = (_normalise_text(title), _normalise_text(summary_text), _normalise_text(body_text))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _normalise_text(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def prepare_entries(parsed: ParsedFeed) -> list[PreparedEntry]:
    """Derive texts and hashes; drop repeats of a GUID or canonical URL (first one wins).

    A GUID shared by entries with different URLs is not an identifier (some feeds give every
    item the same one): those entries are identified by their canonical URL instead.
    """
    canonical = [canonical_url(entry.url) for entry in parsed.entries]
    urls_per_guid: dict[str, set[str]] = {}
    for entry, url in zip(parsed.entries, canonical, strict=True):
        urls_per_guid.setdefault(entry.guid, set()).add(url)
    prepared: list[PreparedEntry] = []
    seen_guids: set[str] = set()
    seen_urls: set[str] = set()
    for entry, url in zip(parsed.entries, canonical, strict=True):
        guid = entry.guid if len(urls_per_guid[entry.guid]) == 1 else url
        if guid in seen_guids or url in seen_urls or len(url) > MAX_URL_LENGTH:
            continue  # a repeat, or a URL that percent-encoding made too long to store
        seen_guids.add(guid)
        seen_urls.add(url)
        summary_text = html_to_text(entry.summary_html) if entry.summary_html else ""
        body_html = entry.content_html or entry.summary_html
        body_text = html_to_text(body_html) if body_html else ""
        prepared.append(PreparedEntry(
            entry=entry,
            guid=guid,
            canonical_url=url,
            summary_text=summary_text,
            body_text=body_text,
            content_hash=content_hash(entry.title, summary_text, body_text),
        ))
    return prepared


def _first_sentences(text: str, count: int) -> str:
    return " ".join(split_sentences(_normalise_text(text))[:count])


def summary_input(text: str) -> str:
    """Return the beginning of ``text`` the summariser can afford, cut at a paragraph end."""
    if len(text) <= MAX_SUMMARY_INPUT_CHARS:
        return text
    head = text[:MAX_SUMMARY_INPUT_CHARS]
    cut = head.rfind("\n")
    return head[:cut] if cut > MAX_SUMMARY_INPUT_CHARS // 2 else head


#: After the lead, a stored summary takes more sentences only while it stays within this many
#: words: enough for two or three ordinary news sentences, short enough for a push preview.
SUMMARY_MAX_WORDS = 60


def _summary_of(body_text: str, fallback_text: str, sentences: int, language: str = "en") -> str:
    """The stored summary: the feed's description when it is a real summary (the writer's
    standfirst, not a teaser or a copy of the lead), else the summary of the body, which
    starts from its lead; the description's first sentences if both fail."""
    try:
        picked = description_summary(fallback_text, body_text, sentences, language)
        if not picked and body_text.strip():
            picked = summarize(summary_input(body_text), sentences, language,
                               max_words=SUMMARY_MAX_WORDS)
    except Exception as exc:  # the summariser must never cost us the article
        logger.warning("summarising failed (%s); using the feed's summary",
                       exc.__class__.__name__)
        picked = []
    if picked:
        return " ".join(picked)
    return _first_sentences(fallback_text or body_text, sentences)


def lead_summary(body_text: str, lead_text: str, sentences: int) -> str:
    """Return the first ``sentences`` sentences of the lead (the feed's own summary, else the
    body): the cheap summary of a feed's baseline entries, which are stored but never pushed."""
    return _first_sentences(lead_text or body_text, sentences)


def _merge_topics(found: Sequence[str], defaults: Sequence[str],
                  order: Sequence[str]) -> tuple[str, ...]:
    position = {slug: index for index, slug in enumerate(order)}
    merged = set(found) | set(defaults)
    return tuple(sorted(merged, key=lambda slug: (position.get(slug, len(position)), slug)))


def _finish_entry(
    prepared: PreparedEntry,
    matcher: TopicMatcher,
    summary_sentences: int,
    default_topics: Sequence[str],
    extracted: ExtractedArticle | None = None,
    now: datetime | None = None,
    *,
    lead_only: bool = False,
) -> ProcessedEntry:
    entry = prepared.entry
    body_text = prepared.body_text
    image_url = entry.image_url
    published_at = entry.published_at
    if extracted is not None:
        body_text = extracted.body_text
        image_url = image_url or extracted.image_url
        if published_at is None and extracted.published_at is not None:
            published_at = min(extracted.published_at, now or _utcnow())
    language = article_language(entry, body_text)
    if lead_only:
        summary = lead_summary(body_text, prepared.summary_text, summary_sentences)
    else:
        summary = _summary_of(body_text, prepared.summary_text, summary_sentences,
                              language or "en")
    match = matcher.match(entry.categories, f"{entry.title}\n{body_text}")
    return ProcessedEntry(
        guid=prepared.guid,
        url=entry.url,
        canonical_url=prepared.canonical_url,
        title=entry.title,
        summary=summary,
        body_text=body_text,
        image_url=image_url,
        author=entry.author,
        comments_url=entry.comments_url,
        comment_feed_url=entry.comment_feed_url,
        published_at=published_at,
        categories=entry.categories,
        topics=_merge_topics(match.topic_slugs, default_topics, matcher.slugs),
        tags=match.tags,
        content_hash=prepared.content_hash,
        language=language,
        alternate_urls=tuple(
            url for url in dict.fromkeys(canonical_url(u) for u in entry.alternates)
            if url != prepared.canonical_url
        ),
    )


def article_language(entry: ParsedEntry, body_text: str) -> str | None:
    """The feed's declared language of ``entry``, else the one detected in its text."""
    return entry.language or detect_language(f"{entry.title}\n{body_text}")


def finish_batch(
    prepared: Sequence[PreparedEntry],
    matcher: TopicMatcher,
    summary_sentences: int,
    default_topics: Sequence[str],
    extracted: Sequence[ExtractedArticle | None],
    now: datetime,
    *,
    lead_summaries: bool = False,
) -> list[ProcessedEntry]:
    """Process several entries (picklable: runs in a worker process). ``lead_summaries``
    summarises with :func:`lead_summary` instead of the summariser (a feed's baseline)."""
    return [
        _finish_entry(item, matcher, summary_sentences, default_topics, article, now,
                      lead_only=lead_summaries)
        for item, article in zip(prepared, extracted, strict=True)
    ]


def process_entries(
    parsed_feed: ParsedFeed,
    matcher: TopicMatcher,
    summary_sentences: int,
    *,
    default_topics: Sequence[str] = (),
) -> list[ProcessedEntry]:
    """Return what ingestion would store for each entry of ``parsed_feed`` (without full
    text): canonical URL, summary, body text, topics (matched plus ``default_topics``), tags.
    Pure and CPU-bound."""
    return [
        _finish_entry(prepared, matcher, summary_sentences, default_topics)
        for prepared in prepare_entries(parsed_feed)
    ]
