"""The outbox on real databases: enqueue at scale, exactly once, and resilience."""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import DeliverySettings
from bot.render import OutgoingMessage
from bot.services.delivery import DeliveryService
from bot.services.news import load_card
from bot.services.outbox import SendOutcome
from storage.deliveries import enqueue_articles
from storage.models import Article, ArticleTopic, Chat, Delivery, Subscription, Topic, utcnow

UNLIMITED = DeliverySettings(rate_per_second=1000, private_chat_interval=0,
                             group_chat_interval=0, coalesce_seconds=0)


async def _article_with_subscribers(
    sessions: async_sessionmaker[AsyncSession], chats: int, *, blocked: int = 0
) -> int:
    now = utcnow()
    async with sessions() as session, session.begin():
        topic = Topic(slug="russia", name="Russia", active=True)
        article = Article(canonical_url="https://e.org/a", url="https://e.org/a", guid="a",
                          title="An explainer", summary="Short summary.", body="Body.",
                          content_hash="x", created_at=now, updated_at=now)
        session.add_all([topic, article])
        await session.flush()
        session.add(ArticleTopic(article_id=article.id, topic_id=topic.id))
        ids = range(1, chats + 1)
        await session.execute(insert(Chat), [
            {"id": i, "type": "private", "status": "blocked" if i <= blocked else "active",
             "timezone": "UTC", "settings": {}, "created_at": now, "updated_at": now}
            for i in ids])
        await session.execute(insert(Subscription), [
            {"chat_id": i, "topic_id": topic.id, "thread_id": 0, "mode": "instant",
             "created_at": now} for i in ids])
        return article.id


async def test_enqueue_reaches_thousands_of_subscribers_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """5,000 subscribers get one row each (beyond bind-parameter limits); again adds none."""
    article_id = await _article_with_subscribers(session_factory, 5000, blocked=10)
    async with session_factory() as session, session.begin():
        assert await enqueue_articles(session, [article_id]) == 4990
    async with session_factory() as session, session.begin():
        assert await enqueue_articles(session, [article_id]) == 0
    async with session_factory() as session:
        assert await session.scalar(select(func.count(Delivery.id))) == 4990


class FlakySender:
    """Stands in for Telegram at the boundary: raises for one chat, accepts the rest."""

    def __init__(self, broken_chat: int) -> None:
        self.broken_chat = broken_chat
        self.sent: list[int] = []

    async def send(
        self, chat_id: int, message: OutgoingMessage, thread_id: int | None, *,
        silent: bool = False, paid: bool = False,
    ) -> SendOutcome:
        if chat_id == self.broken_chat:
            raise RuntimeError("unexpected failure in the transport")
        self.sent.append(chat_id)
        return SendOutcome("sent", message_id=100 + chat_id)


async def test_an_exception_in_one_send_strands_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A send that raises puts its row back to pending; the rest of the batch is sent."""
    article_id = await _article_with_subscribers(session_factory, 3)
    async with session_factory() as session, session.begin():
        await enqueue_articles(session, [article_id])
    sender = FlakySender(broken_chat=2)
    service = DeliveryService(session_factory, sender, load_card, UNLIMITED)
    stats = await service.send_due()
    assert sorted(sender.sent) == [1, 3]
    assert stats.sent == 2
    async with session_factory() as session:
        rows = {d.chat_id: d for d in (await session.scalars(select(Delivery))).all()}
    assert rows[2].status == "pending"
    assert rows[2].attempts == 1
    assert "unexpected failure" in (rows[2].last_error or "")
    assert {rows[1].status, rows[3].status} == {"sent"}
