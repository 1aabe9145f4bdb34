"""Data access for chats and subscriptions. Functions take a session and never commit."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Chat, Subscription, utcnow


async def upsert_chat(
    session: AsyncSession,
    *,
    chat_id: int,
    type: str,
    title: str | None,
    username: str | None,
    language: str | None = None,
    status: str = "active",
) -> Chat:
    """Create or refresh a chat row and mark it with ``status``."""
    chat = await session.get(Chat, chat_id)
    now = utcnow()
    if chat is None:
        chat = Chat(
            id=chat_id, type=type, title=title, username=username, language=language,
            status=status, timezone="UTC", settings={}, created_at=now, updated_at=now,
        )
        session.add(chat)
    else:
        chat.type = type
        chat.title = title
        chat.username = username
        if language:
            chat.language = language
        chat.status = status
        chat.updated_at = now
    await session.flush()
    return chat


async def get_chat(session: AsyncSession, chat_id: int) -> Chat | None:
    """Return the chat or None."""
    return await session.get(Chat, chat_id)


async def set_chat_status(session: AsyncSession, chat_id: int, status: str) -> None:
    """Mark a chat active, blocked or left (no-op for unknown chats)."""
    chat = await session.get(Chat, chat_id)
    if chat is not None:
        chat.status = status
        chat.updated_at = utcnow()


async def subscribed_topic_ids(session: AsyncSession, chat_id: int) -> set[int]:
    """Ids of the topics a chat subscribes to (any thread)."""
    rows = await session.scalars(
        select(Subscription.topic_id).where(Subscription.chat_id == chat_id)
    )
    return set(rows)


async def add_subscription(
    session: AsyncSession, chat_id: int, topic_id: int, thread_id: int = 0
) -> None:
    """Subscribe a chat to a topic (idempotent)."""
    existing = await session.scalar(
        select(Subscription.id).where(
            Subscription.chat_id == chat_id,
            Subscription.topic_id == topic_id,
            Subscription.thread_id == thread_id,
        )
    )
    if existing is None:
        session.add(Subscription(chat_id=chat_id, topic_id=topic_id, thread_id=thread_id,
                                 mode="instant", created_at=utcnow()))
        await session.flush()


async def remove_subscription(
    session: AsyncSession, chat_id: int, topic_id: int, thread_id: int = 0
) -> None:
    """Unsubscribe a chat from a topic (idempotent)."""
    await session.execute(
        delete(Subscription).where(
            Subscription.chat_id == chat_id,
            Subscription.topic_id == topic_id,
            Subscription.thread_id == thread_id,
        )
    )
