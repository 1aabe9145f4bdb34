"""Data access for comments. Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Comment, utcnow


async def add_comment(
    session: AsyncSession,
    *,
    article_id: int,
    author: str,
    text: str,
    chat_id: int | None,
    user_id: int | None,
    telegram_message_id: int | None,
    source: str = "telegram",
) -> Comment:
    """Store a visible comment (shown behind a spoiler)."""
    comment = Comment(
        article_id=article_id, source=source, chat_id=chat_id, user_id=user_id, author=author,
        text=text, spoiler=True, status="visible", telegram_message_id=telegram_message_id,
        created_at=utcnow(),
    )
    session.add(comment)
    await session.flush()
    return comment


async def visible_comments_of(
    session: AsyncSession, article_ids: Sequence[int], limit: int
) -> list[Comment]:
    """The oldest ``limit`` visible comments on any of ``article_ids`` (a story's versions)."""
    rows = await session.scalars(
        select(Comment)
        .where(Comment.article_id.in_(article_ids), Comment.status == "visible")
        .order_by(Comment.created_at, Comment.id)
        .limit(limit)
    )
    return list(rows.all())


async def count_visible_of(session: AsyncSession, article_ids: Sequence[int]) -> int:
    """How many visible comments ``article_ids`` have together."""
    count = await session.scalar(
        select(func.count(Comment.id)).where(
            Comment.article_id.in_(article_ids), Comment.status == "visible"
        )
    )
    return int(count or 0)
