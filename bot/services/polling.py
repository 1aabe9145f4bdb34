"""Polling: feeds → clean, deduplicated, topic-tagged, summarised articles in the database.

:class:`IngestionService` polls one feed at a time (:meth:`~IngestionService.poll_feed`) or
every due feed (:meth:`~IngestionService.poll_due_feeds`); a feed an admin paused
(``feeds.paused``) is left alone until resumed, except for an admin's "Retry now". A poll never
raises: every failure ends in the feed's health record, a log line and, at the alert
threshold, one notice to the admins (:mod:`bot.services.feed_health`). The network is never
used inside a database transaction:

1. read the feed's state (short read);
2. fetch conditionally (no session held); a 304 only records the poll;
3. parse and prepare entries off the event loop (:mod:`bot.services.workers`);
4. classify entries against stored articles (short read): new, changed, unchanged, or seen
   before under another GUID / in another feed ("linked") (:mod:`bot.services.article_store`);
5. fetch and extract full text for new and changed articles of ``full_text`` feeds
   (:mod:`bot.services.article_pages`), and summarise and tag them, off the event loop;
6. write everything in one transaction, then refresh the stored topic summaries
   (:mod:`bot.services.topic_summaries`).

Change detection hashes the feed's own title, summary and body text, so full-text pages are
fetched once per version, not on every poll. The pure steps live in :mod:`bot.ingest`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.ingest.feed_parsing import FeedParseError, ParsedFeed, parse_feed
from bot.ingest.fetch import FeedFetcher, FetchError, FetchResult
from bot.ingest.processing import ExtractedArticle, finish_batch, prepare_entries
from bot.ingest.topic_matching import TopicMatcher
from bot.services.article_pages import fetch_full_texts
from bot.services.article_store import (
    EntryAction,
    EntryPlan,
    StoredEntries,
    classify_entries,
    store_entries,
)
from bot.services.feed_health import MAX_ERROR_LENGTH, AdminNotifier, FeedHealth
from bot.services.topic_summaries import TopicSummaries
from bot.services.workers import CpuRunner
from bot.services.write_gate import WriteGate
from storage.feeds import (
    FeedSpec,
    get_feed,
    list_due_feeds,
    list_enabled_feeds,
    sync_config_feeds,
)
from storage.models import Feed, utcnow
from storage.topics import TopicSpec, sync_topics

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Called inside the transaction that stores new articles (not for a feed's first, baseline
# poll), so queuing them for subscribers commits or fails together with storing them.
NewArticlesHook = Callable[[AsyncSession, Sequence[int]], Awaitable[object]]

PARSE_ERROR_KIND = "parse"
INTERNAL_ERROR_KIND = "internal"


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll of one feed did. Each entry counts once: new, updated, unchanged or
    linked (an article already stored, now also seen under this GUID or in this feed)."""

    feed_id: int
    feed_name: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    linked: int = 0
    not_modified: bool = False
    skipped: bool = False
    error: str | None = None
    error_kind: str | None = None
    new_article_ids: tuple[int, ...] = ()
    updated_article_ids: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    # The feed's first successful poll: its entries are the backlog, not news to push.
    first_success: bool = False

    @property
    def ok(self) -> bool:
        """True if the poll succeeded (a 304 and a skip count as success)."""
        return self.error is None


@dataclass(frozen=True, slots=True)
class FeedSchedule:
    """What the scheduler needs to register one polling job for a feed."""

    feed_id: int
    name: str
    interval: int  # seconds
    jitter: float  # seconds added at random to each run


@dataclass(frozen=True, slots=True)
class _FeedState:
    """A feed's row as plain values, read before the network is touched."""

    id: int
    name: str
    url: str
    etag: str | None
    last_modified: str | None
    full_text: bool
    default_topics: tuple[str, ...]
    interval: int
    next_poll_at: datetime | None
    never_succeeded: bool
    paused: bool = False

    @classmethod
    def of(cls, feed: Feed) -> _FeedState:
        return cls(
            id=feed.id, name=feed.name, url=feed.url, etag=feed.etag,
            last_modified=feed.last_modified, full_text=feed.full_text,
            default_topics=tuple(feed.default_topics or ()), interval=feed.interval,
            next_poll_at=feed.next_poll_at, never_succeeded=feed.last_success_at is None,
            paused=bool(feed.paused),
        )


async def sync_catalogue(session: AsyncSession, settings: Settings) -> list[Feed]:
    """Mirror the configured topics and feeds into the database, in the caller's transaction;
    return the configured feeds in config order."""
    await sync_topics(session, [TopicSpec(slug=topic.slug, name=topic.name, names=topic.names)
                                for topic in settings.topics])
    return await sync_config_feeds(session, [
        FeedSpec(url=str(feed.url), name=feed.name, interval=feed.interval,
                 full_text=feed.full_text, topics=tuple(feed.topics))
        for feed in settings.feeds
    ])


