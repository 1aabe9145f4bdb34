"""Feed entries against stored articles: what each entry is (new, changed, unchanged, or an
article seen before under another GUID or in another feed), and writing it — the article,
its new version, the feed that carries it, its topics and tags.

Deduplication: the same (feed, GUID) is the same article; otherwise the same canonical URL is.
Language versions: a new article joins the story of an article stored before it that it
links as an hreflang alternate, or that sits at the same canonical URL but for a language
prefix (``/uk/explainers/x`` and ``/explainers/x``); otherwise it starts a story of its own.
The feed that first carried an article owns its content: only that feed's changes make a new
version (``updated``, ``version + 1``); other feeds just record that they carry it.
Functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.ingest.languages import story_key
from bot.ingest.processing import PreparedEntry, ProcessedEntry
from storage.articles import (
    NewArticle,
    add_article_source,
    articles_by_canonical_urls,
    articles_by_source_guids,
    insert_article,
    insert_new_articles,
    set_article_tags,
    set_article_topics,
    update_article_content,
)
from storage.models import Article
from storage.stories import StoryLinks, join_stories


class EntryAction(Enum):
    """What storing an entry will do."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    LINK = "link"


@dataclass(slots=True)
class EntryPlan:
    """One entry, what to do with it, and (for new and changed ones) what to store."""

    prepared: PreparedEntry
    action: EntryAction
    processed: ProcessedEntry | None = None


@dataclass(slots=True)
class StoredEntries:
    """What :func:`store_entries` did; each entry counts once."""

    new_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    linked: int = 0
    unchanged: int = 0
    touched_topics: set[str] = field(default_factory=set)


async def classify_entries(
    session: AsyncSession, feed_id: int, prepared: Sequence[PreparedEntry]
) -> list[EntryPlan]:
    """Plan each entry of feed ``feed_id`` against the articles stored so far."""
    if not prepared:
        return []
    by_guid = await articles_by_source_guids(session, feed_id, [item.guid for item in prepared])
    by_url = await articles_by_canonical_urls(session, [item.canonical_url for item in prepared])
    return [_plan(feed_id, item, by_guid, by_url) for item in prepared]


def _plan(
    feed_id: int,
    item: PreparedEntry,
    by_guid: dict[str, Article],
    by_url: dict[str, Article],
) -> EntryPlan:
    article = by_guid.get(item.guid) or by_url.get(item.canonical_url)
    if article is None:
        return EntryPlan(item, EntryAction.NEW)
    owned = article.feed_id in (feed_id, None)
    if owned and article.content_hash != item.content_hash:
        return EntryPlan(item, EntryAction.CHANGED)
    if item.guid not in by_guid:
        return EntryPlan(item, EntryAction.LINK)
    return EntryPlan(item, EntryAction.UNCHANGED)


async def store_entries(
    session: AsyncSession, feed_id: int, plans: Sequence[EntryPlan], now: datetime
) -> StoredEntries:
    """Store the planned entries of feed ``feed_id``, looking each up again: another poller
    may have stored the same article since the entries were planned."""
    outcome = StoredEntries()
    pending = [plan for plan in plans if plan.action is not EntryAction.UNCHANGED]
    by_guid = await articles_by_source_guids(
        session, feed_id, [plan.prepared.guid for plan in pending])
    by_url = await articles_by_canonical_urls(
        session, [plan.prepared.canonical_url for plan in pending])
    fresh = [plan for plan in pending if plan.processed is not None
             and plan.prepared.guid not in by_guid and plan.prepared.canonical_url not in by_url]
    inserted = await insert_new_articles(
        session, feed_id, [_new_article(plan.processed) for plan in fresh
                           if plan.processed is not None], now)
    outcome.touched_topics.update(inserted.topic_slugs)
    await join_stories(session, [
        _story_links(inserted.ids[plan.processed.canonical_url], plan.processed)
        for plan in fresh
        if plan.processed is not None and plan.processed.canonical_url in inserted.ids])
    bulk = {id(plan) for plan in fresh}
    for plan in plans:
        if plan.action is EntryAction.UNCHANGED:
            outcome.unchanged += 1
            continue
        new_id = inserted.ids.get(plan.prepared.canonical_url)
        if new_id is not None and id(plan) in bulk:
            outcome.new_ids.append(new_id)
            continue
        await _store_entry(session, feed_id, plan, by_guid, by_url, outcome, now)
    return outcome


