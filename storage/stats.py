"""Read-only queries behind /stats and ``newsbot stats``: counts grouped in the database,
never rows pulled into Python. Functions take a session and never commit.

Days are UTC days: :func:`_utc_day` buckets a timestamp the same way on SQLite (naive UTC
text) and PostgreSQL (``timestamptz``, whatever the session's time zone)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from storage.models import (
    Article,
    Chat,
    Comment,
    Delivery,
    Feed,
    LinkClick,
    Subscription,
    Topic,
    TrackedLink,
)

#: Statuses of a chat that no longer receives anything (churn).
GONE_STATUSES = ("blocked", "left", "stopped")
#: Statuses counted as subscribers now or before (a migrated group lives on under its new id).
COUNTED_STATUSES = ("active", *GONE_STATUSES)


def _utc_day(session: AsyncSession,
             column: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _changed_at() -> ColumnElement[datetime]:
    # Chats whose status changed before migration 0013 have no stamp: their last update is
    # the best guess.
    return func.coalesce(Chat.status_changed_at, Chat.updated_at)


async def chats_by_status(session: AsyncSession) -> dict[str, int]:
    """Chat status → chats (migrated groups left out)."""
    rows = await session.execute(select(Chat.status, func.count()).where(
        Chat.status.in_(COUNTED_STATUSES)).group_by(Chat.status))
    return {status: int(count) for status, count in rows}


async def active_by_type(session: AsyncSession) -> dict[str, int]:
    """Chat type (private, group, supergroup, channel) → active chats."""
    rows = await session.execute(select(Chat.type, func.count()).where(
        Chat.status == "active").group_by(Chat.type))
    return {kind: int(count) for kind, count in rows}


async def active_per_topic(
    session: AsyncSession,
) -> list[tuple[str, dict[str, str], int]]:
    """(topic name, its names in other languages, active chats following it), every active
    topic, most followed first."""
    followers = (select(Subscription.topic_id, func.count(func.distinct(Subscription.chat_id))
                        .label("chats"))
                 .join(Chat, Chat.id == Subscription.chat_id).where(Chat.status == "active")
                 .group_by(Subscription.topic_id).subquery())
    rows = await session.execute(
        select(Topic.name, Topic.names, func.coalesce(followers.c.chats, 0))
        .outerjoin(followers, followers.c.topic_id == Topic.id).where(Topic.active.is_(True))
        .order_by(func.coalesce(followers.c.chats, 0).desc(), Topic.name))
    return [(name, dict(names or {}), int(count)) for name, names, count in rows]


async def new_and_gone(session: AsyncSession, since: datetime) -> tuple[int, int]:
    """Chats created since ``since`` and chats that blocked, left or stopped since then."""
    new = await session.scalar(select(func.count()).select_from(Chat).where(
        Chat.status.in_(COUNTED_STATUSES), Chat.created_at >= since))
    gone = await session.scalar(select(func.count()).select_from(Chat).where(
        Chat.status.in_(GONE_STATUSES), _changed_at() >= since))
    return int(new or 0), int(gone or 0)


async def deliveries_by_status(session: AsyncSession, since: datetime) -> dict[str, int]:
    """Status → deliveries queued since ``since`` (sent, failed, skipped, pending, sending)."""
    rows = await session.execute(select(Delivery.status, func.count()).where(
        Delivery.created_at >= since).group_by(Delivery.status))
    return {status: int(count) for status, count in rows}


async def feed_health(session: AsyncSession) -> tuple[int, int, int]:
    """(enabled feeds whose last poll worked, enabled feeds failing, disabled feeds)."""
    # Grouped by the failure count itself (few distinct values): PostgreSQL does not match a
    # bound "> 0" in the select list with the one in GROUP BY.
    rows = await session.execute(select(
        Feed.enabled, Feed.consecutive_failures, func.count()
    ).group_by(Feed.enabled, Feed.consecutive_failures))
    ok = failing = disabled = 0
    for enabled, failed, count in rows:
        if not enabled:
            disabled += int(count)
        elif failed > 0:
            failing += int(count)
        else:
            ok += int(count)
    return ok, failing, disabled


async def comments_by_status(session: AsyncSession) -> dict[str, int]:
    """Comment status → comments (visible, pending (held), hidden, consent, rejected)."""
    rows = await session.execute(select(Comment.status, func.count()).group_by(Comment.status))
    return {status: int(count) for status, count in rows}


async def clicks_since(session: AsyncSession, first_day: date) -> int:
    """Clicks counted on ``first_day`` and after."""
    return int(await session.scalar(select(func.coalesce(func.sum(LinkClick.clicks), 0))
                                    .where(LinkClick.day >= first_day)) or 0)


async def top_explainers(session: AsyncSession, limit: int) -> list[tuple[int, str, int, int]]:
    """(article id, title, clicks ever, deliveries sent) of the most clicked explainers."""
    clicks = (select(TrackedLink.article_id, func.sum(LinkClick.clicks).label("clicks"))
              .join(LinkClick, LinkClick.link_id == TrackedLink.id)
              .where(TrackedLink.article_id.is_not(None))
              .group_by(TrackedLink.article_id)
              .order_by(func.sum(LinkClick.clicks).desc(), TrackedLink.article_id.desc())
              .limit(limit).subquery())
    sent = (select(Delivery.article_id, func.count().label("sent"))
            .where(Delivery.status == "sent", Delivery.article_id.in_(select(clicks.c.article_id)))
            .group_by(Delivery.article_id).subquery())
    rows = await session.execute(
        select(Article.id, Article.title, clicks.c.clicks, func.coalesce(sent.c.sent, 0))
        .join(clicks, clicks.c.article_id == Article.id)
        .outerjoin(sent, sent.c.article_id == Article.id)
        .order_by(clicks.c.clicks.desc(), Article.id.desc()))
    return [(int(aid), title, int(n), int(s)) for aid, title, n, s in rows]


async def broadcast_clicks(session: AsyncSession, limit: int) -> list[tuple[int, int, int]]:
    """(broadcast id, clicks ever, deliveries sent) of the newest broadcasts with clicks."""
    clicks = (select(TrackedLink.broadcast_id, func.sum(LinkClick.clicks).label("clicks"))
              .join(LinkClick, LinkClick.link_id == TrackedLink.id)
              .where(TrackedLink.broadcast_id.is_not(None))
              .group_by(TrackedLink.broadcast_id).subquery())
    sent = (select(Delivery.broadcast_id, func.count().label("sent"))
            .where(Delivery.status == "sent", Delivery.broadcast_id.is_not(None))
            .group_by(Delivery.broadcast_id).subquery())
    rows = await session.execute(
        select(clicks.c.broadcast_id, clicks.c.clicks, func.coalesce(sent.c.sent, 0))
        .outerjoin(sent, sent.c.broadcast_id == clicks.c.broadcast_id)
        .order_by(clicks.c.broadcast_id.desc()).limit(limit))
    return [(int(bid), int(n), int(s)) for bid, n, s in rows]


async def chats_created_per_day(session: AsyncSession, since: datetime) -> dict[date, int]:
    """UTC day → chats (now active or gone) created that day, from ``since`` on."""
    day = _utc_day(session, Chat.created_at)
    rows = await session.execute(select(day, func.count()).where(
        Chat.status.in_(COUNTED_STATUSES), Chat.created_at >= since).group_by(day))
    return _days(rows)


async def chats_gone_per_day(session: AsyncSession, since: datetime) -> dict[date, int]:
    """UTC day → chats that blocked, left or stopped that day (and still are), from
    ``since`` on."""
    day = _utc_day(session, _changed_at())
    rows = await session.execute(select(day, func.count()).where(
        Chat.status.in_(GONE_STATUSES), _changed_at() >= since).group_by(day))
    return _days(rows)


async def sent_per_day(session: AsyncSession, since: datetime) -> dict[date, int]:
    """UTC day → deliveries sent that day, from ``since`` on."""
    day = _utc_day(session, Delivery.sent_at)
    rows = await session.execute(select(day, func.count()).where(
        Delivery.status == "sent", Delivery.sent_at >= since).group_by(day))
    return _days(rows)


async def clicks_per_day(session: AsyncSession, first_day: date) -> dict[date, int]:
    """UTC day → clicks counted that day, from ``first_day`` on."""
    rows = await session.execute(select(LinkClick.day, func.sum(LinkClick.clicks)).where(
        LinkClick.day >= first_day).group_by(LinkClick.day))
    return _days(rows)


def _days(rows: Iterable[tuple[date | str, int]]) -> dict[date, int]:
    return {_as_date(day): int(count) for day, count in rows if day is not None}
