"""The administrator check: private chats, anonymous admins, the short bounded cache."""

from __future__ import annotations

from typing import Any

from telegram import ChatMemberAdministrator, ChatMemberMember, User
from telegram.error import BadRequest

from bot.chat_admins import ChatAdmins


class FakeBot:
    """Answers getChatMember from a table and counts the calls."""

    def __init__(self, admins: set[tuple[int, int]]) -> None:
        self.admins = admins
        self.calls = 0

    async def get_chat_member(self, chat_id: int, user_id: int) -> Any:
        self.calls += 1
        user = User(user_id, "U", is_bot=False)
        if chat_id == -999:
            raise BadRequest("Chat not found")
        if (chat_id, user_id) in self.admins:
            return ChatMemberAdministrator(user, *([False] * 12))
        return ChatMemberMember(user)


async def test_private_chats_and_anonymous_admins_need_no_call() -> None:
    bot = FakeBot(set())
    admins = ChatAdmins()
    assert await admins.is_admin(bot, 5, 5)  # type: ignore[arg-type]
    assert await admins.is_admin(bot, -10, 1087968824, sender_chat_id=-10)  # type: ignore[arg-type]
    assert bot.calls == 0


async def test_answers_are_cached_briefly_and_the_cache_is_bounded() -> None:
    now = [0.0]
    bot = FakeBot({(-10, 1)})
    admins = ChatAdmins(ttl=60, size=2, clock=lambda: now[0])
    assert await admins.is_admin(bot, -10, 1)  # type: ignore[arg-type]
    assert not await admins.is_admin(bot, -10, 2)  # type: ignore[arg-type]
    assert await admins.is_admin(bot, -10, 1)  # type: ignore[arg-type]
    assert bot.calls == 2
    now[0] = 61
    assert await admins.is_admin(bot, -10, 1)  # type: ignore[arg-type]
    assert bot.calls == 3
    assert not await admins.is_admin(bot, -999, 1)  # type: ignore[arg-type]  # refused: no
    assert not await admins.is_admin(bot, -10, 3)  # type: ignore[arg-type]
    assert len(admins._cache) == 2
    assert await admins.is_admin(bot, -10, 1, fresh=True)  # type: ignore[arg-type]
    assert bot.calls == 6
