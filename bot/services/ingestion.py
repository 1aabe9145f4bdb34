"""Ingestion: feeds → clean, deduplicated, topic-tagged, summarised articles in the database.

:class:`IngestionService` polls one feed at a time (:meth:`~IngestionService.poll_feed`) or
every due feed (:meth:`~IngestionService.poll_due_feeds`). A poll never raises: every failure
ends in the feed's health record, a log line and, at the alert threshold, one notice to the
admins. The network is never used inside a database transaction:

1. read the feed's state (short read);
2. fetch conditionally (no session held); a 304 only records the poll;
3. parse and prepare entries off the event loop;
4. classify entries against stored articles (short read): new, changed, unchanged, or seen
   before under another GUID / in another feed ("linked");
5. fetch and extract full text for new and changed articles of ``full_text`` feeds, and
   summarise and tag them, off the event loop;
6. write everything in one transaction, then refresh the stored topic summaries.

Deduplication: the same (feed, GUID) is the same article; otherwise the same canonical URL is.
The feed that first carried an article owns its content: only that feed's changes make a new
version (``updated``, ``version + 1``); other feeds just record that they carry it. Change
detection hashes the feed's own title, summary and body text, so full-text pages are fetched
once per version, not on every poll.

:func:`process_entries` is the pure core (parsed feed → what would be stored), shared with
the preview CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import multiprocessing
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.ingest.feed_parsing import (
    MAX_URL_LENGTH,
    FeedParseError,
    ParsedFeed,
    parse_feed,
)
from bot.ingest.fetch import FeedFetcher, FetchError, FetchResult, describe_url
from bot.ingest.fulltext import decode_page, extract_article
from bot.ingest.processing import (
    ExtractedArticle,
    ProcessedEntry,
    _finish_batch,
    _prepare_entries,
    _PreparedEntry,
    _summary_input,
    content_hash,
    process_entries,
)
from bot.ingest.summaries import SourceArticle, summarize_topic
from bot.ingest.topic_matching import TopicMatcher
from bot.log import mask_secrets
from storage.articles import (
    add_article_source,
    articles_by_canonical_urls,
    articles_by_source_guids,
    articles_for_topic,
    insert_article,
    set_article_tags,
    set_article_topics,
    update_article_content,
)
from storage.db import write_session
from storage.feeds import (
    CONFIG_SOURCE,
    get_feed,
    get_feed_by_url,
    list_due_feed_ids,
    list_enabled_feeds,
    sync_config_feeds,
)
from storage.models import Article, Feed
from storage.topics import get_topic_by_slug, get_topic_summary, save_topic_summary, sync_topics

logger = logging.getLogger(__name__)

T = TypeVar("T")
AdminNotifier = Callable[[str], Awaitable[None]]
Clock = Callable[[], datetime]
# Called inside the transaction that stores new articles (not for a feed's first, baseline
# poll), so queuing them for subscribers commits or fails together with storing them.
NewArticlesHook = Callable[[AsyncSession, Sequence[int]], Awaitable[object]]

#: Full-text pages fetched per poll at most; further new articles keep the feed's content.
MAX_PAGES_PER_POLL = 100
MAX_ERROR_LENGTH = 500
MAX_NOTE_LENGTH = 1000
PARSE_ERROR_KIND = "parse"
INTERNAL_ERROR_KIND = "internal"
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_SPACES = re.compile(r"\s+")


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --- results -----------------------------------------------------------------------------------


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

    @classmethod
    def of(cls, feed: Feed) -> _FeedState:
        return cls(
            id=feed.id, name=feed.name, url=feed.url, etag=feed.etag,
            last_modified=feed.last_modified, full_text=feed.full_text,
            default_topics=tuple(feed.default_topics or ()), interval=feed.interval,
            next_poll_at=feed.next_poll_at, never_succeeded=feed.last_success_at is None,
        )


class _Action(Enum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    LINK = "link"


@dataclass(slots=True)
class _Plan:
    prepared: _PreparedEntry
    action: _Action
    processed: ProcessedEntry | None = None


@dataclass(slots=True)
class _WriteOutcome:
    new_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    linked: int = 0
    unchanged: int = 0
    touched_topics: set[str] = field(default_factory=set)
    recovered_after: int = 0


class IngestionService:
    """Polls feeds and stores their articles; see the module docstring for the flow.

    ``notify_admins`` receives plain text (the caller renders and escapes it). ``clock``
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
        clock: Clock = _utcnow,
    ) -> None:
        self._session_factory = session_factory
        self._fetcher = fetcher
        self._settings = settings
        self._ingestion = settings.ingestion
        self._notify_admins = notify_admins
        self._on_new_articles = on_new_articles
        self._executor = executor
        # SQLite has one writer; queue our writes here (FIFO, no timeout) instead of letting
        # dozens of concurrent pollers spin on SQLite's busy handler until it gives up.
        self._write_gate: contextlib.AbstractAsyncContextManager[object] = (
            asyncio.Lock() if _is_sqlite(session_factory) else contextlib.nullcontext()
        )
        self._clock = clock
        self._matcher = TopicMatcher(settings.topics)
        self._polling: set[int] = set()

    @property
    def matcher(self) -> TopicMatcher:
        """The topic matcher built from the configured catalogue."""
        return self._matcher

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        """One write transaction (through the SQLite write gate)."""
        async with self._write_gate, write_session(self._session_factory) as session:
            yield session

    # --- configuration and scheduling --------------------------------------------------------

    async def sync_config(self) -> list[int]:
        """Mirror the configured topics and feeds into the database (one transaction);
        return the ids of the configured feeds, in config order."""
        async with self._writing() as session:
            await sync_topics(session, self._settings.topics)
            feeds = await sync_config_feeds(session, self._settings.feeds)
            return [feed.id for feed in feeds]

    async def feed_schedule(self) -> list[FeedSchedule]:
        """Return one schedule entry per enabled feed (interval and jitter in seconds)."""
        async with self._session_factory() as session:
            feeds = await list_enabled_feeds(session)
            return [FeedSchedule(feed.id, feed.name, feed.interval, self._ingestion.jitter)
                    for feed in feeds]

    # --- polling -----------------------------------------------------------------------------

    async def poll_due_feeds(self) -> list[PollResult]:
        """Poll every enabled feed that is due, concurrently, each in its own sessions.

        Topic summaries touched by any of the polls are recomputed once, at the end."""
        async with self._session_factory() as session:
            feed_ids = await list_due_feed_ids(session, self._clock())
        if not feed_ids:
            return []
        slots = asyncio.Semaphore(self._ingestion.total_concurrency)
        touched: set[str] = set()

        async def poll(feed_id: int) -> PollResult:
            async with slots:
                return await self.poll_feed(feed_id, touched_topics=touched)

        results = list(await asyncio.gather(*(poll(feed_id) for feed_id in feed_ids)))
        if touched:
            await self.refresh_topic_summaries(touched)
        return results

    async def poll_feed(
        self, feed_id: int, *, only_if_due: bool = False, touched_topics: set[str] | None = None
    ) -> PollResult:
        """Poll one feed and store what changed. Never raises (except on cancellation).

        With ``only_if_due`` a feed whose ``next_poll_at`` (backoff included) lies more than
        half an interval ahead is skipped — for per-feed scheduler jobs.
        """
        if feed_id in self._polling:  # a poll of this feed is already running
            return PollResult(feed_id=feed_id, feed_name="", skipped=True)
        self._polling.add(feed_id)
        try:
            return await self._poll(feed_id, only_if_due, touched_topics)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or a database failure must not stop other feeds
            logger.exception("feed %s: poll failed unexpectedly", feed_id)
            message = _describe_exception(exc)
            try:
                return await self._record_failure(feed_id, INTERNAL_ERROR_KIND, message)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("feed %s: could not record the failure", feed_id)
                return PollResult(feed_id=feed_id, feed_name="", error=message,
                                  error_kind=INTERNAL_ERROR_KIND)
        finally:
            self._polling.discard(feed_id)

    async def _poll(
        self, feed_id: int, only_if_due: bool, touched_topics: set[str] | None
    ) -> PollResult:
        async with self._session_factory() as session:
            feed = await get_feed(session, feed_id)
            state = _FeedState.of(feed) if feed is not None else None
        if state is None:
            return PollResult(feed_id=feed_id, feed_name="", error="no such feed",
                              error_kind=INTERNAL_ERROR_KIND)
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
            return await self._record_failure(state.id, exc.kind.value, exc.message)

        if fetched.not_modified:
            recovered = await self._record_not_modified(state, fetched)
            await self._announce_recovery(state, recovered)
            return PollResult(feed_id=state.id, feed_name=state.name, not_modified=True)

        try:
            parsed = await self._cpu(functools.partial(
                parse_feed, fetched.body, fetched.final_url, fetched.content_type,
                now=self._clock(),
            ))
        except FeedParseError as exc:
            return await self._record_failure(state.id, PARSE_ERROR_KIND, exc.message)

        prepared = await self._cpu(functools.partial(_prepare_entries, parsed))
        plans = await self._classify(state, prepared)
        notes = list(parsed.problems)
        notes.extend(await self._process(state, plans))
        outcome = await self._write(state, fetched, parsed, plans, notes)
        await self._announce_recovery(state, outcome.recovered_after)
        if notes:
            logger.info("feed %r: %s", state.name, "; ".join(notes))
        if touched_topics is not None:  # the caller refreshes once for many feeds
            touched_topics.update(outcome.touched_topics)
        elif outcome.touched_topics:
            await self.refresh_topic_summaries(outcome.touched_topics)
        return PollResult(
            feed_id=state.id,
            feed_name=state.name,
            new=len(outcome.new_ids),
            updated=len(outcome.updated_ids),
            unchanged=outcome.unchanged,
            linked=outcome.linked,
            new_article_ids=tuple(outcome.new_ids),
            updated_article_ids=tuple(outcome.updated_ids),
            notes=tuple(notes),
            first_success=state.never_succeeded,
        )

    # --- step 4: classify --------------------------------------------------------------------

    async def _classify(self, state: _FeedState, prepared: list[_PreparedEntry]) -> list[_Plan]:
        if not prepared:
            return []
        async with self._session_factory() as session:
            by_guid = await articles_by_source_guids(session, state.id,
                                                     [item.guid for item in prepared])
            by_url = await articles_by_canonical_urls(session,
                                                      [item.canonical_url for item in prepared])
            return [self._plan(state, item, by_guid, by_url) for item in prepared]

    @staticmethod
    def _plan(
        state: _FeedState,
        item: _PreparedEntry,
        by_guid: dict[str, Article],
        by_url: dict[str, Article],
    ) -> _Plan:
        article = by_guid.get(item.guid) or by_url.get(item.canonical_url)
        if article is None:
            return _Plan(item, _Action.NEW)
        owned = article.feed_id in (state.id, None)
        if owned and article.content_hash != item.content_hash:
            return _Plan(item, _Action.CHANGED)
        if item.guid not in by_guid:
            return _Plan(item, _Action.LINK)
        return _Plan(item, _Action.UNCHANGED)

    # --- step 5: full text, summaries, topics --------------------------------------------------

    async def _process(self, state: _FeedState, plans: list[_Plan]) -> list[str]:
        """Fill ``plan.processed`` for new and changed entries; return health notes."""
        todo = [plan for plan in plans if plan.action in (_Action.NEW, _Action.CHANGED)]
        if not todo:
            return []
        notes: list[str] = []
        extracted: list[ExtractedArticle | None] = [None] * len(todo)
        if state.full_text:
            pages = todo[:MAX_PAGES_PER_POLL]
            outcomes = await asyncio.gather(
                *(self._full_text(plan.prepared.entry.url) for plan in pages)
            )
            failures = [(plan, problem) for plan, (_, problem) in zip(pages, outcomes,
                                                                      strict=True) if problem]
            for index, (article, _) in enumerate(outcomes):
                extracted[index] = article
            if failures:
                last_plan, last_problem = failures[-1]
                notes.append(
                    f"full text unavailable for {len(failures)} of {len(pages)} new or changed "
                    f"articles, feed content used instead (last: "
                    f"{describe_url(last_plan.prepared.entry.url)}: {last_problem})"
                )
            if len(todo) > len(pages):
                notes.append(f"full text fetched for the first {len(pages)} of {len(todo)} "
                             "new or changed articles only")
        finish = functools.partial(
            _finish_batch, [plan.prepared for plan in todo], self._matcher,
            self._ingestion.summary_sentences, state.default_topics, extracted, self._clock(),
        )
        for plan, processed in zip(todo, await self._cpu(finish), strict=True):
            plan.processed = processed
        return notes

    async def _cpu(self, job: Callable[[], T]) -> T:
        """Run CPU-bound work (parsing, summarising) off the event loop: in the worker
        processes when there are any (the GIL then stays free for the bot's handlers), else
        in a thread. A broken pool falls back to a thread."""
        if self._executor is not None:
            try:
                return await asyncio.get_running_loop().run_in_executor(self._executor, job)
            except BrokenProcessPool:
                logger.error("ingestion worker process died; falling back to a thread")
                self._executor = None
        return await asyncio.to_thread(job)

    async def _full_text(self, url: str) -> tuple[ExtractedArticle | None, str | None]:
        """Fetch and extract an article page; return (article, None) or (None, problem)."""
        try:
            page = await self._fetcher.fetch_page(url)
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

    # --- step 6: write -----------------------------------------------------------------------

    async def _write(
        self,
        state: _FeedState,
        fetched: FetchResult,
        parsed: ParsedFeed,
        plans: list[_Plan],
        notes: list[str],
    ) -> _WriteOutcome:
        outcome = _WriteOutcome()
        now = self._clock()
        async with self._writing() as session:
            feed = await get_feed(session, state.id)
            if feed is None:  # deleted while we fetched
                return outcome
            pending = [plan for plan in plans if plan.action is not _Action.UNCHANGED]
            by_guid = await articles_by_source_guids(
                session, state.id, [plan.prepared.guid for plan in pending])
            by_url = await articles_by_canonical_urls(
                session, [plan.prepared.canonical_url for plan in pending])
            for plan in plans:
                if plan.action is _Action.UNCHANGED:
                    outcome.unchanged += 1
                    continue
                await self._write_entry(session, state, plan, by_guid, by_url, outcome, now)
            if outcome.new_ids and self._on_new_articles and not state.never_succeeded:
                await self._on_new_articles(session, outcome.new_ids)
            await self._record_success(session, feed, fetched, parsed, notes, outcome, now)
        return outcome

    async def _write_entry(
        self,
        session: AsyncSession,
        state: _FeedState,
        plan: _Plan,
        by_guid: dict[str, Article],
        by_url: dict[str, Article],
        outcome: _WriteOutcome,
        now: datetime,
    ) -> None:
        item = plan.prepared
        article = by_guid.get(item.guid) or by_url.get(item.canonical_url)
        processed = plan.processed
        if article is None and processed is not None:
            inserted = await insert_article(
                session,
                canonical_url=processed.canonical_url, url=processed.url, guid=processed.guid,
                title=processed.title, summary=processed.summary, body=processed.body_text,
                image_url=processed.image_url, author=processed.author,
                comments_url=processed.comments_url, published_at=processed.published_at,
                content_hash=processed.content_hash, feed_id=state.id, now=now,
            )
            if inserted is not None:
                await add_article_source(session, inserted.id, state.id, item.guid, now)
                await self._store_tagging(session, inserted.id, processed, outcome)
                outcome.new_ids.append(inserted.id)
                by_url[item.canonical_url] = inserted
                return
            # Another poller stored the same URL a moment ago: link to its article.
            found = await articles_by_canonical_urls(session, [item.canonical_url])
            article = found.get(item.canonical_url)
        if article is None:  # classified as known, but gone since: next poll will add it
            outcome.unchanged += 1
            return
        linked = await add_article_source(session, article.id, state.id, item.guid, now)
        owned = article.feed_id in (state.id, None)
        if owned and processed is not None and article.content_hash != processed.content_hash:
            await update_article_content(
                session, article,
                title=processed.title, summary=processed.summary, body=processed.body_text,
                image_url=processed.image_url, author=processed.author,
                comments_url=processed.comments_url, published_at=processed.published_at,
                content_hash=processed.content_hash, now=now,
            )
            if article.feed_id is None:
                article.feed_id = state.id
            await self._store_tagging(session, article.id, processed, outcome)
            outcome.updated_ids.append(article.id)
        elif linked:
            outcome.linked += 1
        else:
            outcome.unchanged += 1

    @staticmethod
    async def _store_tagging(
        session: AsyncSession, article_id: int, processed: ProcessedEntry,
        outcome: _WriteOutcome,
    ) -> None:
        stored = await set_article_topics(session, article_id, processed.topics)
        await set_article_tags(session, article_id, processed.tags)
        outcome.touched_topics.update(stored)

    # --- health ------------------------------------------------------------------------------

    def _next_poll(self, now: datetime, seconds: float) -> datetime:
        jitter = random.uniform(0, self._ingestion.jitter) if self._ingestion.jitter else 0.0
        return now + timedelta(seconds=seconds + jitter)

    def backoff_seconds(self, interval: int, failures: int) -> int:
        """Return the wait after ``failures`` failures in a row: interval × 2^(failures−1),
        capped at ``max_backoff``."""
        exponent = max(failures - 1, 0)
        if exponent >= 32:
            return self._ingestion.max_backoff
        return int(min(interval * 2**exponent, self._ingestion.max_backoff))

    async def _record_success(
        self,
        session: AsyncSession,
        feed: Feed,
        fetched: FetchResult,
        parsed: ParsedFeed | None,
        notes: list[str] | None,
        outcome: _WriteOutcome,
        now: datetime,
    ) -> None:
        """Record a successful poll. ``notes`` None (a 304) leaves the health note as it is."""
        if parsed is not None:
            _assign(feed, title=parsed.title or feed.title, site_url=parsed.site_url or
                    feed.site_url, etag=_cap(fetched.etag, 500),
                    last_modified=_cap(fetched.last_modified, 100))
        moved_to = fetched.permanent_redirect_to
        if moved_to and len(moved_to) > MAX_URL_LENGTH:
            moved_to = None  # cannot be stored; the redirect is still followed every poll
        if moved_to and moved_to != feed.url:
            note = await self._follow_move(session, feed, moved_to)
            if notes is not None:
                notes.append(note)
        elif feed.moved_to is not None and not moved_to:
            feed.moved_to = None
        if feed.consecutive_failures and feed.failure_alerted:
            outcome.recovered_after = feed.consecutive_failures
        _assign(feed, consecutive_failures=0, failure_alerted=False)
        if notes is not None:
            _assign(feed, health_note=_cap("; ".join(notes), MAX_NOTE_LENGTH) or None)
        feed.last_polled_at = now
        feed.last_success_at = now
        feed.next_poll_at = self._next_poll(now, feed.interval)

    async def _follow_move(self, session: AsyncSession, feed: Feed, target: str) -> str:
        """Record a permanent redirect; adopt the new URL for feeds not from the config."""
        old = describe_url(feed.url)
        if feed.moved_to == target:
            return f"moved permanently to {describe_url(target)}; update the feed URL in the config"
        if feed.source != CONFIG_SOURCE and await get_feed_by_url(session, target) is None:
            feed.url = target
            feed.moved_to = None
            note = f"moved permanently from {old} to {describe_url(target)}; URL updated"
        else:
            feed.moved_to = target
            note = (f"moved permanently to {describe_url(target)}; "
                    "update the feed URL in the config")
        logger.warning("feed %r: %s", feed.name, note)
        return note

    async def _record_not_modified(self, state: _FeedState, fetched: FetchResult) -> int:
        """Record a 304: poll timestamps only (and the end of a failure streak). Returns the
        failure count to announce a recovery for, or 0."""
        outcome = _WriteOutcome()
        now = self._clock()
        async with self._writing() as session:
            feed = await get_feed(session, state.id)
            if feed is None:
                return 0
            await self._record_success(session, feed, fetched, None, None, outcome, now)
        return outcome.recovered_after

    async def _record_failure(self, feed_id: int, kind: str, message: str) -> PollResult:
        error = _cap(mask_secrets(f"{kind}: {_one_line(message)}"), MAX_ERROR_LENGTH) or kind
        now = self._clock()
        async with self._writing() as session:
            feed = await get_feed(session, feed_id)
            if feed is None:
                return PollResult(feed_id=feed_id, feed_name="", error=error, error_kind=kind)
            feed.consecutive_failures += 1
            failures = feed.consecutive_failures
            feed.last_error = error
            feed.last_error_at = now
            feed.last_polled_at = now
            wait = self.backoff_seconds(feed.interval, failures)
            feed.next_poll_at = self._next_poll(now, wait)
            alert = failures >= self._ingestion.failure_alert_threshold and not feed.failure_alerted
            if alert:
                feed.failure_alerted = True
            name, url = feed.name, describe_url(feed.url)
        logger.warning("feed %r (%s) failed: %s [%s]; %d failure(s) in a row, next poll in %ds",
                       name, url, error, kind, failures, wait)
        if alert:
            await self._notify(f"Feed {name} has failed {failures} polls in a row: {error}")
        return PollResult(feed_id=feed_id, feed_name=name, error=error, error_kind=kind)

    async def _announce_recovery(self, state: _FeedState, failures: int) -> None:
        if failures:
            logger.info("feed %r recovered after %d failures", state.name, failures)
            await self._notify(f"Feed {state.name} recovered after {failures} failures")

    async def _notify(self, text: str) -> None:
        if self._notify_admins is None:
            return
        try:
            await self._notify_admins(text)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("could not notify the admins: %s", text)

    # --- topic summaries ---------------------------------------------------------------------

    async def refresh_topic_summaries(self, topic_slugs: Iterable[str]) -> None:
        """Recompute the stored key points of these topics where their articles changed."""
        for slug in sorted(set(topic_slugs)):
            try:
                await self._refresh_topic_summary(slug)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("topic %r: could not refresh its summary", slug)

    async def _topic_sources(
        self, session: AsyncSession, topic_id: int
    ) -> tuple[str, list[SourceArticle]]:
        articles = await articles_for_topic(session, topic_id,
                                            self._ingestion.topic_summary_articles)
        key = hashlib.sha256(
            ",".join(f"{article.id}:{article.version}" for article in articles).encode()
        ).hexdigest()
        sources = [
            SourceArticle(article_id=article.id, title=article.title, url=article.url,
                          text=_summary_input(article.body or article.summary),
                          published_at=article.published_at or article.created_at)
            for article in articles
        ]
        return key, sources

    async def _refresh_topic_summary(self, slug: str) -> bool:
        async with self._session_factory() as session:
            topic = await get_topic_by_slug(session, slug)
            if topic is None:
                return False
            topic_id = topic.id
            key, sources = await self._topic_sources(session, topic_id)
            stored = await get_topic_summary(session, topic_id)
            if stored is not None and stored.source_key == key:
                return False
        settings = self._ingestion
        points = await self._cpu(functools.partial(
            summarize_topic, sources, settings.topic_summary_points, settings.summary_sentences
        ))
        payload = [
            {"text": point.text, "article_id": point.article_id, "title": point.title,
             "url": point.url, "also_in": list(point.also_in)}
            for point in points
        ]
        async with self._writing() as session:
            current_key, _ = await self._topic_sources(session, topic_id)
            if current_key != key:  # articles changed meanwhile; that poll refreshes it
                return False
            await save_topic_summary(session, topic_id, payload, key, self._clock())
        return True


