"""Data access for the delivery outbox. Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import dialect_insert
from storage.models import ArticleTopic, Chat, Delivery, Subscription, UTCDateTime, utcnow


async def enqueue_articles(session: AsyncSession, article_ids: Sequence[int]) -> int:
    """Create a pending delivery per active chat subscribed to one of each article's topics;
    existing (chat, article) rows are left alone. One INSERT … SELECT per article, so the
    number of subscribers is not limited by bind parameters. Returns rows created."""
    now = utcnow()
    created = 0
    for article_id in article_ids:
        chosen = (
            select(
                Subscription.chat_id,
                literal(article_id).label("article_id"),
                func.min(Subscription.thread_id).label("thread_id"),
                literal("pending").label("status"),
                literal(0).label("attempts"),
                literal(now, UTCDateTime()).label("next_attempt_at"),
                literal(now, UTCDateTime()).label("created_at"),
            )
            .join(ArticleTopic, ArticleTopic.topic_id == Subscription.topic_id)
            .join(Chat, Chat.id == Subscription.chat_id)
            .where(ArticleTopic.article_id == article_id, Chat.status == "active")
            .group_by(Subscription.chat_id)
        )
        statement = dialect_insert(session, Delivery).from_select(
            ["chat_id", "article_id", "thread_id", "status", "attempts", "next_attempt_at",
             "created_at"],
            chosen,
        ).on_conflict_do_nothing()
        result = await session.execute(statement)
        created += max(int(getattr(result, "rowcount", 0) or 0), 0)
    return created


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> Sequence[Delivery]:
    """Mark up to ``limit`` due pending deliveries as sending and return them.

    On PostgreSQL concurrent workers skip each other's rows (FOR UPDATE SKIP LOCKED)."""
    query = (
        select(Delivery)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    deliveries = (await session.scalars(query)).all()
    for delivery in deliveries:
        delivery.status = "sending"
    await session.flush()
    return deliveries


async def release_stale_claims(session: AsyncSession) -> int:
    """Return rows left in 'sending' by a crash to 'pending' (at-least-once delivery)."""
    result = await session.execute(
        update(Delivery).where(Delivery.status == "sending").values(status="pending")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def skip_pending_for_chat(session: AsyncSession, chat_id: int, reason: str) -> None:
    """Skip every pending delivery of a chat that can no longer receive messages."""
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == chat_id, Delivery.status.in_(("pending", "sending")))
        .values(status="skipped", last_error=reason)
    )


async def find_by_message(
    session: AsyncSession, chat_id: int, message_id: int
) -> Delivery | None:
    """The delivery whose Telegram message is ``message_id`` in ``chat_id``."""
    return await session.scalar(
        select(Delivery).where(Delivery.chat_id == chat_id, Delivery.message_id == message_id)
    )
