"""Data access for articles, where they were seen, and their topics and tags.

Functions take the caller's :class:`AsyncSession` and never commit. Inserts that can race with
another poller (the same explainer arriving from two feeds at once) use
``INSERT … ON CONFLICT DO NOTHING`` through :func:`dialect_insert`, which picks the SQLite or
PostgreSQL flavour of ``insert`` for the session's database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Article, ArticleSource, ArticleTag, ArticleTopic, Topic

#: Parameters per IN list; well below SQLite's and asyncpg's limits.
_IN_CHUNK = 500


def dialect_insert(
    session: AsyncSession, target: type[Any] | Table
) -> postgresql.Insert | sqlite.Insert:
    """Return the ``insert()`` of the session's dialect, which has ``on_conflict_do_*``."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(target)
    if name == "sqlite":
        return sqlite.insert(target)
    raise RuntimeError(f"newsbot supports SQLite and PostgreSQL, not {name!r}")


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


# --- lookups -----------------------------------------------------------------------------------


async def get_article(session: AsyncSession, article_id: int) -> Article | None:
    """Return the article with ``article_id``, or None."""
    return await session.get(Article, article_id)


async def find_article_by_source(
    session: AsyncSession, feed_id: int, guid: str
) -> Article | None:
    """Return the article a feed announced under ``guid``, or None."""
    found = await articles_by_source_guids(session, feed_id, [guid])
    return found.get(guid)


async def find_article_by_canonical_url(
    session: AsyncSession, canonical_url: str
) -> Article | None:
    """Return the article at ``canonical_url``, or None."""
    result: Article | None = await session.scalar(
        select(Article).where(Article.canonical_url == canonical_url)
    )
    return result


async def articles_by_source_guids(
    session: AsyncSession, feed_id: int, guids: Iterable[str]
) -> dict[str, Article]:
    """Return ``{guid: article}`` for the GUIDs this feed has announced before."""
    wanted = sorted(set(guids))
    found: dict[str, Article] = {}
    for chunk in _chunks(wanted):
        rows = await session.execute(
            select(ArticleSource.guid, Article)
            .join(Article, Article.id == ArticleSource.article_id)
            .where(ArticleSource.feed_id == feed_id, ArticleSource.guid.in_(chunk))
        )
        for guid, article in rows.all():
            found[guid] = article
    return found


async def articles_by_canonical_urls(
    session: AsyncSession, canonical_urls: Iterable[str]
) -> dict[str, Article]:
    """Return ``{canonical_url: article}`` for the URLs already stored."""
    wanted = sorted(set(canonical_urls))
    found: dict[str, Article] = {}
    for chunk in _chunks(wanted):
        rows = await session.scalars(select(Article).where(Article.canonical_url.in_(chunk)))
        for article in rows.all():
            found[article.canonical_url] = article
    return found


# --- writes ------------------------------------------------------------------------------------


class ArticleContent(TypedDict):
    """What one version of an article says: the fields a new version replaces."""

    title: str
    summary: str
    body: str
    image_url: str | None
    author: str | None
    comments_url: str | None
    published_at: datetime | None
    content_hash: str


async def insert_article(
    session: AsyncSession,
    *,
    canonical_url: str,
    url: str,
    guid: str | None,
    feed_id: int | None,
    now: datetime,
    language: str | None = None,
    story_key: str | None = None,
    **content: Unpack[ArticleContent],
) -> Article | None:
    """Insert a new article; return it, or None if its canonical URL is already stored
    (another poller won the race). Its story is set apart (:func:`set_article_story`)."""
    statement = (
        dialect_insert(session, Article)
        .values(
            canonical_url=canonical_url, url=url, guid=guid, **content, updated=False, version=1,
            feed_id=feed_id, created_at=now, updated_at=now, language=language,
            story_key=story_key,
        )
        .on_conflict_do_nothing(index_elements=[Article.canonical_url])
        .returning(Article)
    )
    result: Article | None = (await session.scalars(statement)).one_or_none()
    return result


async def update_article_content(
    session: AsyncSession,
    article: Article,
    *,
    now: datetime,
    **content: Unpack[ArticleContent],
) -> None:
    """Replace an article's content with a new version: ``updated``, ``version + 1``.

    A version without ``published_at`` keeps the date already stored."""
    article.title = content["title"]
    article.summary = content["summary"]
    article.body = content["body"]
    article.image_url = content["image_url"]
    article.author = content["author"]
    article.comments_url = content["comments_url"]
    if content["published_at"] is not None:
        article.published_at = content["published_at"]
    article.content_hash = content["content_hash"]
    article.updated = True
    article.version = article.version + 1
    article.updated_at = now
    await session.flush()


async def add_article_source(
    session: AsyncSession, article_id: int, feed_id: int, guid: str, now: datetime
) -> bool:
    """Record that ``feed_id`` announced the article under ``guid``; False if already known."""
    statement = (
        dialect_insert(session, ArticleSource)
        .values(article_id=article_id, feed_id=feed_id, guid=guid, first_seen_at=now)
        .on_conflict_do_nothing(index_elements=[ArticleSource.feed_id, ArticleSource.guid])
        .returning(ArticleSource.id)
    )
    inserted = (await session.execute(statement)).scalar_one_or_none()
    return inserted is not None


