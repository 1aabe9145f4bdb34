"""Full-text search on both databases: ranking, scripts, accents, hostile input, changes."""

from __future__ import annotations

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.news import SEARCH_QUERY_CHARS, NewsService
from storage.articles import get_article, update_article_content
from storage.models import Article, utcnow
from storage.search import MAX_TERMS, search_articles

HOSTILE_QUERIES = (
    '"', '""', '"energy', "*", "energy*", "NEAR(energy grid)", "NEAR", "-energy", "energy -grid",
    "(energy", "energy)", "title:energy", "energy AND OR NOT", "^energy", "energy + grid",
    "'", "''", "\\", "energy:*", "& | ! <->", "energy & !grid", "{title summary}: energy",
    "a" * 300, "💡 ⚡", "،؟", "_", "energy_grid", "²", " ".join(["energy"] * 40),
)


async def make_article(
    sessions: async_sessionmaker[AsyncSession], slug: str, *, title: str,
    summary: str = "", body: str = "",
) -> int:
    """An explainer with the given words; returns its id."""
    now = utcnow()
    async with sessions() as session, session.begin():
        article = Article(
            canonical_url=f"https://e.org/{slug}", url=f"https://e.org/{slug}", guid=slug,
            title=title, summary=summary, body=body, content_hash=slug,
            created_at=now, updated_at=now,
        )
        session.add(article)
        await session.flush()
        return article.id


async def search(sessions: async_sessionmaker[AsyncSession], query: str,
                 limit: int = 10) -> list[int]:
    """What storage.search finds for ``query``."""
    async with sessions() as session:
        return await search_articles(session, query, limit)


