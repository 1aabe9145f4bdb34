"""Readers: registering chats, the topic catalogue and subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ChatInfo, ReaderSummary, TopicChoice, UserInfo
from bot.ingest.languages import primary_language
from bot.services.news import localized_name
from bot.services.schedule import DeliveryPrefs, thread_settings
from storage import chats as chats_dao
from storage import topics as topics_dao
from storage.db import write_session
from storage.models import Topic


@dataclass(frozen=True)
class ToggleResult:
    """What a press on a topic button did."""

    topic: TopicChoice | None
    choices: tuple[TopicChoice, ...]


class ReaderService:
    """Registers chats and manages their topic subscriptions."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def register(
        self, chat: ChatInfo, user: UserInfo | None, thread_id: int = 0
    ) -> tuple[TopicChoice, ...]:
        """Record (or reactivate) the chat and return the topic picker state (of the forum
        thread ``thread_id`` in a forum).

        A private chat's content language is its user's Telegram language (its first two
        letters: "uk" for "uk-UA"), unless a content language was chosen in /settings;
        groups keep none and get each story's original version.
        """
        language = (primary_language(user.language_code)
                    if user is not None and chat.type == "private" else None)
        async with write_session(self._sessions) as session:
            existing = await chats_dao.get_chat(session, chat.id)
            if existing is not None and (existing.settings or {}).get("content_language"):
                language = None  # chosen in /settings: the Telegram language does not win
            await chats_dao.upsert_chat(
                session,
                chat_id=chat.id,
                type=chat.type,
                title=chat.title,
                username=chat.username,
                language=language,
                status="active",
            )
            return await self._choices(session, chat.id, thread_id)

    async def set_membership(self, chat: ChatInfo, status: str, *, can_post: bool = True
                             ) -> None:
        """Record that the bot was added to (active) or removed from (left) a chat. Back with
        the right to post, its paused destinations (a channel that lost the bot's rights)
        take pushes again."""
        async with write_session(self._sessions) as session:
            await chats_dao.upsert_chat(
                session, chat_id=chat.id, type=chat.type, title=chat.title,
                username=chat.username, status=status,
            )
            if status == "active" and can_post and chat.type == "channel":
                await chats_dao.resume_destination(session, chat.id, 0)

    async def set_delivery_schedule(
        self, chat_id: int, *, mode: str, digest_times: Sequence[str] = (),
        quiet_hours: tuple[str, str] | None = None, timezone: str | None = None,
    ) -> DeliveryPrefs:
        """Choose instant pushes or digests at local times (and quiet hours, a timezone) for a
        chat; returns the schedule as the outbox will read it. Raises ValueError naming what
        is wrong (an unknown timezone, a time that is not HH:MM)."""
        settings: dict[str, Any] = {"delivery": mode}
        if digest_times:
            settings["digest_times"] = list(digest_times)
        settings["quiet_hours"] = list(quiet_hours) if quiet_hours else None
        prefs = DeliveryPrefs.from_chat(timezone, settings)
        if mode not in ("instant", "digest") or prefs.mode != mode:
            raise ValueError(f"unknown delivery mode {mode!r}: instant or digest")
        if timezone is not None and prefs.timezone.key != timezone:
            raise ValueError(f"unknown timezone {timezone!r}")
        if digest_times and len(prefs.digest_times) != len(set(digest_times)):
            raise ValueError(f"digest times must be HH:MM, got {list(digest_times)}")
        async with write_session(self._sessions) as session:
            await chats_dao.update_delivery_settings(session, chat_id, settings, timezone)
        return prefs

    async def migrate(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: merge it into the new id (see storage.chats)."""
        async with write_session(self._sessions) as session:
            await chats_dao.merge_chat(session, old_id, new_id)

    async def resume(self, chat_id: int, thread_id: int) -> None:
        """Lift a pause on one destination (a reopened forum topic)."""
        async with write_session(self._sessions) as session:
            await chats_dao.resume_destination(session, chat_id, thread_id)

    async def topics(self, chat_id: int, thread_id: int = 0) -> tuple[TopicChoice, ...]:
        """The topic picker state for a chat (or one forum thread of it)."""
        async with self._sessions() as session:
            return await self._choices(session, chat_id, thread_id)

    async def toggle(self, chat: ChatInfo, slug: str, thread_id: int = 0) -> ToggleResult:
        """Subscribe to ``slug`` if not subscribed, else unsubscribe. In a forum the
        subscription belongs to the thread it was made in (pushes go there); choosing again
        there lifts a pause (a topic that was closed and reopened)."""
        async with write_session(self._sessions) as session:
            if await chats_dao.get_chat(session, chat.id) is None:
                await chats_dao.upsert_chat(
                    session, chat_id=chat.id, type=chat.type, title=chat.title,
                    username=chat.username,
                )
            topics = {t.slug: t for t in await topics_dao.list_active_topics(session)}
            topic = topics.get(slug)
            if topic is None:
                return ToggleResult(None, await self._choices(session, chat.id, thread_id))
            subscribed = topic.id in await chats_dao.subscribed_topic_ids(
                session, chat.id, thread_id)
            if subscribed:
                await chats_dao.remove_subscription(session, chat.id, topic.id, thread_id)
            else:
                await chats_dao.add_subscription(session, chat.id, topic.id, thread_id)
                await chats_dao.resume_destination(session, chat.id, thread_id)
            choices = await self._choices(session, chat.id, thread_id)
            return ToggleResult(
                TopicChoice(topic.slug, localized_name(topic), not subscribed), choices)

    async def follow(self, chat: ChatInfo, slug: str, thread_id: int = 0) -> ToggleResult:
        """Follow the topic ``slug`` (a deep link's payload; matched case-insensitively),
        leaving it followed if it already is. ``topic`` is None for an unknown slug."""
        async with write_session(self._sessions) as session:
            await self._ensure_chat(session, chat)
            wanted = slug.strip().casefold()
            topic = next((t for t in await topics_dao.list_active_topics(session)
                          if t.slug.casefold() == wanted), None)
            if topic is None:
                return ToggleResult(None, await self._choices(session, chat.id, thread_id))
            if topic.id not in await chats_dao.subscribed_topic_ids(session, chat.id, thread_id):
                await chats_dao.add_subscription(session, chat.id, topic.id, thread_id)
            await chats_dao.resume_destination(session, chat.id, thread_id)
            choices = await self._choices(session, chat.id, thread_id)
            return ToggleResult(TopicChoice(topic.slug, localized_name(topic), True), choices)

    async def follow_all(self, chat: ChatInfo, thread_id: int = 0) -> tuple[TopicChoice, ...]:
        """Follow every active topic (the picker's "All topics")."""
        async with write_session(self._sessions) as session:
            await self._ensure_chat(session, chat)
            followed = await chats_dao.subscribed_topic_ids(session, chat.id, thread_id)
            for topic in await topics_dao.list_active_topics(session):
                if topic.id not in followed:
                    await chats_dao.add_subscription(session, chat.id, topic.id, thread_id)
            await chats_dao.resume_destination(session, chat.id, thread_id)
            return await self._choices(session, chat.id, thread_id)

    async def summary(self, chat_id: int, thread_id: int = 0) -> ReaderSummary:
        """What the chat (or forum thread) will receive: followed topics and the schedule
        from chats.settings ("delivery", "digest_times"; a forum thread's own on top) and
        chats.timezone."""
        async with self._sessions() as session:
            chat = await chats_dao.get_chat(session, chat_id)
            choices = await self._choices(session, chat_id, thread_id)
        prefs = DeliveryPrefs.from_chat(
            chat.timezone if chat else None,
            thread_settings(chat.settings or {}, thread_id) if chat else None)
        return ReaderSummary(
            topics=tuple(c.name for c in choices if c.subscribed),
            mode=prefs.mode,
            digest_times=tuple(t.strftime("%H:%M") for t in prefs.digest_times),
            timezone=prefs.timezone.key,
        )

    @staticmethod
    async def _ensure_chat(session: AsyncSession, chat: ChatInfo) -> None:
        if await chats_dao.get_chat(session, chat.id) is None:
            await chats_dao.upsert_chat(
                session, chat_id=chat.id, type=chat.type, title=chat.title,
                username=chat.username,
            )

    @staticmethod
    async def _choices(
        session: AsyncSession, chat_id: int, thread_id: int = 0
    ) -> tuple[TopicChoice, ...]:
        topics: list[Topic] = list(await topics_dao.list_active_topics(session))
        subscribed = await chats_dao.subscribed_topic_ids(session, chat_id, thread_id)
        return tuple(TopicChoice(t.slug, localized_name(t), t.id in subscribed) for t in topics)
