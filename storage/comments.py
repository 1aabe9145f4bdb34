"""Data access for comments. Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.articles import dialect_insert
from storage.models import Article, Comment, Commenter, Delivery, utcnow


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
    session: AsyncSession, article_ids: Sequence[int], limit: int, offset: int = 0
) -> list[Comment]:
    """Visible comments on any of ``article_ids`` (a story's versions), oldest first: ``limit``
    of them after the first ``offset``."""
    rows = await session.scalars(
        select(Comment)
        .where(Comment.article_id.in_(article_ids), Comment.status == "visible")
        .order_by(Comment.created_at, Comment.id)
        .offset(offset)
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


async def visible_counts(session: AsyncSession, article_ids: Sequence[int]) -> dict[int, int]:
    """Article id → visible comments on its story (all its language versions), for the
    articles that have any; one query for a whole batch."""
    if not article_ids:
        return {}
    wanted = (select(Article.id.label("article_id"),
                     func.coalesce(Article.story_id, Article.id).label("story"))
              .where(Article.id.in_(article_ids)).subquery())
    version = aliased(Article)
    rows = await session.execute(
        select(wanted.c.article_id, func.count(Comment.id))
        .select_from(wanted)
        .join(version, func.coalesce(version.story_id, version.id) == wanted.c.story)
        .join(Comment, Comment.article_id == version.id)
        .where(Comment.status == "visible")
        .group_by(wanted.c.article_id))
    return {int(article_id): int(count) for article_id, count in rows}


async def hold_comment(
    session: AsyncSession,
    *,
    article_id: int,
    author: str,
    text: str,
    body_html: str | None,
    chat_id: int,
    user_id: int,
    telegram_message_id: int | None,
    status: str,
    held_reason: str | None = None,
) -> Comment:
    """Store a comment from Telegram with its formatting, in ``status`` (visible, or held:
    consent / pending)."""
    comment = Comment(
        article_id=article_id, source="telegram", chat_id=chat_id, user_id=user_id,
        author=author, text=text, body_html=body_html, spoiler=True, status=status,
        held_reason=held_reason, telegram_message_id=telegram_message_id, created_at=utcnow(),
    )
    session.add(comment)
    await session.flush()
    return comment


async def get_comment(session: AsyncSession, comment_id: int) -> Comment | None:
    """The comment with this id, or None; its row locked until the transaction ends (on
    PostgreSQL), so a delete and an approval at the same moment take turns."""
    return await session.get(Comment, comment_id, with_for_update=True, populate_existing=True)


async def comments_awaiting_consent(session: AsyncSession, user_id: int) -> list[Comment]:
    """The user's comments held until they choose the name to publish under, oldest first."""
    rows = await session.scalars(
        select(Comment)
        .where(Comment.user_id == user_id, Comment.status == "consent")
        .order_by(Comment.created_at, Comment.id)
    )
    return list(rows.all())


async def count_recent_by_user(session: AsyncSession, user_id: int, since: datetime) -> int:
    """How many comments (in any state) the user wrote since ``since``."""
    count = await session.scalar(
        select(func.count(Comment.id)).where(
            Comment.user_id == user_id, Comment.created_at >= since
        )
    )
    return int(count or 0)


async def has_published(session: AsyncSession, user_id: int) -> bool:
    """Whether the user has at least one visible comment."""
    found = await session.scalar(
        select(Comment.id).where(Comment.user_id == user_id, Comment.status == "visible").limit(1)
    )
    return found is not None


async def get_commenter(session: AsyncSession, user_id: int) -> Commenter | None:
    """What is remembered about a commenter, or None for a first-time one."""
    return await session.get(Commenter, user_id)


async def commenter_for_update(session: AsyncSession, user_id: int) -> Commenter:
    """The commenter row of ``user_id``, created if missing."""
    await session.execute(
        dialect_insert(session, Commenter)
        .values(user_id=user_id, banned=False, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[Commenter.user_id])
    )
    commenter = await session.get(Commenter, user_id, populate_existing=True,
                                  with_for_update=True)
    assert commenter is not None  # inserted above or already there
    return commenter


async def explainers_at_message(
    session: AsyncSession, chat_id: int, message_id: int
) -> list[tuple[int, str]]:
    """The explainers (article id, title) the bot's message ``message_id`` in ``chat_id``
    carried, in delivery order: one for a pushed explainer, several for a digest or a list
    (their deliveries share the message)."""
    rows = await session.execute(
        select(Article.id, Article.title)
        .join(Delivery, Delivery.article_id == Article.id)
        .where(Delivery.chat_id == chat_id, Delivery.message_id == message_id)
        .order_by(Delivery.id)
    )
    seen: dict[int, str] = {}
    for article_id, title in rows.all():
        seen.setdefault(article_id, title or "")
    return list(seen.items())


async def comment_of_message(
    session: AsyncSession, chat_id: int, message_id: int
) -> Comment | None:
    """The comment stored from the reader's message ``message_id`` in ``chat_id`` (not a
    deleted one), or None."""
    return await session.scalar(
        select(Comment)
        .where(Comment.chat_id == chat_id, Comment.telegram_message_id == message_id,
               Comment.status != "deleted")
        .with_for_update()
        .order_by(Comment.id.desc())
        .limit(1)
    )
