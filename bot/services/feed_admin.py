"""Feeds from Telegram: the admins' /feeds list with health, add (fetched and parsed first),
remove, pause and resume, a feed alert's Retry now, and /post URL (one explainer ingested now
and pushed to its topics' subscribers at once).

Every method checks the acting user itself (:meth:`AdminService.is_admin`), so a handler that
forgot to ask changes nothing, and writes what it did to the audit log in the same
transaction. Fetches go through the bot's one :class:`FeedFetcher`, so the network policy is
the ingestion's: loopback, private and link-local addresses are refused unless
``ingestion.allow_private_networks = true``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import FeedSettings, Settings
from bot.domain import FeedAdminOutcome, FeedStatus, PostOutcome
from bot.ingest.feed_parsing import FeedParseError, parse_feed
from bot.ingest.fetch import FeedFetcher, FetchError, FetchErrorKind, describe_url
from bot.ingest.fulltext import decode_page, extract_article
from bot.ingest.parsed_feed import ParsedEntry, ParsedFeed
from bot.ingest.processing import finish_batch, prepare_entries
from bot.services.admins import AdminService
from bot.services.article_store import store_posted
from bot.services.news import NewsService
from bot.services.polling import IngestionService
from bot.text import cap
from storage import admins as admins_dao
from storage import deliveries as deliveries_dao
from storage import feeds as feeds_dao
from storage.articles import articles_by_canonical_urls
from storage.db import write_session
from storage.models import Feed, utcnow

log = logging.getLogger(__name__)

ADMIN_SOURCE = "admin"  # feeds.source of a feed added with /feeds add
NAME_LIMIT = 200  # feeds.name's length
MAX_URL_CHARS = 2048  # feeds.url and articles.url hold this many characters
_DEFAULT_INTERVAL = int(FeedSettings.model_fields["interval"].default)
_FETCH_OUTCOMES = {
    FetchErrorKind.BLOCKED_ADDRESS: "blocked",
    FetchErrorKind.HTTP_STATUS: "http error",
    FetchErrorKind.INVALID_URL: "invalid url",
}


class UnknownTopic(Exception):
    """A word after /feeds add URL or /post URL names no topic."""


class FeedAdminService:
    """The admins' feed commands and /post; see the module docstring."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], fetcher: FeedFetcher,
                 settings: Settings, admins: AdminService, ingestion: IngestionService,
                 news: NewsService) -> None:
        self._sessions = session_factory
        self._fetcher = fetcher
        self._settings = settings
        self._admins = admins
        self._ingestion = ingestion
        self._news = news

    async def feeds(self, actor: int) -> tuple[FeedStatus, ...] | None:
        """Every feed with its health, oldest first; None for a non-admin."""
        if not await self._admins.is_admin(actor):
            return None
        async with self._sessions() as session:
            rows = await feeds_dao.list_feeds(session)
        return tuple(_status(feed) for feed in rows)

    async def add(self, actor: int, url: str, topic_words: Sequence[str] = ()
                  ) -> FeedAdminOutcome:
        """Fetch and parse ``url``; if it is a feed, add it (tagged with the topics named)."""
        if not await self._admins.is_admin(actor):
            return FeedAdminOutcome("forbidden")
        url = url.strip()
        shown = describe_url(url)
        if len(url) > MAX_URL_CHARS:  # feeds.url holds 2,048 characters
            return FeedAdminOutcome("invalid url", url=shown[:200], detail="URL too long")
        try:
            topics = await self._topics(topic_words)
        except UnknownTopic as exc:
            return FeedAdminOutcome("unknown topic", url=shown, detail=str(exc))
        async with self._sessions() as session:
            known = await feeds_dao.get_feed_by_url(session, url)
        if known is not None:
            return FeedAdminOutcome("exists", known.id, known.name, shown)
        try:
            fetched = await self._fetcher.fetch_feed(url)
        except FetchError as exc:
            return FeedAdminOutcome(_FETCH_OUTCOMES.get(exc.kind, "unreachable"), url=shown,
                                    detail=exc.message)
        try:
            parsed = await asyncio.to_thread(parse_feed, fetched.body, fetched.final_url,
                                             fetched.content_type)
        except FeedParseError as exc:
            return FeedAdminOutcome("not a feed", url=shown, detail=exc.message)
        name = cap(parsed.title, NAME_LIMIT) or urlsplit(url).hostname or shown
        async with write_session(self._sessions) as session:
            feed = await feeds_dao.add_feed(
                session, url=url, name=name, interval=_DEFAULT_INTERVAL, source=ADMIN_SOURCE,
                site_url=parsed.site_url, default_topics=topics)
            if feed is None:  # added meanwhile
                return FeedAdminOutcome("exists", url=shown, name=name)
            await admins_dao.record_action(session, actor, "feeds.add", str(feed.id),
                                           {"url": shown, "topics": list(topics)})
            feed_id = feed.id
        return FeedAdminOutcome("added", feed_id, name, shown, topics=topics,
                                new=len(parsed.entries))

    async def remove(self, actor: int, reference: str) -> FeedAdminOutcome:
        """Delete the feed named by id or URL (its articles stay); config feeds stay."""
        if not await self._admins.is_admin(actor):
            return FeedAdminOutcome("forbidden")
        async with write_session(self._sessions) as session:
            feed = await feeds_dao.find_feed(session, reference)
            if feed is None:
                return FeedAdminOutcome("not found", detail=reference[:200])
            found = FeedAdminOutcome("removed", feed.id, feed.name, describe_url(feed.url))
            if feed.source == feeds_dao.CONFIG_SOURCE:
                return FeedAdminOutcome("config feed", found.feed_id, found.name, found.url)
            await feeds_dao.delete_feed(session, feed.id)
            await admins_dao.record_action(session, actor, "feeds.remove", str(feed.id),
                                           {"url": found.url})
        return found

    async def set_paused(self, actor: int, reference: str, paused: bool) -> FeedAdminOutcome:
        """Pause the feed named by id or URL (not polled until resumed), or resume it (due
        at once)."""
        if not await self._admins.is_admin(actor):
            return FeedAdminOutcome("forbidden")
        async with write_session(self._sessions) as session:
            feed = await feeds_dao.find_feed(session, reference)
            if feed is None:
                return FeedAdminOutcome("not found", detail=reference[:200])
            feed_id, name, url = feed.id, feed.name, describe_url(feed.url)
            if not await feeds_dao.set_feed_paused(session, feed_id, paused):
                return FeedAdminOutcome("already paused" if paused else "not paused",
                                        feed_id, name, url)
            await admins_dao.record_action(session, actor,
                                           "feeds.pause" if paused else "feeds.resume",
                                           str(feed_id), {"url": url})
        return FeedAdminOutcome("paused" if paused else "resumed", feed_id, name, url)

    async def retry(self, actor: int, feed_id: int) -> FeedAdminOutcome:
        """Poll the feed now (even if paused) and say how it went."""
        if not await self._admins.is_admin(actor):
            return FeedAdminOutcome("forbidden")
        async with self._sessions() as session:
            feed = await feeds_dao.get_feed(session, feed_id)
            if feed is None:
                return FeedAdminOutcome("not found", detail=str(feed_id))
            name, url = feed.name, describe_url(feed.url)
        await self._admins.record(actor, "feeds.retry", str(feed_id), {"url": url})
        result = await self._ingestion.poll_feed(feed_id, even_if_paused=True)
        if result.skipped:
            return FeedAdminOutcome("busy", feed_id, name, url)
        if not result.ok:
            return FeedAdminOutcome("failed", feed_id, name, url, detail=result.error or "")
        return FeedAdminOutcome("polled", feed_id, name, url, new=result.new)

    async def post(self, actor: int, url: str, topic_words: Sequence[str] = ()) -> PostOutcome:
        """Fetch the article page at ``url``, extract its full text, summarise and tag it
        (plus the topics named), store it and queue it for its topics' subscribers."""
        if not await self._admins.is_admin(actor):
            return PostOutcome("forbidden")
        url = url.strip()
        shown = describe_url(url)
        if len(url) > MAX_URL_CHARS:  # articles.url holds 2,048 characters
            return PostOutcome("invalid url", shown[:200], detail="URL too long")
        try:
            topics = await self._topics(topic_words)
        except UnknownTopic as exc:
            return PostOutcome("unknown topic", shown, detail=str(exc))
        try:
            page = await self._fetcher.fetch_page(url)
        except FetchError as exc:
            return PostOutcome(_FETCH_OUTCOMES.get(exc.kind, "unreachable"), shown,
                               detail=exc.message)
        content_type = (page.content_type or "").split(";", 1)[0].strip().lower()
        if content_type and "html" not in content_type:
            return PostOutcome("not an article", shown, detail=content_type)
        try:
            html_text = await asyncio.to_thread(decode_page, page.body, page.content_type)
            article = await asyncio.to_thread(extract_article, html_text, page.final_url)
        except Exception as exc:  # hostile markup: refused, not a crash
            return PostOutcome("not an article", shown, detail=exc.__class__.__name__)
        if article is None:
            return PostOutcome("not an article", shown, detail="no article text found")
        entry = ParsedEntry(guid=page.final_url, url=page.final_url,
                            title=article.title or shown, summary_html="", content_html="",
                            image_url=article.image_url, categories=(),
                            published_at=article.published_at, author=None, comments_url=None)
        prepared = prepare_entries(ParsedFeed(title=None, site_url=None, entries=[entry]))
        if not prepared:
            return PostOutcome("invalid url", shown, detail="URL too long")
        now = utcnow()
        ingestion = self._settings.ingestion
        (processed,) = await asyncio.to_thread(functools.partial(
            finish_batch, prepared, self._ingestion.matcher, ingestion.summary_sentences,
            topics, [article], now))
        async with write_session(self._sessions) as session:
            stored = await articles_by_canonical_urls(session, [processed.canonical_url])
            if processed.canonical_url in stored:
                return PostOutcome("exists", shown, stored[processed.canonical_url].title)
            article_id = await store_posted(session, processed, now)
            if article_id is None:
                return PostOutcome("exists", shown, processed.title)
            queued = await deliveries_dao.enqueue_articles(session, [article_id])
            await admins_dao.record_action(session, actor, "post", str(article_id),
                                           {"url": shown, "queued": queued})
        if processed.topics:
            await self._ingestion.refresh_topic_summaries(processed.topics)
        log.info("admin %s posted %s: %d destinations queued", actor, shown, queued)
        return PostOutcome("posted", shown, processed.title, processed.topics, queued)

    async def _topics(self, words: Sequence[str]) -> tuple[str, ...]:
        """The slugs of the topics ``words`` name (each a slug, name or alias)."""
        if not words:
            return ()
        index = await self._news.topic_index()
        slugs: list[str] = []
        for word in words:
            found = index.find(word).topic
            if found is None:
                raise UnknownTopic(word[:100])
            if found.slug not in slugs:
                slugs.append(found.slug)
        return tuple(slugs)


def _status(feed: Feed) -> FeedStatus:
    return FeedStatus(
        id=feed.id, name=feed.name, url=describe_url(feed.url), source=feed.source,
        topics=tuple(feed.default_topics or ()), enabled=feed.enabled, paused=bool(feed.paused),
        last_success_at=feed.last_success_at, consecutive_failures=feed.consecutive_failures,
        last_error=feed.last_error, next_poll_at=feed.next_poll_at,
    )
