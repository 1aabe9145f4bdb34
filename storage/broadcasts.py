"""Data access for broadcasts: the announcement, its audience, its outbox rows and their
counts. Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, literal, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import dialect_insert
from storage.models import Broadcast, Chat, Delivery, Subscription, Topic, UTCDateTime, utcnow

# A paused broadcast's pending rows wait here (not claimed) until it is resumed.
PAUSED_UNTIL = datetime(9999, 1, 1, tzinfo=UTC)
CANCELLED = "broadcast cancelled"
AUDIENCES = ("all", "private", "groups", "channels", "topic")
LIVE = ("scheduled", "sending", "paused")  # listed by /broadcasts


def _audience(audience: str, topic_ids: Sequence[int]) -> ColumnElement[bool]:
    """Which active chats an audience covers."""
    if audience == "private":
        return Chat.type == "private"
    if audience == "groups":
        return Chat.type.in_(("group", "supergroup"))
    if audience == "channels":
        return Chat.type == "channel"
    if audience == "topic":
        return Chat.id.in_(select(Subscription.chat_id).where(
            Subscription.topic_id.in_(list(topic_ids) or [0]),
            Subscription.paused_reason.is_(None)))
    return true()


async def audience_size(session: AsyncSession, audience: str, topic_ids: Sequence[int]
                        ) -> int:
    """How many active chats the audience has now."""
    return int(await session.scalar(
        select(func.count()).select_from(Chat)
        .where(Chat.status == "active", _audience(audience, topic_ids))) or 0)


async def enqueue(session: AsyncSession, broadcast_id: int, audience: str,
                  topic_ids: Sequence[int]) -> int:
    """One pending row per active chat of the audience (one INSERT … SELECT, so any number of
    chats); a chat that has a row of this broadcast already keeps it. Returns rows made."""
    now = utcnow()
    chosen = select(
        Chat.id, literal(broadcast_id).label("broadcast_id"), literal(0).label("thread_id"),
        literal("pending").label("status"), literal(0).label("attempts"),
        literal(now, UTCDateTime()).label("next_attempt_at"),
        literal(now, UTCDateTime()).label("created_at"),
    ).where(Chat.status == "active", _audience(audience, topic_ids))
    statement = dialect_insert(session, Delivery).from_select(
        ["chat_id", "broadcast_id", "thread_id", "status", "attempts", "next_attempt_at",
         "created_at"], chosen).on_conflict_do_nothing()
    result = await session.execute(statement)
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


async def counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """The broadcast's rows by outcome: sent, failed, blocked (skipped: the chat cannot be
    reached), cancelled (skipped by a cancel) and remaining (pending or being sent)."""
    rows = await session.execute(
        select(Delivery.status, Delivery.last_error, func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.status, Delivery.last_error))
    found = {"sent": 0, "failed": 0, "blocked": 0, "cancelled": 0, "remaining": 0}
    for status, error, number in rows.all():
        if status in ("pending", "sending"):
            found["remaining"] += number
        elif status == "skipped":
            found["cancelled" if error == CANCELLED else "blocked"] += number
        elif status in found:
            found[status] += number
    return found


async def set_pending_due(session: AsyncSession, broadcast_id: int, when: datetime) -> None:
    """Move the broadcast's pending rows' next attempt to ``when`` (pause: far away)."""
    await session.execute(
        update(Delivery).where(Delivery.broadcast_id == broadcast_id,
                               Delivery.status == "pending")
        .values(next_attempt_at=when).execution_options(synchronize_session=False))


async def rearm_paused(session: AsyncSession, broadcast_id: int) -> None:
    """Make due the rows of a sending broadcast still parked at PAUSED_UNTIL: rows that were
    in flight at a Pause came back parked after a quick Resume had already run."""
    await session.execute(
        update(Delivery).where(Delivery.broadcast_id == broadcast_id,
                               Delivery.status == "pending",
                               Delivery.next_attempt_at == PAUSED_UNTIL)
        .values(next_attempt_at=utcnow()).execution_options(synchronize_session=False))


async def skip_pending(session: AsyncSession, broadcast_id: int) -> int:
    """Skip the broadcast's rows not yet claimed (a cancel); claimed ones are skipped by the
    outbox when it sees the status. Returns rows skipped."""
    result = await session.execute(
        update(Delivery).where(Delivery.broadcast_id == broadcast_id,
                               Delivery.status == "pending")
        .values(status="skipped", last_error=CANCELLED)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def statuses(session: AsyncSession, ids: Sequence[int]) -> dict[int, Broadcast]:
    """The broadcasts of ``ids`` (for the outbox: status and content)."""
    rows = await session.scalars(select(Broadcast).where(Broadcast.id.in_(list(ids))))
    return {row.id: row for row in rows.all()}


async def live(session: AsyncSession) -> list[Broadcast]:
    """Scheduled, sending and paused broadcasts, oldest first."""
    rows = await session.scalars(
        select(Broadcast).where(Broadcast.status.in_(LIVE)).order_by(Broadcast.id))
    return list(rows.all())


async def to_report(session: AsyncSession, cancelled_since: datetime) -> list[Broadcast]:
    """Sending and paused broadcasts, and those cancelled since ``cancelled_since`` (their
    claimed sends still settle), oldest first."""
    rows = await session.scalars(
        select(Broadcast).where(
            Broadcast.status.in_(("sending", "paused"))
            | ((Broadcast.status == "cancelled") & (Broadcast.finished_at >= cancelled_since)))
        .order_by(Broadcast.id))
    return list(rows.all())


async def due_scheduled(session: AsyncSession, now: datetime) -> list[Broadcast]:
    """Scheduled broadcasts whose time has come, locked (on PostgreSQL) until the caller's
    transaction ends: a Cancel at the same moment waits, then finds it started (or the
    firing finds it cancelled)."""
    rows = await session.scalars(
        select(Broadcast).where(Broadcast.status == "scheduled", Broadcast.scheduled_at <= now)
        .order_by(Broadcast.scheduled_at, Broadcast.id).with_for_update())
    return list(rows.all())


async def topics(session: AsyncSession) -> list[tuple[int, str, str]]:
    """Active topics as (id, slug, name), by name."""
    rows = await session.execute(
        select(Topic.id, Topic.slug, Topic.name).where(Topic.active.is_(True))
        .order_by(Topic.name))
    return [(row.id, row.slug, row.name) for row in rows.all()]


async def topic_by_slug(session: AsyncSession, slug: str) -> int | None:
    """The id of the active topic ``slug`` (None for an unknown or retired one)."""
    return await session.scalar(select(Topic.id).where(Topic.slug == slug,
                                                       Topic.active.is_(True)))


async def chat_timezone(session: AsyncSession, chat_id: int) -> str:
    """The chat's timezone (UTC when unknown)."""
    return await session.scalar(select(Chat.timezone).where(Chat.id == chat_id)) or "UTC"