class IngestionService:
    """Polls feeds and stores their articles; see the module docstring for the flow.

    ``notify_admins`` receives a function rendering a plain-text notice in the current language
    (the caller calls it in each admin's language, and escapes it). ``clock``
    exists for tests that need a fixed "now".
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        fetcher: FeedFetcher,
        settings: Settings,
        notify_admins: AdminNotifier | None = None,
        *,
        on_new_articles: NewArticlesHook | None = None,
        executor: Executor | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._session_factory = session_factory
        self._fetcher = fetcher
        self._settings = settings
        self._ingestion = settings.ingestion
        self._on_new_articles = on_new_articles
        self._cpu = CpuRunner(executor)
        self._gate = WriteGate(session_factory)
        self._clock = clock
        self._health = FeedHealth(self._ingestion, self._gate, clock, notify_admins)
        self._topic_summaries = TopicSummaries(
            session_factory, self._gate, self._cpu, self._ingestion, clock
        )
        self._matcher = TopicMatcher(settings.topics)
        self._polling: set[int] = set()

    @property
    def matcher(self) -> TopicMatcher:
        """The topic matcher built from the configured catalogue."""
        return self._matcher

    # --- configuration and scheduling --------------------------------------------------------

    async def sync_config(self) -> list[int]:
        """Mirror the configured topics and feeds into the database (one transaction);
        return the ids of the configured feeds, in config order."""
        async with self._gate.transaction() as session:
            feeds = await sync_catalogue(session, self._settings)
            return [feed.id for feed in feeds]

    async def feed_schedule(self) -> list[FeedSchedule]:
        """Return one schedule entry per enabled, unpaused feed (interval and jitter in
        seconds)."""
        async with self._session_factory() as session:
            feeds = await list_enabled_feeds(session)
            return [FeedSchedule(feed.id, feed.name, feed.interval, self._ingestion.jitter)
                    for feed in feeds if not feed.paused]

    async def refresh_topic_summaries(self, topic_slugs: Iterable[str]) -> None:
        """Recompute the stored key points of these topics where their articles changed."""
        await self._topic_summaries.refresh(topic_slugs)

    # --- polling -----------------------------------------------------------------------------

    async def poll_due_feeds(self) -> list[PollResult]:
        """Poll every enabled feed that is due, concurrently, each in its own sessions.

        Topic summaries touched by any of the polls are recomputed once, at the end."""
        async with self._session_factory() as session:  # every due feed's state, one query
            states = [_FeedState.of(feed)
                      for feed in await list_due_feeds(session, self._clock())]
        if not states:
            return []
        slots = asyncio.Semaphore(self._ingestion.total_concurrency)
        touched: set[str] = set()

        async def poll(state: _FeedState) -> PollResult:
            async with slots:
                return await self._poll_guarded(state.id, False, touched, state)

        results = list(await asyncio.gather(*(poll(state) for state in states)))
        if touched:
            await self.refresh_topic_summaries(touched)
        return results

    async def poll_feed(
        self, feed_id: int, *, only_if_due: bool = False, touched_topics: set[str] | None = None,
        even_if_paused: bool = False,
    ) -> PollResult:
        """Poll one feed and store what changed. Never raises (except on cancellation).

        With ``only_if_due`` a feed whose ``next_poll_at`` (backoff included) lies more than
        half an interval ahead is skipped — for per-feed scheduler jobs. A paused feed is
        skipped unless ``even_if_paused`` (an admin's "Retry now").
        """
        return await self._poll_guarded(feed_id, only_if_due, touched_topics, None,
                                        even_if_paused)

    async def _poll_guarded(
        self, feed_id: int, only_if_due: bool, touched_topics: set[str] | None,
        state: _FeedState | None, even_if_paused: bool = False,
    ) -> PollResult:
        if feed_id in self._polling:  # a poll of this feed is already running
            return PollResult(feed_id=feed_id, feed_name="", skipped=True)
        self._polling.add(feed_id)
        try:
            return await self._poll(feed_id, only_if_due, touched_topics, state,
                                    even_if_paused)
        except Exception as exc:  # a bug or a database failure must not stop other feeds
            logger.exception("feed %s: poll failed unexpectedly", feed_id)
            message = _describe_exception(exc)
            try:
                return await self._fail(feed_id, INTERNAL_ERROR_KIND, message)
            except Exception:
                logger.exception("feed %s: could not record the failure", feed_id)
                return PollResult(feed_id=feed_id, feed_name="", error=message,
                                  error_kind=INTERNAL_ERROR_KIND)
        finally:
            self._polling.discard(feed_id)

    async def _poll(
        self, feed_id: int, only_if_due: bool, touched_topics: set[str] | None,
        state: _FeedState | None, even_if_paused: bool = False,
    ) -> PollResult:
        if state is None:
            async with self._gate.reading() as session:
                feed = await get_feed(session, feed_id)
                state = _FeedState.of(feed) if feed is not None else None
        if state is None:
            return PollResult(feed_id=feed_id, feed_name="", error="no such feed",
                              error_kind=INTERNAL_ERROR_KIND)
        if state.paused and not even_if_paused:
            return PollResult(feed_id=state.id, feed_name=state.name, skipped=True)
        now = self._clock()
        if only_if_due and state.next_poll_at is not None and (
            state.next_poll_at - now > timedelta(seconds=state.interval / 2)
        ):
            return PollResult(feed_id=state.id, feed_name=state.name, skipped=True)

        try:
            fetched = await self._fetcher.fetch_feed(
                state.url, etag=state.etag, last_modified=state.last_modified
            )
        except FetchError as exc:
            return await self._fail(state.id, exc.kind.value, exc.message)
        if fetched.not_modified:
            recovered = await self._health.record_not_modified(state.id, fetched)
            await self._health.announce_recovery(state.name, recovered, state.id, state.url)
            return PollResult(feed_id=state.id, feed_name=state.name, not_modified=True)

        try:
            parsed = await self._cpu.run(functools.partial(
                parse_feed, fetched.body, fetched.final_url, fetched.content_type,
                now=self._clock(),
            ))
        except FeedParseError as exc:
            return await self._fail(state.id, PARSE_ERROR_KIND, exc.message)

        prepared = await self._cpu.run(functools.partial(prepare_entries, parsed))
        async with self._gate.reading() as session:
            plans = await classify_entries(session, state.id, prepared)
        notes = list(parsed.problems)
        notes.extend(await self._process(state, plans))
        stored, recovered = await self._write(state, fetched, parsed, plans, notes)
        await self._health.announce_recovery(state.name, recovered, state.id, state.url)
        if notes:
            logger.info("feed %r: %s", state.name, "; ".join(notes))
        if touched_topics is not None:  # the caller refreshes once for many feeds
            touched_topics.update(stored.touched_topics)
        elif stored.touched_topics:
            await self.refresh_topic_summaries(stored.touched_topics)
        return PollResult(
            feed_id=state.id,
            feed_name=state.name,
            new=len(stored.new_ids),
            updated=len(stored.updated_ids),
            unchanged=stored.unchanged,
            linked=stored.linked,
            new_article_ids=tuple(stored.new_ids),
            updated_article_ids=tuple(stored.updated_ids),
            notes=tuple(notes),
            first_success=state.never_succeeded,
        )

    async def _fail(self, feed_id: int, kind: str, message: str) -> PollResult:
        failure = await self._health.record_failure(feed_id, kind, message)
        return PollResult(feed_id=feed_id, feed_name=failure.feed_name, error=failure.error,
                          error_kind=failure.kind)

    async def _process(self, state: _FeedState, plans: list[EntryPlan]) -> list[str]:
        """Fill ``plan.processed`` for new and changed entries; return health notes."""
        todo = [plan for plan in plans
                if plan.action in (EntryAction.NEW, EntryAction.CHANGED)]
        if not todo:
            return []
        notes: list[str] = []
        extracted: list[ExtractedArticle | None] = [None] * len(todo)
        if state.full_text:
            extracted, notes = await fetch_full_texts(
                self._fetcher, [plan.prepared.entry.url for plan in todo]
            )
        # A feed's first poll is its baseline: stored, never pushed, so a lead summary will do.
        lead = state.never_succeeded and self._ingestion.baseline_summaries == "lead"
        finish = functools.partial(
            finish_batch, [plan.prepared for plan in todo], self._matcher,
            self._ingestion.summary_sentences, state.default_topics, extracted, self._clock(),
            lead_summaries=lead,
        )
        for plan, processed in zip(todo, await self._cpu.run(finish), strict=True):
            plan.processed = processed
        return notes

    async def _write(
        self,
        state: _FeedState,
        fetched: FetchResult,
        parsed: ParsedFeed,
        plans: list[EntryPlan],
        notes: list[str],
    ) -> tuple[StoredEntries, int]:
        """Store the entries and the successful poll in one transaction; return what was
        stored and the failure streak to announce a recovery for (or 0)."""
        now = self._clock()
        async with self._gate.transaction() as session:
            recovered = await self._health.record_fetched(
                session, state.id, fetched, parsed, notes, now)
            if recovered is None:  # deleted while we fetched
                return StoredEntries(), 0
            stored = await store_entries(session, state.id, plans, now)
            if stored.new_ids and self._on_new_articles and not state.never_succeeded:
                await self._on_new_articles(session, stored.new_ids)
        return stored, recovered


def _describe_exception(exc: BaseException) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}: {first_line}"[:MAX_ERROR_LENGTH] if first_line else (
        exc.__class__.__name__
    )
