"""Tracked links and click counts on both databases: one token per explainer however often
it is asked for, a moved article's link follows it, clicks add up per UTC day, unknown or
malformed tokens count nothing; and a chat's status change is stamped for churn."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.clicks import ClickTracker
from storage import chats as chats_dao
from storage.db import write_session
from storage.models import Article, Chat, LinkClick, TrackedLink, utcnow

PUBLIC = "https://news.example.com"


async def make_article(sessions: async_sessionmaker[AsyncSession], slug: str) -> int:
    """One stored explainer; its id."""
    now = utcnow()
    async with sessions() as session, session.begin():
        article = Article(canonical_url=f"https://e.org/{slug}", url=f"https://e.org/{slug}",
                          title=slug, content_hash=slug, created_at=now, updated_at=now)
        session.add(article)
        await session.flush()
        return article.id


async def test_one_link_per_explainer_and_clicks_per_day(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Asked twice (and by a second tracker, as another process), an explainer keeps its
    token; a new URL moves the link's target; clicks add up per day; unknown tokens are
    None and count nothing."""
    first = await make_article(session_factory, "a")
    second = await make_article(session_factory, "b")
    day = [datetime(2026, 12, 1, 23, 0, tzinfo=UTC)]
    tracker = ClickTracker(session_factory, PUBLIC, clock=lambda: day[0])
    urls = await tracker.read_urls({first: "https://e.org/a", second: "https://e.org/b"})
    assert set(urls) == {first, second}
    assert all(url.startswith(f"{PUBLIC}/r/") for url in urls.values())
    other = ClickTracker(session_factory, PUBLIC)
    assert await other.read_urls({first: "https://e.org/a"}) == {first: urls[first]}
    assert await tracker.read_urls({first: "https://e.org/a2"}) == {first: urls[first]}
    token = urls[first].rsplit("/", 1)[1]
    assert await tracker.click(token) == "https://e.org/a2"
    assert await tracker.click(token) == "https://e.org/a2"
    day[0] = datetime(2026, 12, 2, 0, 1, tzinfo=UTC)
    assert await tracker.click(token) == "https://e.org/a2"
    assert await tracker.click("NoSuchToken12") is None
    assert await tracker.click("../etc/passwd") is None
    async with session_factory() as session:
        counted = {(row.day, row.clicks) for row in await session.scalars(select(LinkClick))}
        links = len(list(await session.scalars(select(TrackedLink))))
    assert counted == {(date(2026, 12, 1), 2), (date(2026, 12, 2), 1)}
    assert links == 2


async def test_a_status_change_is_stamped(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Blocking a chat stamps status_changed_at; setting the same status again does not."""
    async with write_session(session_factory) as session:
        await chats_dao.upsert_chat(session, chat_id=5, type="private", title=None,
                                    username=None)
    async with write_session(session_factory) as session:
        await chats_dao.set_chat_status(session, 5, "blocked")
    async with session_factory() as session:
        stamped = await session.scalar(select(Chat.status_changed_at).where(Chat.id == 5))
    assert stamped is not None
    async with write_session(session_factory) as session:
        await chats_dao.set_chat_status(session, 5, "blocked")
    async with session_factory() as session:
        assert await session.scalar(
            select(Chat.status_changed_at).where(Chat.id == 5)) == stamped
