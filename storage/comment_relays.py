"""Data access for relaying published comments: who follows a story's comments, the outbox
rows of a comment's copies (``deliveries.comment_id``) and where those copies are.
Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import dialect_insert
from storage.models import (
    Article,
    Chat,
    Comment,
    CommentFollow,
    Delivery,
    UTCDateTime,
    utcnow,
)
from storage.stories import story_of


async def story_of_article(session: AsyncSession, article_id: int) -> int | None:
    """The story of an article (its comments are the story's), or None if it is gone."""
    article = await session.get(Article, article_id)
    return None if article is None else story_of(article)


async def is_following(session: AsyncSession, chat_id: int, story_id: int) -> bool:
    """Whether the chat follows the story's comments."""
    return await session.get(CommentFollow, (chat_id, story_id)) is not None


async def set_following(
    session: AsyncSession, chat_id: int, story_id: int, follow: bool
) -> None:
    """Follow (idempotent) or stop following a story's comments."""
    if follow:
        await session.execute(
            dialect_insert(session, CommentFollow)
            .values(chat_id=chat_id, story_id=story_id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=[CommentFollow.chat_id,
                                                    CommentFollow.story_id]))
    else:
        await session.execute(delete(CommentFollow).where(
            CommentFollow.chat_id == chat_id, CommentFollow.story_id == story_id))


async def ensure_chat(session: AsyncSession, chat_id: int) -> None:
    """A row for a chat the bot relays to but may not have seen yet (the configured
    discussion chat); an existing row is left as it is."""
    now = utcnow()
    await session.execute(
        dialect_insert(session, Chat)
        .values(id=chat_id, type="supergroup" if chat_id < 0 else "private", status="active",
                timezone="UTC", settings={}, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=[Chat.id]))


async def enqueue_comment(
    session: AsyncSession, comment: Comment, story_id: int, discussion_chat_id: int | None,
    now: datetime | None = None,
) -> int:
    """Queue one outbox row per destination of a published comment: the discussion chat (if
    configured) and every active chat following the story — not the author's own chats. A
    chat already queued for this comment is left alone (unique chat × comment), so a comment
    published twice still reaches each chat once. Returns rows created."""
    now = now or utcnow()
    created = 0
    values = {"comment_id": comment.id, "thread_id": 0, "status": "pending", "attempts": 0,
              "next_attempt_at": now, "created_at": now}
    if discussion_chat_id is not None:
        await ensure_chat(session, discussion_chat_id)
        result = await session.execute(
            dialect_insert(session, Delivery).values(chat_id=discussion_chat_id, **values)
            .on_conflict_do_nothing())
        created += max(int(getattr(result, "rowcount", 0) or 0), 0)
    own = {chat for chat in (comment.user_id, comment.chat_id, discussion_chat_id)
           if chat is not None}
    followers = (
        select(
            CommentFollow.chat_id,
            literal(comment.id).label("comment_id"),
            literal(0).label("thread_id"),
            literal("pending").label("status"),
            literal(0).label("attempts"),
            literal(now, UTCDateTime()).label("next_attempt_at"),
            literal(now, UTCDateTime()).label("created_at"),
        )
        .join(Chat, Chat.id == CommentFollow.chat_id)
        .where(CommentFollow.story_id == story_id, Chat.status == "active",
               CommentFollow.chat_id.not_in(sorted(own)))
    )
    result = await session.execute(
        dialect_insert(session, Delivery).from_select(
            ["chat_id", "comment_id", "thread_id", "status", "attempts", "next_attempt_at",
             "created_at"], followers,
        ).on_conflict_do_nothing())
    created += max(int(getattr(result, "rowcount", 0) or 0), 0)
    return created


async def sent_copies(session: AsyncSession, comment_id: int) -> list[tuple[int, int]]:
    """(chat, message id) of every copy of the comment Telegram has taken."""
    rows = await session.execute(
        select(Delivery.chat_id, Delivery.message_id)
        .where(Delivery.comment_id == comment_id, Delivery.message_id.is_not(None))
        .order_by(Delivery.id))
    return [(chat_id, message_id) for chat_id, message_id in rows.all()
            if message_id is not None]


async def copies_in_flight(session: AsyncSession, comment_id: int) -> int:
    """How many of the comment's copies an outbox is sending right now."""
    rows = await session.scalars(select(Delivery.id).where(
        Delivery.comment_id == comment_id, Delivery.status == "sending"))
    return len(rows.all())


async def skip_unsent(session: AsyncSession, comment_id: int, reason: str) -> int:
    """Skip the comment's copies not sent yet (it was deleted); rows being sent now are
    skipped by the outbox itself when it finds the comment gone."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.comment_id == comment_id, Delivery.status == "pending")
        .values(status="skipped", last_error=reason)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_copies(session: AsyncSession, comment_id: int) -> int:
    """Drop the outbox rows of a comment whose copies were deleted, so that publishing it
    again (an edit sent it back to the admins, who approved it) relays it afresh instead of
    finding every chat "already sent". Rows still being sent are left alone."""
    result = await session.execute(delete(Delivery).where(
        Delivery.comment_id == comment_id, Delivery.status != "sending"))
    return int(getattr(result, "rowcount", 0) or 0)


async def visible_comments(
    session: AsyncSession, comment_ids: Sequence[int]
) -> list[tuple[Comment, Article]]:
    """The published (visible) comments among ``comment_ids``, with their articles."""
    if not comment_ids:
        return []
    rows = await session.execute(
        select(Comment, Article).join(Article, Article.id == Comment.article_id)
        .where(Comment.id.in_(list(comment_ids)), Comment.status == "visible"))
    return [(row[0], row[1]) for row in rows.all()]