def _new_article(processed: ProcessedEntry) -> NewArticle:
    return NewArticle(
        canonical_url=processed.canonical_url, url=processed.url, guid=processed.guid,
        content={"title": processed.title, "summary": processed.summary,
                 "body": processed.body_text, "image_url": processed.image_url,
                 "author": processed.author, "comments_url": processed.comments_url,
                 "comment_feed_url": processed.comment_feed_url,
                 "published_at": processed.published_at,
                 "content_hash": processed.content_hash},
        topic_slugs=processed.topics, tags=processed.tags,
        language=processed.language, story_key=story_key(processed.canonical_url),
    )


def _story_links(article_id: int, processed: ProcessedEntry) -> StoryLinks:
    own = story_key(processed.canonical_url)
    return StoryLinks(
        article_id=article_id,
        canonical_urls=list(processed.alternate_urls),
        story_keys=[own, *(story_key(url) for url in processed.alternate_urls)],
    )


async def _store_entry(
    session: AsyncSession,
    feed_id: int,
    plan: EntryPlan,
    by_guid: dict[str, Article],
    by_url: dict[str, Article],
    outcome: StoredEntries,
    now: datetime,
) -> None:
    item = plan.prepared
    article = by_guid.get(item.guid) or by_url.get(item.canonical_url)
    processed = plan.processed
    if article is None and processed is not None:
        inserted = await insert_article(
            session,
            canonical_url=processed.canonical_url, url=processed.url, guid=processed.guid,
            title=processed.title, summary=processed.summary, body=processed.body_text,
            image_url=processed.image_url, author=processed.author,
            comments_url=processed.comments_url,
            comment_feed_url=processed.comment_feed_url, published_at=processed.published_at,
            content_hash=processed.content_hash, feed_id=feed_id, now=now,
            language=processed.language, story_key=story_key(processed.canonical_url),
        )
        if inserted is not None:
            await join_stories(session, [_story_links(inserted.id, processed)])
            await add_article_source(session, inserted.id, feed_id, item.guid, now)
            await _store_tagging(session, inserted.id, processed, outcome)
            outcome.new_ids.append(inserted.id)
            by_url[item.canonical_url] = inserted
            return
        # Another poller stored the same URL a moment ago: link to its article.
        found = await articles_by_canonical_urls(session, [item.canonical_url])
        article = found.get(item.canonical_url)
    if article is None:  # classified as known, but gone since: next poll will add it
        outcome.unchanged += 1
        return
    linked = await add_article_source(session, article.id, feed_id, item.guid, now)
    owned = article.feed_id in (feed_id, None)
    if owned and processed is not None and article.content_hash != processed.content_hash:
        await update_article_content(
            session, article,
            title=processed.title, summary=processed.summary, body=processed.body_text,
            image_url=processed.image_url, author=processed.author,
            comments_url=processed.comments_url,
            comment_feed_url=processed.comment_feed_url, published_at=processed.published_at,
            content_hash=processed.content_hash, now=now,
        )
        if processed.language is not None:
            article.language = processed.language
        if article.feed_id is None:
            article.feed_id = feed_id
        await _store_tagging(session, article.id, processed, outcome)
        outcome.updated_ids.append(article.id)
    elif linked:
        outcome.linked += 1
    else:
        outcome.unchanged += 1


async def _store_tagging(
    session: AsyncSession, article_id: int, processed: ProcessedEntry, outcome: StoredEntries
) -> None:
    stored = await set_article_topics(session, article_id, processed.topics)
    await set_article_tags(session, article_id, processed.tags)
    outcome.touched_topics.update(stored)


async def store_posted(
    session: AsyncSession, processed: ProcessedEntry, now: datetime
) -> int | None:
    """Store an explainer an admin posted by URL (no feed carries it yet): the article, its
    story, topics and tags. Returns its id, or None if its canonical URL is already stored.
    A feed that later carries the same URL owns it from then on (its first change of the
    content makes a new version)."""
    inserted = await insert_article(
        session,
        canonical_url=processed.canonical_url, url=processed.url, guid=processed.guid,
        title=processed.title, summary=processed.summary, body=processed.body_text,
        image_url=processed.image_url, author=processed.author,
        comments_url=processed.comments_url, comment_feed_url=processed.comment_feed_url,
        published_at=processed.published_at, content_hash=processed.content_hash,
        feed_id=None, now=now, language=processed.language,
        story_key=story_key(processed.canonical_url),
    )
    if inserted is None:
        return None
    await join_stories(session, [_story_links(inserted.id, processed)])
    await set_article_topics(session, inserted.id, processed.topics)
    await set_article_tags(session, inserted.id, processed.tags)
    return inserted.id
