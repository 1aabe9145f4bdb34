"""Comments written on the publisher's website, read from each explainer's comment feed.

:class:`SiteCommentService` runs on the leader, on a schedule (``comments.site_poll_minutes``):
each run reads at most ``comments.site_max_per_run`` comment feeds, the least recently read
first, of explainers first seen within ``comments.site_window_days``. A feed is fetched with
the feeds' :class:`~bot.ingest.fetch.FeedFetcher` (its limits, the ingestion network policy,
conditional GET with the stored ETag / Last-Modified), never inside a database transaction.

New entries become comments with ``source = "site"``, visible at once (the publisher moderated
them already), their author from the feed (else "Website reader", shown translated), their
body the site's HTML as plain text. Each entry is stored once per explainer (a unique key from
its guid, else link), so re-reading a feed — also after a restart — stores nothing twice.

After the transaction that stored them, each new comment is handed to publication through
``on_published(comment_id)`` (the relay to the discussion chat and to followers), once: at
most once — a process stopped between the commit and the call leaves that comment stored and
shown in the comments view, but not relayed. A failing hook is logged and the rest go on.

**No flood on a first read.** An explainer found with 200 old comments has them all stored
(they show in the comments view), but only comments published after we first saw the
explainer (its ``articles.created_at``) are handed to publication: the others were written
before any reader of this bot could follow the explainer, so relaying them would be a backlog,
not news. A comment without a date counts as new on later reads and as backlog on the first
one. (Keeping "the newest N" instead would still push N stale comments for each explainer.)

A broken comment feed (fetch error, or a ``wfw:commentRss`` that is no feed) is recorded in
its state (failures, last error) and logged, and read again later with back-off; it never
raises. A ``<comments>`` link that serves a page rather than a feed is remembered as such and
not fetched again (until the entry names another URL).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.ingest.comment_feeds import (
    CommentFeedLink,
    FeedParseError,
    SiteCommentEntry,
    comment_feed_link,
    parse_comment_feed,
)
from bot.ingest.fetch import FeedFetcher, FetchError, FetchResult, describe_url
from bot.render.comment_replies import SITE_READER_NAME
from bot.services.feed_health import MAX_ERROR_LENGTH
from storage import site_comments as site_dao
from storage.db import write_session
from storage.models import SiteCommentFeed, utcnow

logger = logging.getLogger(__name__)

#: A failing comment feed waits poll interval × 2^failures, at most this many intervals.
MAX_BACKOFF_INTERVALS = 32

PublishHook = Callable[[int], Awaitable[object]]
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class SiteCommentPoll:
    """What one read of one explainer's comment feed did."""

    article_id: int
    url: str
    stored: tuple[int, ...] = ()  # ids of the comments stored now
    published: tuple[int, ...] = ()  # the ones handed to publication
    not_modified: bool = False
    not_feed: bool = False  # a <comments> link serving a page: not read again
    error: str | None = None


