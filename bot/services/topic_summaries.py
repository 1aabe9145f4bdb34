"""The stored key points of each topic, recomputed when the topic's articles change."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import IngestionSettings
from bot.ingest.processing import summary_input
from bot.ingest.topic_points import SourceArticle, summarize_topic
from bot.services.workers import CpuRunner
from bot.services.write_gate import WriteGate
from storage.articles import articles_for_topic
from storage.topics import get_topic_by_slug, get_topic_summary, save_topic_summary

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TopicSummaries:
    """Keeps each topic's key points in step with its newest articles.

    A topic's summary is keyed by the ids and versions of the articles it was made from, so
    an unchanged topic costs one read, and summarising runs with no session held.
    """

    session_factory: async_sessionmaker[AsyncSession]
    gate: WriteGate
    cpu: CpuRunner
    settings: IngestionSettings
    clock: Callable[[], datetime]

    async def refresh(self, topic_slugs: Iterable[str]) -> None:
        """Recompute the stored key points of these topics where their articles changed."""
        for slug in sorted(set(topic_slugs)):
            try:
                await self._refresh_one(slug)
            except Exception:  # CancelledError is no Exception: cancellation still propagates
                logger.exception("topic %r: could not refresh its summary", slug)

    async def _sources(
        self, session: AsyncSession, topic_id: int
    ) -> tuple[str, list[SourceArticle]]:
        articles = await articles_for_topic(session, topic_id,
                                            self.settings.topic_summary_articles)
        key = hashlib.sha256(
            ",".join(f"{article.id}:{article.version}" for article in articles).encode()
        ).hexdigest()
        sources = [
            SourceArticle(article_id=article.id, title=article.title, url=article.canonical_url,
                          text=summary_input(article.body or article.summary),
                          published_at=article.published_at or article.created_at)
            for article in articles
        ]
        return key, sources

    async def _refresh_one(self, slug: str) -> bool:
        async with self.session_factory() as session:
            topic = await get_topic_by_slug(session, slug)
            if topic is None:
                return False
            topic_id = topic.id
            key, sources = await self._sources(session, topic_id)
            stored = await get_topic_summary(session, topic_id)
            if stored is not None and stored.source_key == key:
                return False
        settings = self.settings
        points = await self.cpu.run(functools.partial(
            summarize_topic, sources, settings.topic_summary_points, settings.summary_sentences
        ))
        payload = [
            {"text": point.text, "article_id": point.article_id, "title": point.title,
             "url": point.url, "also_in": list(point.also_in)}
            for point in points
        ]
        async with self.gate.transaction() as session:
            current_key, _ = await self._sources(session, topic_id)
            if current_key != key:  # articles changed meanwhile; that poll refreshes it
                return False
            await save_topic_summary(session, topic_id, payload, key, self.clock())
        return True
