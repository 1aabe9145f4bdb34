"""Data access for the admin console: admins added from Telegram, the audit log, comment bans
and the moderation queue. Functions take a session and never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import dialect_insert
from storage.models import AdminAuditLog, Article, BotAdmin, Comment, Commenter, utcnow


async def stored_admins(session: AsyncSession) -> list[BotAdmin]:
    """The admins added from Telegram, oldest first."""
    rows = await session.scalars(select(BotAdmin).order_by(BotAdmin.added_at, BotAdmin.user_id))
    return list(rows.all())


async def is_stored_admin(session: AsyncSession, user_id: int) -> bool:
    """Whether ``user_id`` was added as an admin from Telegram."""
    return await session.get(BotAdmin, user_id) is not None


async def add_admin(session: AsyncSession, user_id: int, added_by: int) -> bool:
    """Store ``user_id`` as an admin; False if it already was one."""
    result = await session.execute(
        dialect_insert(session, BotAdmin)
        .values(user_id=user_id, added_by=added_by, added_at=utcnow())
        .on_conflict_do_nothing(index_elements=[BotAdmin.user_id])
    )
    return bool(getattr(result, "rowcount", 0))


async def remove_admin(session: AsyncSession, user_id: int) -> bool:
    """Forget the stored admin ``user_id``; False if it was not one."""
    result = await session.execute(delete(BotAdmin).where(BotAdmin.user_id == user_id))
    return bool(getattr(result, "rowcount", 0))


async def record_action(
    session: AsyncSession, admin_id: int, action: str, target: str | None,
    details: dict[str, Any] | None = None,
) -> AdminAuditLog:
    """Add one entry to the audit log."""
    entry = AdminAuditLog(admin_id=admin_id, action=action, target=target,
                          details=details or {}, created_at=utcnow())
    session.add(entry)
    await session.flush()
    return entry


async def latest_actions(session: AsyncSession, limit: int) -> list[AdminAuditLog]:
    """The newest ``limit`` audit entries, newest first."""
    rows = await session.scalars(
        select(AdminAuditLog).order_by(AdminAuditLog.created_at.desc(),
                                       AdminAuditLog.id.desc()).limit(limit)
    )
    return list(rows.all())


async def set_comment_ban(session: AsyncSession, user_id: int, banned: bool,
                          by: int) -> bool:
    """Ban (or unban) ``user_id`` from commenting; False if it already was so."""
    await session.execute(
        dialect_insert(session, Commenter)
        .values(user_id=user_id, banned=False, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[Commenter.user_id])
    )
    commenter = await session.get(Commenter, user_id, populate_existing=True,
                                  with_for_update=True)
    assert commenter is not None  # inserted above or already there
    if commenter.banned == banned:
        return False
    commenter.banned = banned
    commenter.banned_by = by if banned else None
    return True


async def held_comments(session: AsyncSession, limit: int) -> tuple[int, list[tuple[Comment,
                                                                                   Article]]]:
    """How many comments wait for an admin, and the oldest ``limit`` of them with their
    articles."""
    total = await session.scalar(select(func.count(Comment.id)).where(Comment.status == "pending"))
    rows = await session.execute(
        select(Comment, Article).join(Article, Article.id == Comment.article_id)
        .where(Comment.status == "pending").order_by(Comment.created_at, Comment.id).limit(limit)
    )
    return int(total or 0), [(comment, article) for comment, article in rows.all()]