async def test_title_match_ranks_above_body_only_match(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """An explainer with the word in its title comes before one with it only in the body."""
    body_only = await make_article(
        session_factory, "body", title="What the winter holds",
        summary="Cold months ahead.", body="Repairs to the power grid continue in winter.")
    titled = await make_article(
        session_factory, "title", title="How the power grid survives",
        summary="Engineers explain.", body="Substations and lines.")
    await make_article(session_factory, "other", title="Grain exports", body="Ports reopen.")
    assert await search(session_factory, "grid") == [titled, body_only]
    assert await search(session_factory, "power grid") == [titled, body_only]


async def test_summary_match_ranks_above_body_only_match(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A word in the summary counts more than the same word in the body."""
    body_only = await make_article(session_factory, "b", title="One", body="About sanctions.")
    summary = await make_article(session_factory, "s", title="Two", summary="About sanctions.")
    assert await search(session_factory, "sanctions") == [summary, body_only]


async def test_only_the_newest_matches_are_ranked(
    session_factory: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A better match older than the ranking window (at least the limit) is left out; inside
    the window, rank decides."""
    monkeypatch.setattr("storage.search.RANK_WINDOW", 2)
    await make_article(session_factory, "old", title="Sanctions and sanctions", body="sanctions")
    body_only = await make_article(session_factory, "b", title="One", body="About sanctions.")
    titled = await make_article(session_factory, "t", title="Sanctions widen", body="Ports.")
    assert await search(session_factory, "sanctions", limit=1) == [titled]
    assert await search(session_factory, "sanctions", limit=2) == [titled, body_only]


async def test_ukrainian_words_match_in_any_case(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Cyrillic is matched case-insensitively, whole words and the start of the last word."""
    uk = await make_article(
        session_factory, "uk", title="Енергосистема України витримала зиму",
        summary="Що допомогло енергетикам.", body="Ремонт підстанцій тривав усю ніч.")
    await make_article(session_factory, "en", title="The energy system", body="Winter.")
    assert await search(session_factory, "енергосистема") == [uk]
    assert await search(session_factory, "ЕНЕРГОСИСТЕМА україни") == [uk]
    assert await search(session_factory, "енергосис") == [uk]  # the last word as a prefix
    assert await search(session_factory, "підстанцій") == [uk]
    assert await search(session_factory, "зима") == []  # no stemming: a whole word or a prefix


async def test_accents_and_case_do_not_count(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """"CAFE" finds "Café" and "café" finds "cafe"."""
    accented = await make_article(session_factory, "fr", title="Le Café de Kyiv")
    plain = await make_article(session_factory, "en", title="Kyiv cafe culture",
                               body="Coffee is a cafe thing, a cafe habit.")
    assert set(await search(session_factory, "CAFE")) == {accented, plain}
    assert set(await search(session_factory, "café")) == {accented, plain}


async def test_query_syntax_is_plain_text(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Quotes, stars, NEAR, minus, brackets, column filters and tsquery operators never
    error: they are taken as words or ignored."""
    energy = await make_article(session_factory, "e", title="Energy grid explained")
    for query in HOSTILE_QUERIES:
        found = await search(session_factory, query)
        assert found in ([], [energy]), query
    assert await search(session_factory, "NEAR(energy grid)") == [energy]
    assert await search(session_factory, "-energy") == [energy]  # minus is not "not"
    assert await search(session_factory, '"') == []


async def test_all_words_first_then_any_word(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Explainers with every word are found alone; when none has them all, any word counts."""
    both = await make_article(session_factory, "both", title="Energy and grain")
    energy = await make_article(session_factory, "energy", title="Energy prices")
    assert await search(session_factory, "energy grain") == [both]
    assert set(await search(session_factory, "energy zebra")) == {both, energy}
    assert len(await search(session_factory, "energy", limit=1)) == 1
    assert await search(session_factory, "energy", limit=0) == []


async def test_changed_article_is_found_by_its_new_words(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A new version replaces the old words in the index."""
    article_id = await make_article(session_factory, "v", title="Ceasefire talks begin",
                                    summary="Delegates meet.", body="In Istanbul.")
    async with session_factory() as session, session.begin():
        article = await get_article(session, article_id)
        assert article is not None
        await update_article_content(
            session, article, now=utcnow(), title="Ceasefire talks collapse",
            summary="Delegates leave.", body="In Geneva.", image_url=None, author=None,
            comments_url=None, published_at=None, content_hash="v2")
    assert await search(session_factory, "collapse") == [article_id]
    assert await search(session_factory, "geneva") == [article_id]
    assert await search(session_factory, "istanbul") == []
    assert await search(session_factory, "begin") == []


async def test_deleted_article_disappears(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A deleted explainer is no longer found; the others still are."""
    gone = await make_article(session_factory, "gone", title="Drone strikes explained")
    kept = await make_article(session_factory, "kept", title="Drone production explained")
    async with session_factory() as session, session.begin():
        await session.execute(delete(Article).where(Article.id == gone))
    assert await search(session_factory, "drone") == [kept]


async def test_news_service_search_loads_cards(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """NewsService.search answers cards best first; empty or wordless queries find nothing;
    a very long query is cut, not refused."""
    await make_article(session_factory, "t", title="Mobilisation law explained",
                                summary="Who is called up.")
    await make_article(session_factory, "b", title="Other", body="The mobilisation debate.")
    news = NewsService(session_factory)
    cards = await news.search("mobilisation")
    assert [card.title for card in cards] == ["Mobilisation law explained", "Other"]
    assert cards[0].url == "https://e.org/t"
    assert cards[0].summary == "Who is called up."
    assert await news.search("") == []
    assert await news.search("   ") == []
    assert await news.search("?!…") == []
    long_query = "mobilisation " + "x" * (SEARCH_QUERY_CHARS * 10)
    assert [card.title for card in await news.search(long_query)] == [
        "Mobilisation law explained", "Other"]


@pytest.mark.parametrize("count", [MAX_TERMS + 5])
async def test_many_words_are_capped(
    session_factory: async_sessionmaker[AsyncSession], count: int,
) -> None:
    """A query of many words uses the first MAX_TERMS of them and still answers."""
    article_id = await make_article(session_factory, "w", title="Words " * 3)
    assert await search(session_factory, " ".join(["words"] * count)) == [article_id]
