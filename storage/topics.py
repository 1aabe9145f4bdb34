"""Data access for topics and their stored summaries. Functions never commit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import dialect_insert
from storage.models import Topic, TopicSummary


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic of the configured catalogue, as :func:`sync_topics` stores it."""

    slug: str
    name: str
    #: The name in other interface languages ({"uk": "Війна в Україні"}).
    names: Mapping[str, str] = field(default_factory=dict)


async def sync_topics(session: AsyncSession, topics: Sequence[TopicSpec]) -> list[Topic]:
    """Mirror the config's topic catalogue: add new topics, rename changed ones, deactivate
    topics no longer listed (their articles and subscriptions stay). Returns them in order.
    A topic's names in other languages follow the config too."""
    existing = {topic.slug: topic for topic in (await session.scalars(select(Topic))).all()}
    configured: list[Topic] = []
    for spec in topics:
        topic = existing.get(spec.slug)
        if topic is None:
            topic = Topic(slug=spec.slug, name=spec.name, names=dict(spec.names),
                          active=True)
            session.add(topic)
        else:
            if topic.name != spec.name:
                topic.name = spec.name
            if (topic.names or {}) != dict(spec.names):
                topic.names = dict(spec.names)
            if not topic.active:
                topic.active = True
        configured.append(topic)
    wanted = {spec.slug for spec in topics}
    for slug, topic in existing.items():
        if slug not in wanted and topic.active:
            topic.active = False
    await session.flush()
    return configured


async def get_topic_by_slug(session: AsyncSession, slug: str) -> Topic | None:
    """Return the topic with ``slug``, or None."""
    result: Topic | None = await session.scalar(select(Topic).where(Topic.slug == slug))
    return result


async def list_active_topics(session: AsyncSession) -> list[Topic]:
    """Return the active topics, by name."""
    rows = await session.scalars(
        select(Topic).where(Topic.active.is_(True)).order_by(Topic.name, Topic.id)
    )
    return list(rows.all())


async def topic_ids_by_slug(session: AsyncSession, slugs: Iterable[str]) -> dict[str, int]:
    """Return ``{slug: id}`` for the known topics among ``slugs``."""
    wanted = sorted(set(slugs))
    if not wanted:
        return {}
    rows = await session.execute(select(Topic.slug, Topic.id).where(Topic.slug.in_(wanted)))
    return dict(rows.all())


async def get_topic_summary(session: AsyncSession, topic_id: int) -> TopicSummary | None:
    """Return the stored key points of a topic, or None if none were computed yet."""
    return await session.get(TopicSummary, topic_id)


async def get_topic_summary_by_slug(session: AsyncSession, slug: str) -> TopicSummary | None:
    """Return the stored key points of the topic with ``slug``, or None."""
    result: TopicSummary | None = await session.scalar(
        select(TopicSummary).join(Topic, Topic.id == TopicSummary.topic_id)
        .where(Topic.slug == slug)
    )
    return result


async def save_topic_summary(
    session: AsyncSession,
    topic_id: int,
    points: list[dict[str, Any]],
    source_key: str,
    computed_at: datetime,
) -> None:
    """Store (insert or replace) the key points of a topic; safe against a concurrent save."""
    values = {"points": points, "source_key": source_key, "computed_at": computed_at}
    await session.execute(
        dialect_insert(session, TopicSummary)
        .values(topic_id=topic_id, **values)
        .on_conflict_do_update(index_elements=[TopicSummary.topic_id], set_=values)
    )