# --- small helpers -----------------------------------------------------------------------------


#: A worker process is replaced after this many jobs, so memory it accumulated (allocator
#: fragmentation after thousands of summaries) is returned; a respawn costs about a second.
WORKER_TASKS_PER_CHILD = 1000


def create_worker_pool(workers: int) -> ProcessPoolExecutor | None:
    """The process pool for CPU-bound ingestion work, or None for threads (workers = 0).

    spawn, not fork: the bot's process already runs threads (aiosqlite, asyncio)."""
    if workers <= 0:
        return None
    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"),
        max_tasks_per_child=WORKER_TASKS_PER_CHILD,
    )


def _is_sqlite(session_factory: async_sessionmaker[AsyncSession]) -> bool:
    bind = session_factory.kw.get("bind")
    return bool(bind is not None and bind.dialect.name == "sqlite")


def _assign(target: object, **values: object) -> None:
    """Set only attributes whose value differs, so an unchanged row writes nothing."""
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)


def _cap(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else text


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _describe_exception(exc: BaseException) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}: {first_line}"[:MAX_ERROR_LENGTH] if first_line else (
        exc.__class__.__name__
    )


__all__ = [
    "AdminNotifier",
    "FeedSchedule",
    "IngestionService",
    "PollResult",
    "ProcessedEntry",
    "content_hash",
    "process_entries",
]