class SiteCommentService:
    """Reads the website's comment feeds and stores their new comments."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        fetcher: FeedFetcher,
        settings: Settings,
        *,
        on_published: PublishHook | None = None,
        clock: Clock = utcnow,
    ) -> None:
        """``on_published(comment_id)`` is awaited once for each new comment to publish (the
        wiring sets it to the comment relay; it may be set later, before polling starts)."""
        self._sessions = sessions
        self._fetcher = fetcher
        self._settings = settings.comments
        self._clock = clock
        self.on_published = on_published

    async def poll_due(self) -> list[SiteCommentPoll]:
        """Read the comment feeds that are due (at most ``site_max_per_run``); never raises."""
        settings = self._settings
        if not settings.site_comments:
            return []
        now = self._clock()
        try:
            async with self._sessions() as session:
                due = await site_dao.due_comment_feeds(
                    session, now=now, seen_since=now - timedelta(days=settings.site_window_days),
                    limit=settings.site_max_per_run,
                )
        except Exception:
            logger.exception("site comments: could not list the comment feeds due")
            return []
        results: list[SiteCommentPoll] = []
        for candidate in due:
            link = comment_feed_link(candidate.comment_feed_url, candidate.comments_url)
            if link is None:
                continue
            try:
                results.append(await self._poll(candidate, link))
            except Exception as exc:  # one explainer's feed must not stop the others
                logger.exception("site comments: reading %s for explainer %d failed",
                                 describe_url(link.url), candidate.article_id)
                results.append(SiteCommentPoll(candidate.article_id, link.url,
                                               error=f"internal: {exc.__class__.__name__}"))
        return results

    # --- one feed --------------------------------------------------------------------------

    async def _poll(
        self, candidate: site_dao.CommentFeedCandidate, link: CommentFeedLink
    ) -> SiteCommentPoll:
        same_url = candidate.state_url == link.url
        try:
            fetched = await self._fetcher.fetch_feed(
                link.url,
                etag=candidate.etag if same_url else None,
                last_modified=candidate.last_modified if same_url else None,
            )
        except FetchError as exc:
            return await self._failed(candidate.article_id, link, str(exc))
        if fetched.not_modified:
            await self._succeeded(candidate.article_id, link, fetched)
            return SiteCommentPoll(candidate.article_id, link.url, not_modified=True)
        try:
            entries = await asyncio.to_thread(
                parse_comment_feed, fetched.body, fetched.final_url, fetched.content_type,
                now=self._clock(),
            )
        except FeedParseError as exc:
            if link.kind == "comments":
                return await self._not_feed(candidate.article_id, link, exc.message)
            return await self._failed(candidate.article_id, link, f"parse: {exc.message}")
        first_read = not (same_url and candidate.ever_succeeded)
        stored, published = await self._store(candidate, link, fetched, entries, first_read)
        if stored:
            logger.info("site comments: %d new on explainer %d (%d to publish)", len(stored),
                        candidate.article_id, len(published))
        await self._publish(published)
        return SiteCommentPoll(candidate.article_id, link.url, stored=stored,
                               published=published)

    async def _store(
        self,
        candidate: site_dao.CommentFeedCandidate,
        link: CommentFeedLink,
        fetched: FetchResult,
        entries: list[SiteCommentEntry],
        first_read: bool,
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Store the entries not stored yet and record the read, in one transaction; return
        the new comments' ids and those to publish (see the module's "No flood")."""
        now = self._clock()
        stored: list[int] = []
        published: list[int] = []
        async with write_session(self._sessions) as session:
            state = await site_dao.comment_feed_for_update(session, candidate.article_id,
                                                           link.url, now)
            # Oldest first, so the ids (and the order of publication) follow the site's.
            for entry in sorted(entries, key=lambda e: e.published_at or now):
                new_id = await site_dao.add_site_comment(
                    session, article_id=candidate.article_id, key=entry.key,
                    author=entry.author or SITE_READER_NAME, text=entry.text,
                    created_at=entry.published_at or now,
                )
                if new_id is None:
                    continue
                stored.append(new_id)
                if self._is_news(entry, candidate.first_seen_at, first_read):
                    published.append(new_id)
            self._record_success(state, fetched, now)
        return tuple(stored), tuple(published)

    @staticmethod
    def _is_news(entry: SiteCommentEntry, first_seen_at: datetime, first_read: bool) -> bool:
        if entry.published_at is None:
            return not first_read
        return entry.published_at >= first_seen_at

    async def _publish(self, comment_ids: tuple[int, ...]) -> None:
        hook = self.on_published
        if hook is None:
            return
        for comment_id in comment_ids:
            try:
                await hook(comment_id)
            except Exception:  # a relay failure must not undo storing, nor stop the rest
                logger.exception("site comments: publishing comment %d failed", comment_id)

    # --- state and health ------------------------------------------------------------------

    def _next_poll(self, now: datetime, failures: int) -> datetime:
        # A little early, so the next run (poll_minutes from now) finds it due.
        minutes = self._settings.site_poll_minutes * min(2 ** failures, MAX_BACKOFF_INTERVALS)
        return now + timedelta(minutes=minutes) - timedelta(seconds=30)

    def _record_success(self, state: SiteCommentFeed, fetched: FetchResult,
                        now: datetime) -> None:
        if not fetched.not_modified:
            state.etag = fetched.etag
            state.last_modified = fetched.last_modified
        state.status = site_dao.FEED
        state.consecutive_failures = 0
        state.last_success_at = now
        state.last_polled_at = now
        state.next_poll_at = self._next_poll(now, 0)

    async def _succeeded(self, article_id: int, link: CommentFeedLink,
                         fetched: FetchResult) -> None:
        now = self._clock()
        async with write_session(self._sessions) as session:
            state = await site_dao.comment_feed_for_update(session, article_id, link.url, now)
            self._record_success(state, fetched, now)

    async def _failed(self, article_id: int, link: CommentFeedLink,
                      message: str) -> SiteCommentPoll:
        now = self._clock()
        message = message[:MAX_ERROR_LENGTH]
        async with write_session(self._sessions) as session:
            state = await site_dao.comment_feed_for_update(session, article_id, link.url, now)
            state.consecutive_failures += 1
            state.last_error = message
            state.last_error_at = now
            state.last_polled_at = now
            state.next_poll_at = self._next_poll(now, state.consecutive_failures)
            failures = state.consecutive_failures
        logger.warning("site comments: comment feed %s of explainer %d failed (%d in a row): %s",
                       describe_url(link.url), article_id, failures, message)
        return SiteCommentPoll(article_id, link.url, error=message)

    async def _not_feed(self, article_id: int, link: CommentFeedLink,
                        message: str) -> SiteCommentPoll:
        now = self._clock()
        async with write_session(self._sessions) as session:
            state = await site_dao.comment_feed_for_update(session, article_id, link.url, now)
            state.status = site_dao.NOT_FEED
            state.last_error = message[:MAX_ERROR_LENGTH]
            state.last_polled_at = now
            state.next_poll_at = None
        logger.info("site comments: %s of explainer %d is not a comment feed (%s); not read "
                    "again", describe_url(link.url), article_id, message)
        return SiteCommentPoll(article_id, link.url, not_feed=True)
