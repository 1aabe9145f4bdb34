"""Data access for /latest: pages of the newest stories, read from ``ix_articles_newest``.

One entry per story (an article's language versions share ``story_id``), placed where its
newest version (among the articles that pass the topic filter) falls. Pages are keyset pages:
the cursor is the article a page's last story was placed by, so a story never shows twice
and new arrivals do not shift older pages. Functions take the caller's session, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import chunked
from storage.models import Article, ArticleTag, ArticleTopic, Chat, Feed, Subscription, Topic

#: Rows read per round while filling a page; versions of one story can take several rows.
_SCAN_ROWS = 64


def newest_key() -> Any:
    """The sort key of /latest: publication time, else arrival (the index's expression)."""
    return func.coalesce(Article.published_at, Article.created_at)


def _story() -> Any:
    return func.coalesce(Article.story_id, Article.id)


@dataclass(frozen=True, slots=True)
class PlacedStory:
    """A story on a page and the article (its newest matching version) that placed it."""

    story_id: int
    article_id: int


async def chat_reading_profile(
    session: AsyncSession, chat_id: int, thread_id: int
) -> tuple[str | None, list[int]]:
    """The chat's stored language and the topic ids it follows: those followed in forum
    thread ``thread_id`` if it follows any there, else every topic the chat follows."""
    language = await session.scalar(select(Chat.language).where(Chat.id == chat_id))
    rows = await session.execute(
        select(Subscription.topic_id, Subscription.thread_id)
        .where(Subscription.chat_id == chat_id)
    )
    pairs = rows.all()
    in_thread = sorted({topic for topic, thread in pairs if thread == thread_id})
    return language, in_thread or sorted({topic for topic, _ in pairs})


async def topic_id(session: AsyncSession, slug: str) -> int | None:
    """The id of the active topic ``slug``, or None."""
    found: int | None = await session.scalar(
        select(Topic.id).where(Topic.slug == slug, Topic.active.is_(True)))
    return found


async def topic_slug(session: AsyncSession, topic: int) -> str | None:
    """The slug of the active topic with id ``topic``, or None."""
    found: str | None = await session.scalar(
        select(Topic.slug).where(Topic.id == topic, Topic.active.is_(True)))
    return found


async def article_position(session: AsyncSession, article_id: int) -> datetime | None:
    """Where an article sits in the newest-first order (its sort key), or None if gone."""
    found: datetime | None = await session.scalar(
        select(newest_key()).where(Article.id == article_id))
    return found


def _in_topics(topic_ids: Sequence[int] | None) -> Any:
    if not topic_ids:
        return None
    return exists().where(ArticleTopic.article_id == Article.id,
                          ArticleTopic.topic_id.in_(list(topic_ids)))


async def newest_stories(
    session: AsyncSession,
    limit: int,
    topic_ids: Sequence[int] | None = None,
    after: tuple[datetime, int] | None = None,
) -> list[PlacedStory]:
    """Up to ``limit`` stories, newest first, with an article in ``topic_ids`` (any when
    None or empty), placed after the cursor ``after`` = (sort key, article id).

    Reads the index backwards in rounds of a few dozen rows; a story already placed before
    the cursor (a newer version of it passed the filter) is skipped, checked per round in
    one query."""
    key = newest_key()
    in_topics = _in_topics(topic_ids)
    placed: list[PlacedStory] = []
    seen: set[int] = set()
    cursor = after
    while len(placed) < limit:
        statement = select(Article.id, _story(), key).order_by(key.desc(), Article.id.desc())
        if in_topics is not None:
            statement = statement.where(in_topics)
        if cursor is not None:
            at, last_id = cursor
            statement = statement.where(key <= at, or_(key < at, Article.id < last_id))
        rows = (await session.execute(statement.limit(_SCAN_ROWS))).all()
        if not rows:
            break
        fresh = [(article_id, story) for article_id, story, _ in rows if story not in seen]
        earlier = (await _placed_before(session, [story for _, story in fresh], after,
                                        in_topics)) if after is not None else set()
        for article_id, story in fresh:
            if story in seen:
                continue
            seen.add(story)
            if story not in earlier:
                placed.append(PlacedStory(story, article_id))
                if len(placed) == limit:
                    break
        cursor = (rows[-1][2], rows[-1][0])
        if len(rows) < _SCAN_ROWS:
            break
    return placed


async def _placed_before(
    session: AsyncSession, stories: Sequence[int], after: tuple[datetime, int], in_topics: Any
) -> set[int]:
    """Which of ``stories`` have a version at or before the cursor (shown on earlier pages)."""
    if not stories:
        return set()
    at, last_id = after
    key = newest_key()
    found: set[int] = set()
    for chunk in chunked(sorted(set(stories))):
        statement = select(_story()).where(
            or_(Article.story_id.in_(chunk), Article.id.in_(chunk)),
            or_(key > at, and_(key == at, Article.id >= last_id)),
        )
        if in_topics is not None:
            statement = statement.where(in_topics)
        found.update((await session.scalars(statement)).all())
    return found


async def story_versions(
    session: AsyncSession, story_ids: Sequence[int]
) -> dict[int, list[tuple[int, str | None]]]:
    """``{story: [(article id, language), …]}`` (oldest first) for several stories at once."""
    versions: dict[int, list[tuple[int, str | None]]] = {story: [] for story in story_ids}
    for chunk in chunked(sorted(set(story_ids))):
        rows = await session.execute(
            select(Article.id, _story(), Article.language)
            .where(or_(Article.story_id.in_(chunk), Article.id.in_(chunk)))
            .order_by(Article.id)
        )
        for article_id, story, language in rows.all():
            if story in versions:
                versions[story].append((article_id, language))
    return versions


@dataclass(frozen=True, slots=True)
class CardRows:
    """What cards of several articles need, read in four queries whatever their number."""

    articles: dict[int, Article]
    topics: dict[int, list[tuple[str, str]]]
    tags: dict[int, list[str]]
    feed_names: dict[int, str]


async def card_rows(session: AsyncSession, article_ids: Sequence[int]) -> CardRows:
    """The articles, their topics (by name), tags (sorted) and feed names, batched."""
    wanted = sorted(set(article_ids))
    result = CardRows({}, {i: [] for i in wanted}, {i: [] for i in wanted}, {})
    for chunk in chunked(wanted):
        for article in (await session.scalars(select(Article).where(Article.id.in_(chunk)))):
            result.articles[article.id] = article
        topics = await session.execute(
            select(ArticleTopic.article_id, Topic.slug, Topic.name)
            .join(Topic, Topic.id == ArticleTopic.topic_id)
            .where(ArticleTopic.article_id.in_(chunk)).order_by(Topic.name))
        for article_id, slug, name in topics.all():
            result.topics[article_id].append((slug, name))
        tags = await session.execute(
            select(ArticleTag.article_id, ArticleTag.tag)
            .where(ArticleTag.article_id.in_(chunk)).order_by(ArticleTag.tag))
        for article_id, tag in tags.all():
            result.tags[article_id].append(tag)
    feed_ids = sorted({a.feed_id for a in result.articles.values() if a.feed_id is not None})
    for chunk in chunked(feed_ids):
        feeds = await session.execute(
            select(Feed.id, Feed.title, Feed.name).where(Feed.id.in_(chunk)))
        for feed_id, title, name in feeds.all():
            result.feed_names[feed_id] = title or name
    return result
