"""Data access for articles, where they were seen, and their topics and tags.

Functions take the caller's :class:`AsyncSession` and never commit. Inserts that can race with
another poller (the same explainer arriving from two feeds at once) use
``INSERT … ON CONFLICT DO NOTHING`` through :func:`dialect_insert`, which picks the SQLite or
PostgreSQL flavour of ``insert`` for the session's database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict, TypeVar, Unpack

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Article, ArticleSource, ArticleTag, ArticleTopic, Topic

_T = TypeVar("_T")

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


def chunked(values: Sequence[_T]) -> Iterable[Sequence[_T]]:
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
    for chunk in chunked(wanted):
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
    for chunk in chunked(wanted):
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
    #: The entry's comment feed (``wfw:commentRss``), polled for the website's comments.
    comment_feed_url: NotRequired[str | None]


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
    article.comment_feed_url = content.get("comment_feed_url")
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
    for chunk in chunked(wanted):
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
    for chunk in chunked(sorted(current - target)):
        await session.execute(
            delete(ArticleTag).where(ArticleTag.article_id == article_id, ArticleTag.tag.in_(chunk))
        )
    for chunk in chunked(sorted(target - current)):
        await session.execute(
            dialect_insert(session, ArticleTag)
            .values([{"article_id": article_id, "tag": tag} for tag in chunk])
            .on_conflict_do_nothing()
        )


@dataclass(frozen=True, slots=True)
class NewArticle:
    """One article for :func:`insert_new_articles`: a feed announced it under ``guid``."""

    canonical_url: str
    url: str
    guid: str
    content: ArticleContent
    topic_slugs: Sequence[str] = ()
    tags: Sequence[str] = ()
    language: str | None = None
    story_key: str | None = None


@dataclass(slots=True)
class InsertedArticles:
    """What :func:`insert_new_articles` stored: ``{canonical_url: id}`` of each new article,
    and the slugs of the known topics it tagged them with."""

    ids: dict[str, int] = field(default_factory=dict)
    topic_slugs: set[str] = field(default_factory=set)


async def insert_new_articles(
    session: AsyncSession, feed_id: int, articles: Sequence[NewArticle], now: datetime
) -> InsertedArticles:
    """Insert articles of feed ``feed_id`` with their source, topics and tags: one multi-row
    ``INSERT`` per table (per chunk of rows), ``RETURNING`` the new ids.

    The bulk form of :func:`insert_article` + :func:`add_article_source` +
    :func:`set_article_topics` + :func:`set_article_tags` for articles not stored before. An
    article whose canonical URL is already stored (another poller won the race) is left out of
    the result; the caller links it as :func:`insert_article` returning None would. Canonical
    URLs must be distinct."""
    inserted = InsertedArticles()
    if not articles:
        return inserted
    # Core executemany on the table: SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues",
    # RETURNING on both dialects) from one cached compiled statement, without ORM bookkeeping.
    rows = await session.execute(
        dialect_insert(session, _table(Article))
        .on_conflict_do_nothing(index_elements=[Article.canonical_url])
        .returning(Article.id, Article.canonical_url),
        [{"canonical_url": article.canonical_url, "url": article.url, "guid": article.guid,
          **article.content, "updated": False, "version": 1, "feed_id": feed_id,
          "created_at": now, "updated_at": now, "language": article.language,
          "story_key": article.story_key}
         for article in articles],
    )
    inserted.ids.update((url, article_id) for article_id, url in rows.all())
    stored = [article for article in articles if article.canonical_url in inserted.ids]
    if not stored:
        return inserted
    topic_ids: dict[str, int] = {}
    for chunk_slugs in chunked(sorted({slug for a in stored for slug in a.topic_slugs})):
        found = await session.execute(
            select(Topic.slug, Topic.id).where(Topic.slug.in_(chunk_slugs)))
        topic_ids.update((slug, topic_id) for slug, topic_id in found)
    sources = [{"article_id": inserted.ids[a.canonical_url], "feed_id": feed_id,
                "guid": a.guid, "first_seen_at": now} for a in stored]
    topics = [{"article_id": inserted.ids[a.canonical_url], "topic_id": topic_ids[slug]}
              for a in stored for slug in sorted(set(a.topic_slugs)) if slug in topic_ids]
    tags = [{"article_id": inserted.ids[a.canonical_url], "tag": tag}
            for a in stored for tag in sorted({tag for tag in a.tags if tag})]
    await _insert_rows(session, ArticleSource, sources,
                       [ArticleSource.feed_id, ArticleSource.guid])
    await _insert_rows(session, ArticleTopic, topics)
    await _insert_rows(session, ArticleTag, tags)
    inserted.topic_slugs.update(slug for a in stored for slug in a.topic_slugs
                                if slug in topic_ids)
    return inserted


async def _insert_rows(
    session: AsyncSession,
    model: type[Any],
    rows: Sequence[dict[str, Any]],
    conflict_columns: Sequence[Any] | None = None,
) -> None:
    """``INSERT … ON CONFLICT DO NOTHING`` of ``rows`` as a Core executemany."""
    if rows:
        await session.execute(
            dialect_insert(session, _table(model)).on_conflict_do_nothing(
                index_elements=conflict_columns),
            list(rows),
        )


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


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
