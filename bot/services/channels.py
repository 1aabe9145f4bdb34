"""Channels managed from a private chat: connect, list, pick topics, disconnect.

Whether the user (and the bot) may do it is the Telegram adapter's question
(:mod:`bot.chat_admins`); this service records the outcome.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ChatInfo, ConnectedChannel, TopicChoice
from bot.services.readers import ReaderService, ToggleResult
from storage import channels as channels_dao
from storage import chats as chats_dao
from storage.db import write_session
from storage.models import Chat


class ChannelService:
    """Connected channels: their records and their topic subscriptions."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession],
                 readers: ReaderService) -> None:
        self._sessions = session_factory
        self._readers = readers

    async def connect(self, channel: ChatInfo, user_id: int) -> tuple[TopicChoice, ...]:
        """Record ``channel`` as connected by ``user_id``; return its picker state."""
        async with write_session(self._sessions) as session:
            await channels_dao.connect_channel(session, chat_id=channel.id, title=channel.title,
                                               username=channel.username, user_id=user_id)
        return await self._readers.topics(channel.id)

    async def channels_of(self, user_id: int) -> tuple[ConnectedChannel, ...]:
        """The channels ``user_id`` connected, with how many topics each follows."""
        async with self._sessions() as session:
            return tuple([await _summary(session, chat) for chat in
                          await channels_dao.channels_connected_by(session, user_id)])

    async def channel(self, channel_id: int) -> ConnectedChannel | None:
        """A connected channel, or None (unknown, disconnected, the bot removed)."""
        async with self._sessions() as session:
            chat = await channels_dao.connected_channel(session, channel_id)
            return await _summary(session, chat) if chat is not None else None

    async def find(self, name: str) -> ConnectedChannel | None:
        """A connected channel named by ``@username`` or by its id ("-100…"), or None."""
        text = name.strip()
        if text.startswith("-") and text[1:].isascii() and text[1:].isdigit() and len(text) <= 20:
            return await self.channel(int(text))
        async with self._sessions() as session:
            chat = await channels_dao.connected_channel_named(session, text)
            return await _summary(session, chat) if chat is not None else None

    @staticmethod
    def info(channel: ConnectedChannel) -> ChatInfo:
        """The channel as a chat (what the settings service takes)."""
        return ChatInfo(id=channel.id, type="channel", title=channel.title,
                        username=channel.username)

    async def topics(self, channel_id: int) -> tuple[TopicChoice, ...] | None:
        """The channel's picker state; None when it is not connected."""
        if await self.channel(channel_id) is None:
            return None
        return await self._readers.topics(channel_id)

    async def toggle(self, channel_id: int, slug: str) -> ToggleResult | None:
        """Follow or unfollow ``slug`` for a connected channel; None when not connected."""
        channel = await self.channel(channel_id)
        if channel is None:
            return None
        return await self._readers.toggle(self.info(channel), slug)

    async def disconnect(self, channel_id: int) -> None:
        """Stop posting to the channel and forget its topics."""
        async with write_session(self._sessions) as session:
            await channels_dao.disconnect_channel(session, channel_id)


async def _summary(session: AsyncSession, chat: Chat) -> ConnectedChannel:
    topics = await chats_dao.subscribed_topic_ids(session, chat.id, 0)
    return ConnectedChannel(id=chat.id, title=chat.title or "", username=chat.username,
                            topics=len(topics))
