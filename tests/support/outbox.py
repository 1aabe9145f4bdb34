"""Outbox scenarios at scale, set up directly in the database: topics, explainers, chats and
subscriptions by bulk insert, the pushes enqueued as ingestion would, and the outbox driven
(and its clock moved on) by the test."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import write_session
from storage.deliveries import enqueue_articles
from storage.models import Article, ArticleTopic, Chat, Delivery, Subscription, Topic, utcnow

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Destination:
    """A chat, or one forum thread of it (thread 0: none / the General topic)."""

    chat_id: int
    thread_id: int = 0
    chat_type: str = "private"

    @property
    def key(self) -> tuple[int, int | None]:
        """The key of this destination in ``BotAPIEmulator.sent_by_destination()``."""
        return self.chat_id, self.thread_id or None


async def add_topics(sessions: Sessions, *slugs: str) -> list[int]:
    """Create topics (active) and return their ids in order."""
    async with write_session(sessions) as session:
        topics = [Topic(slug=slug, name=slug.title(), active=True) for slug in slugs]
        session.add_all(topics)
        await session.flush()
        return [topic.id for topic in topics]


async def add_chats(
    sessions: Sessions, chats: Iterable[tuple[int, str]], *, timezone: str = "UTC",
    settings: dict[str, Any] | None = None,
) -> None:
    """Bulk-insert active chats given as (id, type)."""
    now = utcnow()
    rows = [{"id": chat_id, "type": kind, "status": "active", "timezone": timezone,
             "settings": dict(settings or {}), "created_at": now, "updated_at": now}
            for chat_id, kind in dict(chats).items()]
    if rows:
        async with write_session(sessions) as session:
            await session.execute(insert(Chat), rows)


async def subscribe_in_db(
    sessions: Sessions, subscriptions: Iterable[tuple[Destination, Sequence[int]]]
) -> None:
    """Bulk-insert subscriptions: each destination to each of its topic ids."""
    now = utcnow()
    rows = [{"chat_id": dest.chat_id, "topic_id": topic_id, "thread_id": dest.thread_id,
             "mode": "instant", "created_at": now}
            for dest, topic_ids in subscriptions for topic_id in topic_ids]
    async with write_session(sessions) as session:
        await session.execute(insert(Subscription), rows)


async def publish(sessions: Sessions, title: str, topic_ids: Sequence[int]) -> int:
    """Store a new explainer tagged with ``topic_ids`` and enqueue its pushes, as ingestion
    does; returns the article id."""
    now = utcnow()
    slug = title.lower().replace(" ", "-")
    async with write_session(sessions) as session:
        article = Article(canonical_url=f"https://example.org/{slug}",
                          url=f"https://example.org/{slug}", guid=slug, title=title,
                          summary=f"What {title} is about.", body="Body.", content_hash=slug,
                          created_at=now, updated_at=now)
        session.add(article)
        await session.flush()
        session.add_all(ArticleTopic(article_id=article.id, topic_id=topic_id)
                        for topic_id in topic_ids)
        await session.flush()
        await enqueue_articles(session, [article.id])
        return article.id


async def deliveries(sessions: Sessions) -> list[Delivery]:
    """Every delivery row, oldest first."""
    async with sessions() as session:
        return list((await session.scalars(select(Delivery).order_by(Delivery.id))).all())


async def status_counts(sessions: Sessions) -> Counter[str]:
    """Delivery rows by status."""
    return Counter(row.status for row in await deliveries(sessions))


async def make_due(sessions: Sessions) -> int:
    """Move every pending row's next_attempt_at into the past (time passes for the outbox:
    retries, coalescing windows, quiet hours and digest slots come due). Returns rows moved."""
    async with write_session(sessions) as session:
        result = await session.execute(
            update(Delivery).where(Delivery.status == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
            .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)


async def drain_until_empty(bot: Any, *, rounds: int = 40) -> int:
    """Drain the outbox, moving pending rows' next attempt into the past between drains,
    until nothing is pending or sending (at most ``rounds`` drains); returns drains run."""
    for number in range(1, rounds + 1):
        await bot.drain_outbox()
        counts = await status_counts(bot.sessions)
        if not counts["pending"] and not counts["sending"]:
            return number
        await make_due(bot.sessions)
    return rounds
