"""Who may change a group's or channel's choices: its administrators (Telegram adapter).

``getChatMember`` answers are cached per (chat, user) for a short while (:data:`CACHE_SECONDS`,
at most :data:`CACHE_SIZE` entries) so a burst of picker presses costs one API call. A private
chat belongs to its user; a message the group sent itself (an anonymous admin: ``sender_chat``
is the group) counts as an admin's. Handlers reach the cache as ``context.chat_admins`` and
guard a callback with :func:`admins_only`.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from telegram import Bot, ChatMember, ChatMemberAdministrator, Message, Update
from telegram.error import BadRequest, Forbidden

from bot import render
from bot.domain import ChatInfo

if TYPE_CHECKING:
    from bot.context import NewsContext

log = logging.getLogger(__name__)

CACHE_SECONDS = 60.0
CACHE_SIZE = 4096
ADMIN_STATUSES = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR})

Handler = Callable[[Update, "NewsContext"], Coroutine[Any, Any, None]]


class ChatAdmins:
    """Administrator checks with a small time-bounded cache."""

    def __init__(self, *, ttl: float = CACHE_SECONDS, size: int = CACHE_SIZE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._cache: OrderedDict[tuple[int, int], tuple[float, bool]] = OrderedDict()

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int,
                       sender_chat_id: int | None = None, *, fresh: bool = False) -> bool:
        """Whether ``user_id`` (or the sender chat) administers ``chat_id``. A private chat
        (a positive id) is its user's own; ``fresh`` skips the cache (connecting a channel)."""
        if chat_id > 0 or (sender_chat_id is not None and sender_chat_id == chat_id):
            return True
        key = (chat_id, user_id)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now and not fresh:
            self._cache.move_to_end(key)
            return cached[1]
        member = await self.member(bot, chat_id, user_id)
        admin = member is not None and member.status in ADMIN_STATUSES
        self._cache[key] = (now + self._ttl, admin)
        self._cache.move_to_end(key)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return admin

    @staticmethod
    async def member(bot: Bot, chat_id: int | str, user_id: int) -> ChatMember | None:
        """``getChatMember`` (never cached); None when Telegram will not say (the bot is not
        in the chat, the chat or user is unknown)."""
        try:
            return await bot.get_chat_member(chat_id, user_id)
        except (BadRequest, Forbidden) as exc:
            log.info("getChatMember %s/%s refused: %s", chat_id, user_id, exc.message)
            return None

    def forget(self, chat_id: int) -> None:
        """Drop a chat's cached answers (its admins changed, or the bot left)."""
        for key in [key for key in self._cache if key[0] == chat_id]:
            del self._cache[key]


async def caller_is_admin(update: Update, context: NewsContext) -> bool:
    """Whether the sender of this message or button press administers the chat it is in."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return False
    if chat.type == "private":
        return True
    message = update.effective_message if update.callback_query is None else None
    sender_chat = message.sender_chat if isinstance(message, Message) else None
    if sender_chat is not None and sender_chat.id == chat.id:
        return True
    if user is None:
        return False
    return await context.chat_admins.is_admin(context.bot, chat.id, user.id)


def admins_only(callback: Handler) -> Handler:
    """Guard a handler that changes a group's choices: a member's button press gets one short
    toast, a member's command one short reply, and nothing changes."""

    @wraps(callback)
    async def guarded(update: Update, context: NewsContext) -> None:
        if await caller_is_admin(update, context):
            await callback(update, context)
            return
        query = update.callback_query
        if query is not None:
            chat = update.effective_chat
            await query.answer(render.admins_only_notice(chat.type if chat else "group"))
            return
        message = update.effective_message
        if message is not None:
            await message.reply_text(render.admins_only_notice(), parse_mode=None,
                                     do_quote=True)

    return guarded


@dataclass(frozen=True)
class ChannelCheck:
    """Whether a channel may be connected by a user: the channel, or what is wrong
    (``not_found``, ``not_channel``, ``not_admin``, ``bot_rights``)."""

    channel: ChatInfo | None
    problem: str | None = None


async def check_channel(bot: Bot, admins: ChatAdmins, target: int | str, user_id: int
                        ) -> ChannelCheck:
    """Ask Telegram afresh whether ``target`` (an id or @username) is a channel that both
    ``user_id`` and the bot administer, the bot with the right to post."""
    try:
        chat = await bot.get_chat(target)
    except (BadRequest, Forbidden) as exc:
        log.info("getChat %s refused: %s", target, exc.message)
        return ChannelCheck(None, "not_found")
    if chat.type != "channel":
        return ChannelCheck(None, "not_channel")
    if not await admins.is_admin(bot, chat.id, user_id, fresh=True):
        return ChannelCheck(None, "not_admin")
    me = await admins.member(bot, chat.id, bot.id)
    if not isinstance(me, ChatMemberAdministrator) or me.can_post_messages is False:
        return ChannelCheck(None, "bot_rights")
    return ChannelCheck(ChatInfo(id=chat.id, type="channel", title=chat.title,
                                 username=chat.username))
