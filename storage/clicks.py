"""Data access for click tracking: tracked links (one per explainer) and their daily click
counts. Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import dialect_insert
from storage.models import LinkClick, TrackedLink, utcnow


async def article_links(
    session: AsyncSession, urls: Mapping[int, str], new_token: Callable[[], str]
) -> dict[int, str]:
    """article id → its link's token, for every article in ``urls`` (article id → the URL
    the link leads to). Missing links are inserted in one statement (a concurrent writer's
    row wins: ON CONFLICT DO NOTHING), a changed URL is brought up to date."""
    if not urls:
        return {}
    ids = sorted(urls)
    known = {row.article_id: row for row in await session.execute(
        select(TrackedLink.article_id, TrackedLink.token, TrackedLink.url)
        .where(TrackedLink.article_id.in_(ids)))}
    missing = [article_id for article_id in ids if article_id not in known]
    if missing:
        now = utcnow()
        await session.execute(dialect_insert(session, TrackedLink).values([
            {"token": new_token(), "article_id": article_id, "url": urls[article_id],
             "created_at": now} for article_id in missing
        ]).on_conflict_do_nothing())
        known = {row.article_id: row for row in await session.execute(
            select(TrackedLink.article_id, TrackedLink.token, TrackedLink.url)
            .where(TrackedLink.article_id.in_(ids)))}
    for article_id, row in known.items():
        if row.url != urls[article_id]:  # the publisher moved the article
            await session.execute(update(TrackedLink).where(
                TrackedLink.article_id == article_id).values(url=urls[article_id]))
    return {article_id: row.token for article_id, row in known.items()}


async def count_click(session: AsyncSession, token: str, day: date) -> str | None:
    """Count one click on the link ``token`` on ``day``; its target URL, or None (nothing
    counted) for an unknown token."""
    link = (await session.execute(
        select(TrackedLink.id, TrackedLink.url).where(TrackedLink.token == token))).first()
    if link is None:
        return None
    insert = dialect_insert(session, LinkClick).values(link_id=link.id, day=day, clicks=1)
    await session.execute(insert.on_conflict_do_update(
        index_elements=[LinkClick.link_id, LinkClick.day],
        set_={"clicks": LinkClick.clicks + 1}))
    return str(link.url)


async def broadcast_link(session: AsyncSession, broadcast_id: int, url: str,
                         new_token: Callable[[], str]) -> str:
    """The token of the broadcast's tracked link to ``url`` (made on first use)."""
    token = await session.scalar(
        select(TrackedLink.token).where(TrackedLink.broadcast_id == broadcast_id,
                                        TrackedLink.url == url).order_by(TrackedLink.id).limit(1))
    if token is not None:
        return str(token)
    token = new_token()
    session.add(TrackedLink(token=token, broadcast_id=broadcast_id, url=url, created_at=utcnow()))
    await session.flush()
    return token
