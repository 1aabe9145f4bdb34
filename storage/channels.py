"""Data access for channels connected from a private chat. Functions take a session and
never commit. A connected channel is a ``chats`` row of type channel whose settings name the
user who connected it (``connected_by``); its subscriptions are rows with its chat id."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.chats import resume_destination, upsert_chat
from storage.models import Chat, Subscription, utcnow

CONNECTED_BY = "connected_by"


async def connect_channel(session: AsyncSession, *, chat_id: int, title: str | None,
                          username: str | None, user_id: int) -> Chat:
    """Record the channel as active and connected by ``user_id``; lift any pause."""
    chat = await upsert_chat(session, chat_id=chat_id, type="channel", title=title,
                             username=username, status="active")
    chat.settings = {**(chat.settings or {}), CONNECTED_BY: user_id}
    await resume_destination(session, chat_id, 0)
    await session.flush()
    return chat


async def connected_channel(session: AsyncSession, chat_id: int) -> Chat | None:
    """The channel if it is connected (and the bot still in it), else None."""
    chat = await session.get(Chat, chat_id)
    if chat is None or chat.type != "channel" or chat.status != "active" or (
            CONNECTED_BY not in (chat.settings or {})):
        return None
    return chat


async def connected_channel_named(session: AsyncSession, username: str) -> Chat | None:
    """The connected channel with this @username (without the @, any case), or None."""
    wanted = username.lstrip("@").casefold()
    if not wanted:
        return None
    rows = await session.scalars(
        select(Chat).where(Chat.type == "channel", Chat.status == "active",
                           Chat.username.is_not(None)))
    for chat in rows:
        if (chat.username or "").casefold() == wanted and CONNECTED_BY in (chat.settings or {}):
            return chat
    return None


async def channels_connected_by(session: AsyncSession, user_id: int) -> list[Chat]:
    """The active channels ``user_id`` connected, by title. (Channels are few: the JSON key
    is read here rather than queried in two SQL dialects.)"""
    rows = await session.scalars(
        select(Chat).where(Chat.type == "channel", Chat.status == "active")
        .order_by(Chat.title, Chat.id))
    return [chat for chat in rows if (chat.settings or {}).get(CONNECTED_BY) == user_id]


async def disconnect_channel(session: AsyncSession, chat_id: int) -> None:
    """Forget who connected the channel and drop its subscriptions (no more posts)."""
    chat = await session.get(Chat, chat_id)
    if chat is None:
        return
    chat.settings = {k: v for k, v in (chat.settings or {}).items() if k != CONNECTED_BY}
    chat.updated_at = utcnow()
    await session.execute(delete(Subscription).where(Subscription.chat_id == chat_id))
