"""Data access for chats and subscriptions. Functions take a session and never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, delete, exists, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.articles import dialect_insert
from storage.models import Chat, Comment, CommentFollow, Delivery, Subscription, utcnow


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
    """Create or refresh a chat row and mark it with ``status``. Two updates about one chat
    handled at once (the bot made a channel's admin while its owner sends /connect) both
    create it safely: the insert does nothing when the row is already there."""
    chat = await session.get(Chat, chat_id)
    now = utcnow()
    if chat is None:
        await session.execute(dialect_insert(session, Chat).values(
            id=chat_id, type=type, title=title, username=username, language=language,
            status=status, timezone="UTC", settings={}, created_at=now, updated_at=now,
        ).on_conflict_do_nothing(index_elements=[Chat.id]))
        chat = await session.get(Chat, chat_id, populate_existing=True)
        assert chat is not None  # inserted now, or by the other update
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


async def subscribed_topic_ids(
    session: AsyncSession, chat_id: int, thread_id: int | None = None
) -> set[int]:
    """Ids of the topics a chat subscribes to (in one forum thread, or in any)."""
    query = select(Subscription.topic_id).where(Subscription.chat_id == chat_id)
    if thread_id is not None:
        query = query.where(Subscription.thread_id == thread_id)
    return set(await session.scalars(query))


async def resume_destination(session: AsyncSession, chat_id: int, thread_id: int) -> None:
    """Lift a pause on a destination's subscriptions (its admins chose topics there again)."""
    await session.execute(
        update(Subscription)
        .where(Subscription.chat_id == chat_id, Subscription.thread_id == thread_id)
        .values(paused_reason=None).execution_options(synchronize_session=False)
    )


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


async def merge_chat(session: AsyncSession, old_id: int, new_id: int) -> bool:
    """A group became supergroup ``new_id``: move its subscriptions, settings, delivery
    history and comments there (also when the new chat already exists: what it has wins),
    and retire the old id. Returns False when the old chat is unknown or already merged."""
    old = await session.get(Chat, old_id)
    if old is None or old.status == "migrated":
        return False
    now = utcnow()
    new = await session.get(Chat, new_id)
    if new is None:
        new = Chat(
            id=new_id, type="supergroup", title=old.title, username=old.username,
            language=old.language, status="active", timezone=old.timezone,
            settings=dict(old.settings or {}), created_at=now, updated_at=now,
        )
        session.add(new)
    else:
        new.settings = {**(old.settings or {}), **(new.settings or {})}
        if (old.settings or {}).get("interface_language"):  # the group's choice, not whoever
            new.settings["interface_language"] = old.settings["interface_language"]  # spoke first
        new.language = new.language or old.language
        if new.timezone == "UTC":
            new.timezone = old.timezone
        new.status = "active"
        new.updated_at = now
    await session.flush()
    await session.execute(
        dialect_insert(session, Subscription).from_select(
            ["chat_id", "topic_id", "thread_id", "mode", "created_at"],
            select(literal(new_id, BigInteger()), Subscription.topic_id, Subscription.thread_id,
                   Subscription.mode, Subscription.created_at)
            .where(Subscription.chat_id == old_id),
        ).on_conflict_do_nothing()
    )
    await session.execute(delete(Subscription).where(Subscription.chat_id == old_id))
    # Follows of comments (comment relays) move too.
    await session.execute(
        dialect_insert(session, CommentFollow).from_select(
            ["chat_id", "story_id", "created_at"],
            select(literal(new_id, BigInteger()), CommentFollow.story_id,
                   CommentFollow.created_at).where(CommentFollow.chat_id == old_id),
        ).on_conflict_do_nothing()
    )
    await session.execute(delete(CommentFollow).where(CommentFollow.chat_id == old_id))
    # History moves unless the new chat has that destination × story already (then the old
    # row stays behind on the retired id, as history).
    taken = aliased(Delivery)
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == old_id, ~exists().where(
            taken.chat_id == new_id, taken.thread_id == Delivery.thread_id,
            (taken.story_id == Delivery.story_id) | (taken.article_id == Delivery.article_id)
            | (taken.broadcast_id == Delivery.broadcast_id)
            | (taken.comment_id == Delivery.comment_id)))
        # Message ids are per chat: the old group's mean nothing in the supergroup (no
        # edits of them, no comment replies matched against them).
        .values(chat_id=new_id, message_id=None).execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == old_id, Delivery.status.in_(("pending", "sending")))
        .values(status="skipped", last_error=f"group migrated to {new_id}",
                claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Comment).where(Comment.chat_id == old_id).values(chat_id=new_id)
        .execution_options(synchronize_session=False)
    )
    old.status = "migrated"
    old.migrated_to = new_id
    old.updated_at = now
    await session.flush()
    return True


async def update_delivery_settings(
    session: AsyncSession, chat_id: int, values: dict[str, Any], timezone: str | None
) -> None:
    """Merge ``values`` into a chat's settings (a None value removes the key) and set its
    timezone when given."""
    chat = await session.get(Chat, chat_id)
    if chat is None:
        raise LookupError(f"unknown chat {chat_id}")
    merged = {**(chat.settings or {}), **values}
    chat.settings = {key: value for key, value in merged.items() if value is not None}
    if timezone is not None:
        chat.timezone = timezone
    chat.updated_at = utcnow()
