"""Which language the bot speaks in each chat (its interface language, not the language of the
explainers it gets: that is the content language in /settings).

A chat gets one on first contact, from the Telegram language of whoever started it (a
Ukrainian speaker's private chat, or the group a Ukrainian speaker added the bot to, speaks
Ukrainian); /settings changes it. It is read for every update, so the answers are cached
briefly per process (``ttl_seconds``; only chats that have one: a new chat is looked up
until it does); a change made in this process is seen at once, one made by another process
within the TTL.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import LANGUAGES, interface_language
from storage import chat_settings as settings_dao
from storage.db import write_session

__all__ = ["ChatLanguages"]


class ChatLanguages:
    """Chat id → interface language, from ``chats.settings`` with a small TTL cache."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], *, ttl_seconds: float = 60.0,
        max_chats: int = 50_000,
    ) -> None:
        self._sessions = session_factory
        self._ttl = ttl_seconds
        self._max = max_chats
        self._cache: OrderedDict[int, tuple[float, str]] = OrderedDict()

    async def for_chat(self, chat_id: int, user_language_code: str | None = None) -> str:
        """The chat's language; see :meth:`lookup`."""
        return (await self.lookup(chat_id, user_language_code))[0]

    async def lookup(self, chat_id: int, user_language_code: str | None = None
                     ) -> tuple[str, bool]:
        """The chat's language, and whether the chat is known. A known chat that has no
        language yet (it began before languages, or with a command other than /start) gets
        the user's Telegram language now, so its pushes and its answers speak the same
        language; an unknown chat is answered in the user's language (English when we have
        no catalogue for it)."""
        now = time.monotonic()
        cached = self._cache.get(chat_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1], True
        async with self._sessions() as session:
            known, stored = await settings_dao.interface_language(session, chat_id)
        if stored in LANGUAGES:
            self._remember(chat_id, stored, now)
            return stored, True
        if known:
            await self.first_contact(chat_id, user_language_code)
        return interface_language(user_language_code), known

    @staticmethod
    def default_for(user_language_code: str | None) -> str:
        """The language for an update without a chat (an inline query): the user's."""
        return interface_language(user_language_code)

    async def first_contact(self, chat_id: int, user_language_code: str | None) -> None:
        """Give a newly registered chat the user's language, unless it already has one."""
        language = interface_language(user_language_code)
        async with write_session(self._sessions) as session:
            if await settings_dao.set_interface_language(
                    session, chat_id, language, only_if_unset=True):
                self._remember(chat_id, language, time.monotonic())
            else:
                self._cache.pop(chat_id, None)

    async def choose(self, chat_id: int, language: str) -> bool:
        """Switch a chat's interface language (from /settings); False for an unknown
        language or chat."""
        if language not in LANGUAGES:
            return False
        async with write_session(self._sessions) as session:
            written = await settings_dao.set_interface_language(session, chat_id, language)
        if written:
            self._remember(chat_id, language, time.monotonic())
        return written

    def forget(self, chat_id: int) -> None:
        """Drop the cached answer for a chat (its data was deleted, or it migrated)."""
        self._cache.pop(chat_id, None)

    def _remember(self, chat_id: int, language: str, now: float) -> None:
        self._cache[chat_id] = (now, language)
        self._cache.move_to_end(chat_id)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)

