"""Data access for the website's comments: which explainers' comment feeds are due, their
polling state and health, and comments stored once per entry. Functions take a session and
never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import dialect_insert
from storage.models import Article, Comment, SiteCommentFeed

SITE_SOURCE = "site"
FEED = "feed"
NOT_FEED = "not_feed"


@dataclass(frozen=True, slots=True)
class CommentFeedCandidate:
    """An explainer whose comment feed is due, with its stored polling state (plain values)."""

    article_id: int
    comment_feed_url: str | None  # wfw:commentRss
    comments_url: str | None  # <comments>
    first_seen_at: datetime  # when we stored the explainer
    state_url: str | None  # the URL the state below belongs to (None: never polled)
    etag: str | None
    last_modified: str | None
    ever_succeeded: bool
    failures: int


async def due_comment_feeds(
    session: AsyncSession, *, now: datetime, seen_since: datetime, limit: int
) -> list[CommentFeedCandidate]:
    """Explainers first seen since ``seen_since`` that link comments and are due: never
    polled, due by their next poll time, or whose link changed since it was found to be no
    feed. The least recently polled first, at most ``limit``."""
    link = func.coalesce(Article.comment_feed_url, Article.comments_url)
    state = SiteCommentFeed
    rows = await session.execute(
        select(Article.id, Article.comment_feed_url, Article.comments_url, Article.created_at,
               state.url, state.etag, state.last_modified, state.last_success_at,
               state.consecutive_failures)
        .outerjoin(state, state.article_id == Article.id)
        .where(
            Article.created_at >= seen_since,
            link.is_not(None),
            or_(
                state.article_id.is_(None),
                state.url != link,
                and_(state.status == FEED,
                     or_(state.next_poll_at.is_(None), state.next_poll_at <= now)),
            ),
        )
        .order_by(state.last_polled_at.asc().nulls_first(), Article.id)
        .limit(limit)
    )
    return [
        CommentFeedCandidate(
            article_id=row[0], comment_feed_url=row[1], comments_url=row[2],
            first_seen_at=row[3], state_url=row[4], etag=row[5], last_modified=row[6],
            ever_succeeded=row[7] is not None, failures=row[8] or 0,
        )
        for row in rows.all()
    ]


async def comment_feed_for_update(
    session: AsyncSession, article_id: int, url: str, now: datetime
) -> SiteCommentFeed:
    """The polling state of ``article_id``'s comment feed, created if missing; a state kept
    for another URL (the entry's link changed) starts over for ``url``."""
    await session.execute(
        dialect_insert(session, SiteCommentFeed)
        .values(article_id=article_id, url=url, status=FEED, consecutive_failures=0,
                created_at=now)
        .on_conflict_do_nothing(index_elements=[SiteCommentFeed.article_id])
    )
    row = await session.get(SiteCommentFeed, article_id, populate_existing=True,
                            with_for_update=True)
    assert row is not None  # inserted above or already there
    if row.url != url:
        row.url, row.status, row.etag, row.last_modified = url, FEED, None, None
        row.consecutive_failures, row.last_success_at = 0, None
    return row


async def add_site_comment(
    session: AsyncSession,
    *,
    article_id: int,
    key: str,
    author: str,
    text: str,
    created_at: datetime,
) -> int | None:
    """Store a website comment, visible at once; return its id, or None if this entry
    (``key``) is already stored for the article."""
    statement = (
        dialect_insert(session, Comment)
        .values(article_id=article_id, source=SITE_SOURCE, site_key=key, author=author,
                text=text, spoiler=True, status="visible", created_at=created_at)
        .on_conflict_do_nothing(index_elements=[Comment.article_id, Comment.site_key])
        .returning(Comment.id)
    )
    new_id: int | None = (await session.execute(statement)).scalar_one_or_none()
    return new_id
