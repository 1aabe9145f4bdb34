"""Language versions of one story: an article's ``story_id`` is the id of the story's first
stored version (its own id for a story of its own). Data access only; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import chunked
from storage.models import Article


@dataclass(frozen=True, slots=True)
class StoryLinks:
    """How a just-inserted article may belong to an earlier story: the canonical URLs of its
    declared language versions, and the story keys (its own and theirs)."""

    article_id: int
    canonical_urls: Sequence[str]
    story_keys: Sequence[str]


async def join_stories(session: AsyncSession, links: Sequence[StoryLinks]) -> None:
    """Make each just-inserted article a version of the earliest story stored before it that
    it links to (one SELECT for all, an UPDATE per article that joins one); an article that
    joins none starts a story of its own (``story_id`` = its id)."""
    urls = sorted({url for link in links for url in link.canonical_urls})
    keys = sorted({key for link in links for key in link.story_keys})
    known: list[tuple[int, int, str, str | None]] = []
    story = func.coalesce(Article.story_id, Article.id)
    columns = (Article.id, story, Article.canonical_url, Article.story_key)
    for column, values in ((Article.canonical_url, urls), (Article.story_key, keys)):
        for text_chunk in chunked(values):
            rows = await session.execute(select(*columns).where(column.in_(text_chunk)))
            known.extend((i, st, url, key) for i, st, url, key in rows)
    for link in links:
        wanted_urls, wanted_keys = set(link.canonical_urls), set(link.story_keys)
        earlier = [st for i, st, url, key in known if i < link.article_id
                   and (url in wanted_urls or key in wanted_keys)]
        if earlier:
            await session.execute(
                update(Article).where(Article.id == link.article_id)
                .values(story_id=min(earlier)))
    for id_chunk in chunked([link.article_id for link in links]):
        await session.execute(  # the rest start stories of their own, as insert_article's do
            update(Article).where(Article.id.in_(id_chunk), Article.story_id.is_(None))
            .values(story_id=Article.id))


def story_of(article: Article) -> int:
    """The story an article belongs to: its ``story_id``, else its own id."""
    return article.story_id if article.story_id is not None else article.id


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
