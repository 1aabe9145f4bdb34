"""Data access for feeds. Every function takes the caller's session and never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Feed

CONFIG_SOURCE = "config"


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One configured feed, as :func:`sync_config_feeds` stores it."""

    url: str
    name: str
    interval: int  # seconds
    full_text: bool
    topics: tuple[str, ...]


async def sync_config_feeds(session: AsyncSession, feeds: Sequence[FeedSpec]) -> list[Feed]:
    """Make the config's feeds the enabled config feeds: add new ones, update changed ones,
    disable config feeds no longer listed. Returns the configured feeds in config order."""
    existing = {
        feed.url: feed
        for feed in (await session.scalars(select(Feed))).all()
    }
    configured: list[Feed] = []
    wanted_urls: set[str] = set()
    for spec in feeds:
        url = spec.url
        wanted_urls.add(url)
        feed = existing.get(url)
        if feed is None:
            feed = Feed(
                url=url,
                name=spec.name,
                interval=spec.interval,
                full_text=spec.full_text,
                enabled=True,
                source=CONFIG_SOURCE,
                default_topics=list(spec.topics),
                consecutive_failures=0,
                failure_alerted=False,
            )
            session.add(feed)
        else:
            assign_changed(feed, name=spec.name, interval=spec.interval,
                           full_text=spec.full_text, default_topics=list(spec.topics),
                           enabled=True, source=CONFIG_SOURCE)
        configured.append(feed)
    for url, feed in existing.items():
        if feed.source == CONFIG_SOURCE and url not in wanted_urls and feed.enabled:
            feed.enabled = False
    await session.flush()
    return configured


def assign_changed(feed: Feed, **values: object) -> None:
    """Set only the attributes whose value differs, so an unchanged feed writes nothing."""
    for name, value in values.items():
        if getattr(feed, name) != value:
            setattr(feed, name, value)


async def get_feed(session: AsyncSession, feed_id: int) -> Feed | None:
    """Return the feed with ``feed_id``, or None."""
    return await session.get(Feed, feed_id)


@dataclass(frozen=True, slots=True)
class PollStreak:
    """What recording a successful poll needs to know of a feed."""

    interval: int
    consecutive_failures: int
    failure_alerted: bool


async def get_poll_streak(session: AsyncSession, feed_id: int) -> PollStreak | None:
    """Return the feed's interval and failure streak (one Core query), or None."""
    row = (await session.execute(
        select(Feed.interval, Feed.consecutive_failures, Feed.failure_alerted)
        .where(Feed.id == feed_id)
    )).one_or_none()
    return None if row is None else PollStreak(int(row[0]), int(row[1]), bool(row[2]))


async def record_feed_success(
    session: AsyncSession, feed_id: int, now: datetime, next_poll_at: datetime,
    **fetched: str | None,
) -> None:
    """Record a successful poll without a redirect with one Core UPDATE: poll times, the
    failure streak reset, no pending move; ``fetched`` may set ``etag``, ``last_modified``,
    ``health_note`` (None clears them) and ``title``, ``site_url`` (None keeps them)."""
    values: dict[str, Any] = {
        "last_polled_at": now, "last_success_at": now, "next_poll_at": next_poll_at,
        "consecutive_failures": 0, "failure_alerted": False, "moved_to": None,
    }
    for name, value in fetched.items():
        if name in ("title", "site_url"):
            values[name] = func.coalesce(value, getattr(Feed, name))
        elif name in ("etag", "last_modified", "health_note"):
            values[name] = value
        else:
            raise TypeError(f"record_feed_success() got an unexpected field {name!r}")
    await session.execute(update(Feed).where(Feed.id == feed_id).values(values))


async def get_feed_by_url(session: AsyncSession, url: str) -> Feed | None:
    """Return the feed polled at ``url``, or None."""
    result: Feed | None = await session.scalar(select(Feed).where(Feed.url == url))
    return result


async def list_enabled_feeds(session: AsyncSession) -> list[Feed]:
    """Return every enabled feed, oldest first."""
    rows = await session.scalars(select(Feed).where(Feed.enabled.is_(True)).order_by(Feed.id))
    return list(rows.all())


async def list_feeds(session: AsyncSession) -> list[Feed]:
    """Return every feed, enabled or not, oldest first (for health reports)."""
    return list((await session.scalars(select(Feed).order_by(Feed.id))).all())


async def list_due_feeds(session: AsyncSession, now: datetime) -> list[Feed]:
    """Return the enabled feeds due at ``now``, the most overdue first."""
    ids = await list_due_feed_ids(session, now)
    if not ids:
        return []
    feeds = {feed.id: feed for feed in (await session.scalars(
        select(Feed).where(Feed.id.in_(ids)))).all()}
    return [feeds[feed_id] for feed_id in ids if feed_id in feeds]


async def list_due_feed_ids(session: AsyncSession, now: datetime) -> list[int]:
    """Return the ids of enabled, unpaused feeds due at ``now`` (never polled, or
    next_poll_at ≤ now), the most overdue first."""
    rows = await session.scalars(
        select(Feed.id)
        .where(Feed.enabled.is_(True), Feed.paused.is_(False))
        .where(or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now))
        .order_by(Feed.next_poll_at.is_not(None), Feed.next_poll_at, Feed.id)
    )
    return list(rows.all())


async def add_feed(
    session: AsyncSession, *, url: str, name: str, interval: int, source: str,
    site_url: str | None = None, default_topics: Sequence[str] = (),
) -> Feed | None:
    """Add an enabled feed; return None (and change nothing) if the URL is already known."""
    if await get_feed_by_url(session, url) is not None:
        return None
    feed = Feed(url=url, name=name, interval=interval, full_text=False, enabled=True,
                source=source, default_topics=list(default_topics), site_url=site_url,
                consecutive_failures=0, failure_alerted=False, paused=False)
    session.add(feed)
    await session.flush()
    return feed


async def find_feed(session: AsyncSession, reference: str) -> Feed | None:
    """The feed an admin named: by id (digits) or by its exact URL; None if there is none."""
    reference = reference.strip()
    if reference.isascii() and reference.isdigit() and len(reference) < 10:
        return await session.get(Feed, int(reference))
    return await get_feed_by_url(session, reference)


async def set_feed_paused(session: AsyncSession, feed_id: int, paused: bool) -> bool:
    """Pause or resume a feed (resumed, it is due at once); False if it was already so (or
    is gone)."""
    values: dict[str, Any] = {"paused": paused}
    if not paused:
        values["next_poll_at"] = None
    result = await session.execute(
        update(Feed).where(Feed.id == feed_id, Feed.paused.is_(not paused))
        .values(values).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


async def delete_feed(session: AsyncSession, feed_id: int) -> bool:
    """Delete a feed (its articles stay, without a feed); False if it was gone."""
    result = await session.execute(
        delete(Feed).where(Feed.id == feed_id).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))
