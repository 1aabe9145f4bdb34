"""Data access for a chat's own choices and its data as a whole: settings, stopping, and
deleting what newsbot keeps about it. Functions take a session and never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Chat, Comment, Commenter, Delivery, Subscription, utcnow

#: What anonymised comments are signed with.
ANONYMOUS_AUTHOR = "Reader"


async def chat_settings(session: AsyncSession, chat_id: int) -> tuple[dict[str, Any], str] | None:
    """A chat's stored settings and timezone; None for an unknown chat."""
    chat = await session.get(Chat, chat_id)
    if chat is None:
        return None
    return dict(chat.settings or {}), chat.timezone


async def set_content_language(session: AsyncSession, chat_id: int, language: str | None) -> None:
    """The language whose version of each story the chat gets (None: the original)."""
    chat = await session.get(Chat, chat_id)
    if chat is not None:
        chat.language = language
        chat.updated_at = utcnow()


async def remove_subscriptions(
    session: AsyncSession, chat_id: int, thread_id: int | None = None
) -> int:
    """Drop a chat's subscriptions (of one forum thread, or all); returns how many."""
    query = delete(Subscription).where(Subscription.chat_id == chat_id)
    if thread_id is not None:
        query = query.where(Subscription.thread_id == thread_id)
    result = await session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


async def stop_chat(session: AsyncSession, chat_id: int) -> bool:
    """Unsubscribe a chat from everything and mark it ``stopped`` (no pushes are enqueued for
    it: only active chats get them). False for an unknown chat."""
    chat = await session.get(Chat, chat_id)
    if chat is None:
        return False
    await remove_subscriptions(session, chat_id)
    chat.status = "stopped"
    chat.updated_at = utcnow()
    return True


async def forget_chat(session: AsyncSession, chat_id: int) -> bool:
    """Delete what newsbot keeps about a stopped chat: its subscriptions, delivery history and
    the chat row itself (settings, timezone, title, username, language go with it); its
    comments stay under the articles but signed "Reader", with no user id. A private chat's
    user is forgotten as a commenter too (their choice of name), except a ban, which stays.
    False (nothing done) unless the chat exists and is stopped."""
    chat = await session.get(Chat, chat_id)
    if chat is None or chat.status != "stopped":
        return False
    await session.execute(
        update(Comment).where(Comment.chat_id == chat_id)
        .values(author=ANONYMOUS_AUTHOR, user_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(Delivery).where(Delivery.chat_id == chat_id))
    if chat_id > 0:  # a private chat's id is its user's id
        await session.execute(
            delete(Commenter).where(Commenter.user_id == chat_id, Commenter.banned.is_(False))
        )
        await session.execute(
            update(Commenter).where(Commenter.user_id == chat_id)
            .values(consent=None, slowed_at=None)
            .execution_options(synchronize_session=False)
        )
    await remove_subscriptions(session, chat_id)
    await session.delete(chat)
    await session.flush()
    return True


#: The key of ``chats.settings`` holding the chat's interface language ("en" or "uk").
INTERFACE_LANGUAGE_KEY = "interface_language"


async def interface_language(session: AsyncSession, chat_id: int) -> tuple[bool, str | None]:
    """Whether the chat is known, and the interface language it chose or was given on first
    contact (None when it has none)."""
    row = (await session.execute(select(Chat.settings).where(Chat.id == chat_id))).first()
    if row is None:
        return False, None
    value = (row[0] or {}).get(INTERFACE_LANGUAGE_KEY)
    return True, value if isinstance(value, str) else None


async def set_interface_language(
    session: AsyncSession, chat_id: int, language: str, *, only_if_unset: bool = False
) -> bool:
    """Store a chat's interface language (``only_if_unset``: keep one already chosen).
    Returns whether it was written (False for an unknown chat)."""
    chat = await session.get(Chat, chat_id)
    if chat is None:
        return False
    settings = dict(chat.settings or {})
    if only_if_unset and settings.get(INTERFACE_LANGUAGE_KEY):
        return False
    settings[INTERFACE_LANGUAGE_KEY] = language
    chat.settings = settings
    chat.updated_at = utcnow()
    return True
