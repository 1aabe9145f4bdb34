"""The outbox claims explainers before broadcast rows: a big broadcast queued first does not
hold up an explainer queued after it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import write_session
from storage.deliveries import claim_due
from storage.models import Broadcast, Delivery, utcnow
from tests.support.outbox import add_chats, add_topics, publish


async def test_an_explainer_is_claimed_before_an_earlier_broadcast(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """200 broadcast rows due since a minute ago and one explainer due now: a claim of 50
    takes the explainer first, then broadcast rows."""
    await add_chats(session_factory, [(chat_id, "private") for chat_id in range(1, 202)])
    earlier = utcnow() - timedelta(minutes=1)
    async with write_session(session_factory) as session:
        broadcast = Broadcast(created_by=1, text="Hello", status="sending", total=200)
        session.add(broadcast)
        await session.flush()
        await session.execute(insert(Delivery), [
            {"chat_id": chat_id, "thread_id": 0, "broadcast_id": broadcast.id,
             "status": "pending", "attempts": 0, "next_attempt_at": earlier,
             "created_at": earlier} for chat_id in range(1, 201)])
    [topic] = await add_topics(session_factory, "alpha")
    article_id = await publish(session_factory, "Breaking", [topic])
    async with write_session(session_factory) as session:
        await session.execute(insert(Delivery), [
            {"chat_id": 201, "thread_id": 0, "status": "pending", "attempts": 0,
             "article_id": article_id, "next_attempt_at": utcnow(),
             "created_at": utcnow()}])
    async with write_session(session_factory) as session:
        claimed = await claim_due(session, utcnow(), 50, "me", utcnow() + timedelta(minutes=1))
    assert claimed[0].article_id is not None
    assert sum(1 for row in claimed if row.article_id is None) == 49
