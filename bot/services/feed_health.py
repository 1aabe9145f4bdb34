"""A feed's health record: successes, failure streaks with exponential backoff, permanent
redirects, and the admin alerts when a feed keeps failing and when it recovers."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import IngestionSettings
from bot.ingest.fetch import FetchResult, describe_url
from bot.ingest.parsed_feed import MAX_URL_LENGTH, ParsedFeed
from bot.log import mask_secrets
from bot.render.admin_notices import feed_failing_notice, feed_recovered_notice
from bot.services.write_gate import WriteGate
from bot.text import cap, one_line
from storage.feeds import (
    CONFIG_SOURCE,
    assign_changed,
    get_feed,
    get_feed_by_url,
    get_poll_streak,
    record_feed_success,
)
from storage.models import Feed

logger = logging.getLogger(__name__)

NoticeText = str | Callable[[], str]
"""A plain-text notice for the admins: the text, or a function rendering it in the current
language (called once per admin, in that admin's language)."""
AdminNotifier = Callable[[NoticeText], Awaitable[None]]

MAX_ERROR_LENGTH = 500
MAX_NOTE_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class FeedAlert:
    """A notice to the admins about one feed: failing (at the alert threshold) or recovered.

    Called, it renders the plain-text notice in the current language, like any
    :data:`NoticeText`; the wiring also reads the feed's id and URL to add them and the
    Pause / Retry now buttons."""

    feed_id: int
    name: str
    url: str  # without credentials or query (describe_url)
    failures: int
    error: str | None = None  # None: recovered

    @property
    def recovered(self) -> bool:
        """True for the good news: the feed works again."""
        return self.error is None

    def __call__(self) -> str:
        if self.error is None:
            return feed_recovered_notice(self.name, self.failures)
        return feed_failing_notice(self.name, self.failures, self.error)


@dataclass(frozen=True, slots=True)
class RecordedFailure:
    """A failed poll as recorded: the feed's name ("" if the feed is gone), the error as
    stored (one line, secrets masked, capped) and its kind (a fetch error kind, "parse"…)."""

    feed_name: str
    error: str
    kind: str


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """Records how each poll of a feed went and when to poll it next.

    ``notify_admins`` receives a function rendering the plain-text notice in the current
    language (the caller calls it once per admin, in that admin's language, and escapes it);
    a failure to deliver it is logged, never raised.
    """

    settings: IngestionSettings
    gate: WriteGate
    clock: Callable[[], datetime]
    notify_admins: AdminNotifier | None = None

    def backoff_seconds(self, interval: int, failures: int) -> int:
        """Return the wait after ``failures`` failures in a row: interval × 2^(failures−1),
        capped at ``max_backoff``."""
        exponent = max(failures - 1, 0)
        if exponent >= 32:
            return self.settings.max_backoff
        return int(min(interval * 2**exponent, self.settings.max_backoff))

    def _next_poll(self, now: datetime, seconds: float) -> datetime:
        jitter = random.uniform(0, self.settings.jitter) if self.settings.jitter else 0.0
        return now + timedelta(seconds=seconds + jitter)

    async def record_success(
        self,
        session: AsyncSession,
        feed: Feed,
        fetched: FetchResult,
        parsed: ParsedFeed | None,
        notes: list[str] | None,
        now: datetime,
    ) -> int:
        """Record a successful poll in the caller's transaction. ``notes`` None (a 304) leaves
        the health note as it is. Returns the failure streak this success ends if the admins
        were alerted about it (to announce the recovery), else 0."""
        if parsed is not None:
            assign_changed(feed, title=parsed.title or feed.title, site_url=parsed.site_url or
                           feed.site_url, etag=cap(fetched.etag, 500),
                           last_modified=cap(fetched.last_modified, 100))
        moved_to = fetched.permanent_redirect_to
        if moved_to and len(moved_to) > MAX_URL_LENGTH:
            moved_to = None  # cannot be stored; the redirect is still followed every poll
        if moved_to and moved_to != feed.url:
            note = await self._follow_move(session, feed, moved_to)
            if notes is not None:
                notes.append(note)
        elif feed.moved_to is not None and not moved_to:
            feed.moved_to = None
        recovered_after = 0
        if feed.consecutive_failures and feed.failure_alerted:
            recovered_after = feed.consecutive_failures
        assign_changed(feed, consecutive_failures=0, failure_alerted=False)
        if notes is not None:
            assign_changed(feed, health_note=cap("; ".join(notes), MAX_NOTE_LENGTH) or None)
        feed.last_polled_at = now
        feed.last_success_at = now
        feed.next_poll_at = self._next_poll(now, feed.interval)
        return recovered_after

    async def record_fetched(
        self,
        session: AsyncSession,
        feed_id: int,
        fetched: FetchResult,
        parsed: ParsedFeed,
        notes: list[str],
        now: datetime,
    ) -> int | None:
        """:meth:`record_success` for a fetched feed, in the caller's transaction, with Core
        statements (no ORM load) unless the feed moved. Returns the failure streak to announce
        a recovery for (or 0), or None if the feed is gone."""
        if fetched.permanent_redirect_to is not None:
            feed = await get_feed(session, feed_id)
            if feed is None:
                return None
            return await self.record_success(session, feed, fetched, parsed, notes, now)
        streak = await get_poll_streak(session, feed_id)
        if streak is None:
            return None
        await record_feed_success(
            session, feed_id, now, self._next_poll(now, streak.interval),
            title=parsed.title or None, site_url=parsed.site_url or None,
            etag=cap(fetched.etag, 500), last_modified=cap(fetched.last_modified, 100),
            health_note=cap("; ".join(notes), MAX_NOTE_LENGTH) or None,
        )
        return streak.consecutive_failures if streak.failure_alerted else 0

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

    async def record_not_modified(self, feed_id: int, fetched: FetchResult) -> int:
        """Record a 304: poll timestamps only (and the end of a failure streak). Returns the
        failure count to announce a recovery for, or 0."""
        now = self.clock()
        async with self.gate.transaction() as session:
            if fetched.permanent_redirect_to is None:  # the common case: two Core statements
                streak = await get_poll_streak(session, feed_id)
                if streak is None:
                    return 0
                await record_feed_success(session, feed_id, now,
                                          self._next_poll(now, streak.interval))
                return streak.consecutive_failures if streak.failure_alerted else 0
            feed = await get_feed(session, feed_id)
            if feed is None:
                return 0
            return await self.record_success(session, feed, fetched, None, None, now)

    async def record_failure(self, feed_id: int, kind: str, message: str) -> RecordedFailure:
        """Count a failed poll, back off, and alert the admins once at the threshold."""
        error = cap(mask_secrets(f"{kind}: {one_line(message)}"), MAX_ERROR_LENGTH) or kind
        now = self.clock()
        async with self.gate.transaction() as session:
            feed = await get_feed(session, feed_id)
            if feed is None:
                return RecordedFailure(feed_name="", error=error, kind=kind)
            feed.consecutive_failures += 1
            failures = feed.consecutive_failures
            feed.last_error = error
            feed.last_error_at = now
            feed.last_polled_at = now
            wait = self.backoff_seconds(feed.interval, failures)
            feed.next_poll_at = self._next_poll(now, wait)
            alert = failures >= self.settings.failure_alert_threshold and not feed.failure_alerted
            if alert:
                feed.failure_alerted = True
            name, url = feed.name, describe_url(feed.url)
        logger.warning("feed %r (%s) failed: %s [%s]; %d failure(s) in a row, next poll in %ds",
                       name, url, error, kind, failures, wait)
        if alert:
            await self._notify(FeedAlert(feed_id, name, url, failures, error))
        return RecordedFailure(feed_name=name, error=error, kind=kind)

    async def announce_recovery(self, feed_name: str, failures: int, feed_id: int = 0,
                                url: str = "") -> None:
        """Tell the admins a feed works again after ``failures`` failures (nothing if 0)."""
        if failures:
            logger.info("feed %r recovered after %d failures", feed_name, failures)
            await self._notify(FeedAlert(feed_id, feed_name, describe_url(url) if url else "",
                                         failures))

    async def _notify(self, notice: Callable[[], str]) -> None:
        if self.notify_admins is None:
            return
        try:
            await self.notify_admins(notice)
        except Exception:  # CancelledError is no Exception: cancellation still propagates
            logger.exception("could not notify the admins: %s", notice())

