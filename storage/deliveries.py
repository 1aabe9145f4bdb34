"""Data access for the delivery outbox. Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import dialect_insert
from storage.models import (
    Article,
    ArticleTopic,
    Chat,
    Delivery,
    Subscription,
    UTCDateTime,
    utcnow,
)


async def enqueue_articles(session: AsyncSession, article_ids: Sequence[int]) -> int:
    """Create a pending delivery per active chat subscribed to a topic of each article's
    story, with the story's version in the chat's language (the first two letters of
    ``chats.language``), else its original (first stored) version.

    A chat gets one delivery per story (unique chat × story), so a translation stored after
    the story was queued is not pushed again; existing rows are left alone. One INSERT …
    SELECT per version, so the number of subscribers is not limited by bind parameters.
    Returns rows created."""
    now = utcnow()
    created = 0
    for story_id in await _stories(session, article_ids):
        versions = await _versions(session, story_id)
        if not versions:
            continue
        original, by_language = _choose_versions(story_id, versions)
        ids = [article_id for article_id, _ in versions]
        translated = {lang: vid for lang, vid in by_language.items() if vid != original}
        for language, article_id in translated.items():
            created += await _enqueue_version(
                session, story_id, article_id, ids, _chat_language() == language, now)
        others = _chat_language().is_(None) | _chat_language().not_in(sorted(translated))
        created += await _enqueue_version(session, story_id, original, ids, others, now)
    return created


async def _stories(session: AsyncSession, article_ids: Sequence[int]) -> list[int]:
    story = func.coalesce(Article.story_id, Article.id)
    rows = await session.execute(select(Article.id, story).where(Article.id.in_(article_ids)))
    found: dict[int, int] = dict(rows.all())
    return list(dict.fromkeys(found[i] for i in article_ids if i in found))


async def _versions(session: AsyncSession, story_id: int) -> list[tuple[int, str | None]]:
    rows = await session.execute(
        select(Article.id, Article.language)
        .where((Article.story_id == story_id) | (Article.id == story_id))
        .order_by(Article.id)
    )
    return [(article_id, language) for article_id, language in rows.all()]


def _choose_versions(
    story_id: int, versions: Sequence[tuple[int, str | None]]
) -> tuple[int, dict[str, int]]:
    """The original version and, per language, the version a chat reading it gets: the
    original if it is in that language, else the first stored one."""
    original = next((vid for vid, _ in versions if vid == story_id), versions[0][0])
    by_language: dict[str, int] = {}
    languages = dict(versions)
    if languages.get(original):
        by_language[str(languages[original])] = original
    for vid, language in versions:
        if language:
            by_language.setdefault(language, vid)
    return original, by_language


def _chat_language() -> ColumnElement[str | None]:
    return func.lower(func.substr(Chat.language, 1, 2))


async def _enqueue_version(
    session: AsyncSession,
    story_id: int,
    article_id: int,
    story_article_ids: Sequence[int],
    chats: ColumnElement[bool],
    now: datetime,
) -> int:
    chosen = (
        select(
            Subscription.chat_id,
            literal(article_id).label("article_id"),
            literal(story_id).label("story_id"),
            func.min(Subscription.thread_id).label("thread_id"),
            literal("pending").label("status"),
            literal(0).label("attempts"),
            literal(now, UTCDateTime()).label("next_attempt_at"),
            literal(now, UTCDateTime()).label("created_at"),
        )
        .join(ArticleTopic, ArticleTopic.topic_id == Subscription.topic_id)
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(ArticleTopic.article_id.in_(story_article_ids), Chat.status == "active", chats)
        .group_by(Subscription.chat_id)
    )
    statement = dialect_insert(session, Delivery).from_select(
        ["chat_id", "article_id", "story_id", "thread_id", "status", "attempts",
         "next_attempt_at", "created_at"],
        chosen,
    ).on_conflict_do_nothing()
    result = await session.execute(statement)
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> Sequence[Delivery]:
    """Mark up to ``limit`` due pending deliveries as sending and return them.

    On PostgreSQL concurrent workers skip each other's rows (FOR UPDATE SKIP LOCKED)."""
    query = (
        select(Delivery)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    deliveries = (await session.scalars(query)).all()
    for delivery in deliveries:
        delivery.status = "sending"
    await session.flush()
    return deliveries


async def release_stale_claims(session: AsyncSession) -> int:
    """Return rows left in 'sending' by a crash to 'pending' (at-least-once delivery)."""
    result = await session.execute(
        update(Delivery).where(Delivery.status == "sending").values(status="pending")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def skip_pending_for_chat(session: AsyncSession, chat_id: int, reason: str) -> None:
    """Skip every pending delivery of a chat that can no longer receive messages."""
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == chat_id, Delivery.status.in_(("pending", "sending")))
        .values(status="skipped", last_error=reason)
    )


async def find_by_message(
    session: AsyncSession, chat_id: int, message_id: int
) -> Delivery | None:
    """The delivery whose Telegram message is ``message_id`` in ``chat_id``."""
    return await session.scalar(
        select(Delivery).where(Delivery.chat_id == chat_id, Delivery.message_id == message_id)
    )
