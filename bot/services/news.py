"""Pull side: /latest, /topic and /search answers from stored articles and topic summaries.

Nothing is summarised here: ingestion stores each article's summary and each topic's key
points, so a command is a couple of indexed reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ArticleCard, TopicTag
from bot.ingest.topic_matching import normalise_label
from bot.ingest.urls import canonical_url
from storage import articles as articles_dao
from storage import feeds as feeds_dao
from storage import search as search_dao
from storage import topics as topics_dao
from storage.models import Article

LATEST_LIMIT = 5
SEARCH_LIMIT = 10
#: Longer queries are cut to this many characters (a search needs a few words, not a page).
SEARCH_QUERY_CHARS = 200


@dataclass(frozen=True)
class TopicDigest:
    """A topic's stored key points: (point text, source title, canonical source url)."""

    topic: TopicTag
    points: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class TopicLookup:
    """The result of resolving what a reader typed after /topic."""

    topic: TopicTag | None
    candidates: tuple[TopicTag, ...]


def _fold(text: str) -> str:
    """What a reader typed and a topic's labels, compared: case, accents, apostrophe
    spellings, hyphens and punctuation do not count ("war-in-ukraine" is "War in Ukraine")."""
    return normalise_label(text)


async def load_card(session: AsyncSession, article_id: int) -> ArticleCard | None:
    """Everything the renderer needs to show one article."""
    article = await articles_dao.get_article(session, article_id)
    if article is None:
        return None
    return await _card(session, article)


async def _card(session: AsyncSession, article: Article) -> ArticleCard:
    topics = await articles_dao.article_topics(session, article.id)
    feed_name = None
    if article.feed_id is not None:
        feed = await feeds_dao.get_feed(session, article.feed_id)
        feed_name = feed.title or feed.name if feed else None
    return ArticleCard(
        title=article.title,
        url=article.canonical_url,  # what readers follow: no tracking parameters, no fragment
        summary=article.summary,
        topics=tuple(TopicTag(slug, name) for slug, name in topics),
        tags=tuple(await articles_dao.article_tags(session, article.id)),
        image_url=article.image_url,
        published_at=article.published_at,
        source=feed_name,
        updated=article.updated,
        author=article.author,
    )


class NewsService:
    """Answers the reader's pull commands."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        topic_aliases: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._sessions = session_factory
        # slug → the configured aliases and keywords that also name the topic, in any script
        self._aliases = {slug: tuple(_fold(alias) for alias in aliases)
                         for slug, aliases in (topic_aliases or {}).items()}

    def _labels(self, tag: TopicTag) -> tuple[str, ...]:
        return (_fold(tag.slug), _fold(tag.name), *self._aliases.get(tag.slug, ()))

    async def find_topic(self, query: str) -> TopicLookup:
        """Resolve a slug, a name, an alias or keyword, or an unambiguous part of one."""
        wanted = _fold(query)
        async with self._sessions() as session:
            topics = await topics_dao.list_active_topics(session)
        tags = [TopicTag(t.slug, t.name) for t in topics]
        if not wanted:
            return TopicLookup(None, tuple(tags))
        for tag in tags:
            if wanted in self._labels(tag):
                return TopicLookup(tag, ())
        partial = tuple(t for t in tags if any(wanted in label for label in self._labels(t)))
        if len(partial) == 1:
            return TopicLookup(partial[0], ())
        return TopicLookup(None, partial or tuple(tags))

    async def latest(self, limit: int = LATEST_LIMIT, topic_slug: str | None = None
                     ) -> list[ArticleCard]:
        """The newest explainers, optionally of one topic."""
        async with self._sessions() as session:
            articles = await articles_dao.latest_articles(session, limit, topic_slug)
            return [await _card(session, article) for article in articles]

    async def topic_digest(self, topic: TopicTag) -> TopicDigest:
        """The stored key points of a topic (empty if it has no explainers yet)."""
        async with self._sessions() as session:
            row = await topics_dao.get_topic_by_slug(session, topic.slug)
            stored = await topics_dao.get_topic_summary(session, row.id) if row else None
        # Key points stored before citations used canonical URLs still carry the feed's
        # link (tracking parameters and all): clean them on the way out.
        points = tuple(
            (str(p["text"]), str(p["title"]), canonical_url(str(p["url"])))
            for p in (stored.points if stored else [])
        )
        return TopicDigest(topic, points)

    async def search(self, words: str, limit: int = SEARCH_LIMIT) -> list[ArticleCard]:
        """Explainers whose title, summary or body hold the words, best match first.

        Case and (where the database allows) accents do not count; a query longer than
        SEARCH_QUERY_CHARS is cut; a query without letters or digits finds nothing."""
        query = words.strip()[:SEARCH_QUERY_CHARS]
        if not query or limit <= 0:
            return []
        async with self._sessions() as session:
            ids = await search_dao.search_articles(session, query, limit)
            cards = [await load_card(session, article_id) for article_id in ids]
        return [card for card in cards if card is not None]