async def set_article_topics(
    session: AsyncSession, article_id: int, topic_slugs: Iterable[str]
) -> list[str]:
    """Make the article's topics exactly the known ones among ``topic_slugs``; return those."""
    wanted = sorted(set(topic_slugs))
    ids: dict[str, int] = {}
    for chunk in _chunks(wanted):
        rows = await session.execute(select(Topic.slug, Topic.id).where(Topic.slug.in_(chunk)))
        ids.update((slug, topic_id) for slug, topic_id in rows)
    current = set(
        (await session.scalars(
            select(ArticleTopic.topic_id).where(ArticleTopic.article_id == article_id)
        )).all()
    )
    target = set(ids.values())
    if current - target:
        await session.execute(
            delete(ArticleTopic).where(
                ArticleTopic.article_id == article_id,
                ArticleTopic.topic_id.in_(sorted(current - target)),
            )
        )
    if target - current:
        await session.execute(
            dialect_insert(session, ArticleTopic)
            .values([{"article_id": article_id, "topic_id": topic_id}
                     for topic_id in sorted(target - current)])
            .on_conflict_do_nothing()
        )
    return [slug for slug in wanted if slug in ids]


async def set_article_tags(session: AsyncSession, article_id: int, tags: Iterable[str]) -> None:
    """Make the article's tags exactly ``tags`` (compared as given), in bounded batches."""
    target = {tag for tag in tags if tag}
    current = set(
        (await session.scalars(
            select(ArticleTag.tag).where(ArticleTag.article_id == article_id)
        )).all()
    )
    for chunk in _chunks(sorted(current - target)):
        await session.execute(
            delete(ArticleTag).where(ArticleTag.article_id == article_id, ArticleTag.tag.in_(chunk))
        )
    for chunk in _chunks(sorted(target - current)):
        await session.execute(
            dialect_insert(session, ArticleTag)
            .values([{"article_id": article_id, "tag": tag} for tag in chunk])
            .on_conflict_do_nothing()
        )


# --- language versions (stories) --------------------------------------------------------------


def story_of(article: Article) -> int:
    """The story an article belongs to: its ``story_id``, else its own id."""
    return article.story_id if article.story_id is not None else article.id


async def find_story(
    session: AsyncSession, canonical_urls: Iterable[str], story_keys: Iterable[str]
) -> int | None:
    """The story of the earliest stored article at one of ``canonical_urls`` or with one of
    ``story_keys``, or None if there is none."""
    urls = sorted(set(canonical_urls))
    keys = sorted(set(story_keys))
    if not urls and not keys:
        return None
    story = func.coalesce(Article.story_id, Article.id)
    found: int | None = await session.scalar(
        select(func.min(story)).where(
            Article.canonical_url.in_(urls) | Article.story_key.in_(keys)
        )
    )
    return found


async def set_article_story(session: AsyncSession, article: Article, story_id: int) -> None:
    """Make ``article`` a version of story ``story_id`` (its own id: a story of its own)."""
    article.story_id = story_id
    await session.flush()


async def story_article_ids(session: AsyncSession, article_id: int) -> list[int]:
    """The ids of every version of the article's story (the article included), oldest first."""
    article = await session.get(Article, article_id)
    if article is None:
        return []
    story = story_of(article)
    rows = await session.scalars(
        select(Article.id)
        .where((Article.story_id == story) | (Article.id == story) | (Article.id == article_id))
        .order_by(Article.id)
    )
    return list(rows.all())


# --- reading for commands and summaries --------------------------------------------------------


def _newest_first() -> tuple[Any, ...]:
    return (func.coalesce(Article.published_at, Article.created_at).desc(), Article.id.desc())


async def latest_articles(
    session: AsyncSession, limit: int, topic_slug: str | None = None
) -> list[Article]:
    """Return the newest articles (by publication, else arrival), optionally of one topic."""
    statement = select(Article)
    if topic_slug is not None:
        statement = (
            statement.join(ArticleTopic, ArticleTopic.article_id == Article.id)
            .join(Topic, Topic.id == ArticleTopic.topic_id)
            .where(Topic.slug == topic_slug)
        )
    rows = await session.scalars(statement.order_by(*_newest_first()).limit(limit))
    return list(rows.all())


async def articles_for_topic(session: AsyncSession, topic_id: int, limit: int) -> list[Article]:
    """Return the newest ``limit`` articles of a topic."""
    rows = await session.scalars(
        select(Article)
        .join(ArticleTopic, ArticleTopic.article_id == Article.id)
        .where(ArticleTopic.topic_id == topic_id)
        .order_by(*_newest_first())
        .limit(limit)
    )
    return list(rows.all())


async def article_topic_slugs(session: AsyncSession, article_id: int) -> list[str]:
    """Return the slugs of an article's topics, sorted."""
    rows = await session.scalars(
        select(Topic.slug)
        .join(ArticleTopic, ArticleTopic.topic_id == Topic.id)
        .where(ArticleTopic.article_id == article_id)
        .order_by(Topic.slug)
    )
    return list(rows.all())


async def article_tags(session: AsyncSession, article_id: int) -> list[str]:
    """Return an article's tags, sorted."""
    rows = await session.scalars(
        select(ArticleTag.tag).where(ArticleTag.article_id == article_id).order_by(ArticleTag.tag)
    )
    return list(rows.all())


async def article_topics(session: AsyncSession, article_id: int) -> list[tuple[str, str]]:
    """Return an article's topics as (slug, name), by name."""
    rows = await session.execute(
        select(Topic.slug, Topic.name)
        .join(ArticleTopic, ArticleTopic.topic_id == Topic.id)
        .where(ArticleTopic.article_id == article_id)
        .order_by(Topic.name)
    )
    return [(slug, name) for slug, name in rows.all()]
