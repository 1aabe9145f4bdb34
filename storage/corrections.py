"""Data access for corrections: sent explainers whose article has a newer version.

A delivery records the article version it showed (``sent_version``; NULL, from before the
column was filled, reads as 1). When ingestion stores a new version (``articles.version``
goes up), every sent message of that article is due a correction until ``sent_version``
catches up. Functions take a session and never commit.

The query starts from the updated articles (``version > 1``, a small share of the table) and
reaches their deliveries through ``deliveries.article_id``, so it does not walk every sent
delivery; an index on ``deliveries.article_id`` keeps that join cheap on a large outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Article, Delivery


@dataclass(frozen=True, slots=True)
class DueCorrection:
    """One sent message that shows an older version of its article.

    ``shared``: other deliveries of the same chat carry the same message_id — a coalesced or
    digest message listing several explainers, not this article's own message."""

    delivery_id: int
    chat_id: int
    thread_id: int
    message_id: int
    article_id: int
    version: int  # the article's current version: what the correction shows
    shared: bool


async def due_corrections(session: AsyncSession, limit: int) -> list[DueCorrection]:
    """Up to ``limit`` sent article deliveries (not broadcasts) with a message_id whose
    ``sent_version`` (NULL read as 1) is below the article's current version, by article."""
    other = aliased(Delivery)
    shared = (
        select(other.id)
        .where(
            other.chat_id == Delivery.chat_id,
            other.message_id == Delivery.message_id,
            other.id != Delivery.id,
        )
        .exists()
    )
    query = (
        select(
            Delivery.id,
            Delivery.chat_id,
            Delivery.thread_id,
            Delivery.message_id,
            Delivery.article_id,
            Article.version,
            shared,
        )
        .join(Article, Article.id == Delivery.article_id)
        .where(
            Article.version > 1,
            Delivery.status == "sent",
            Delivery.message_id.is_not(None),
            Delivery.broadcast_id.is_(None),
            func.coalesce(Delivery.sent_version, 1) < Article.version,
        )
        .order_by(Delivery.article_id, Delivery.id)
        .limit(limit)
    )
    due: list[DueCorrection] = []
    for delivery_id, chat_id, thread_id, message_id, article_id, version, is_shared in (
        await session.execute(query)
    ):
        if message_id is None or article_id is None:  # excluded above; narrows the types
            continue
        due.append(DueCorrection(delivery_id, chat_id, thread_id or 0, message_id, article_id,
                                 version, bool(is_shared)))
    return due


async def mark_corrected(
    session: AsyncSession, delivery_ids_with_versions: Sequence[tuple[int, int]]
) -> None:
    """Record that each delivery now shows ``version`` of its article (one executemany).

    Never lowers a ``sent_version``: a slower run that rendered an older version does not
    undo a newer one's record."""
    if not delivery_ids_with_versions:
        return
    statement = (
        update(Delivery)
        .where(
            Delivery.id == bindparam("delivery_id"),
            func.coalesce(Delivery.sent_version, 0) < bindparam("version"),
        )
        .values(sent_version=bindparam("version"))
    )
    connection = await session.connection()  # Core executemany: one statement, many rows
    await connection.execute(
        statement,
        [{"delivery_id": delivery_id, "version": version}
         for delivery_id, version in delivery_ids_with_versions],
    )
