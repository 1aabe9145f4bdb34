"""``python -m bench latest``: handling latency of /latest, /topic and /search at newsroom scale.

Fills a temporary database (SQLite, and PostgreSQL with ``--postgres URL``) through the
migrations with 100,000 articles (every 10th story also in Ukrainian) whose titles, summaries
and bodies are drawn from a vocabulary (``bench/article_text.py``), 100,000 chats following
one to three of 20 topics, and each topic's stored key points, by Core executemany; the search
index fills itself (SQLite's triggers, PostgreSQL's generated column), and each /search query's
hits are counted in it. Then it times the service calls a handler makes plus rendering the
reply, one at a time: p50 and p99 per case. /search has six cases (``SEARCH_CASES``): a common
word, a rare word, two words, Ukrainian, a last word that is a prefix, and words that match no
article together, answered with those holding any of them. A last case drops
``ix_articles_newest`` to show what the index buys. Target: p99 under 50 ms inside the
process.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.article_text import ENGLISH, UKRAINIAN, article_text
from bench.feeds import _database as temporary_database
from bot import render
from bot.domain import LatestPage
from bot.services.news import NewsService
from storage import search as search_dao
from storage.db import create_engine, create_session_factory, upgrade_schema
from storage.models import (
    Article,
    ArticleTopic,
    Chat,
    Subscription,
    Topic,
    TopicSummary,
)

LATEST_HEADER = ["database", "case", "calls", "p50 ms", "p99 ms", "max ms"]
TARGET_P99_MS = 50.0
_BATCH = 5_000
_WARM_UP = 10
_T0 = datetime(2024, 1, 1, tzinfo=UTC)

#: /search cases: each call takes the next query of its case's list, in turn. The words come
#: from bench/article_text.py; "goverment" (sic) is in no article, so the last case's queries
#: match nothing as a whole and are answered with the articles holding any of their words.
SEARCH_CASES: dict[str, tuple[str, ...]] = {
    "/search common word": ("energy", "inflation", "electricity", "hospital", "drought"),
    "/search rare word": ("hydrofoil", "avalanche", "referendum", "cholera", "telescope"),
    "/search two words": ("energy prices", "hospital doctors", "solar wind", "court verdict",
                          "train strike"),
    "/search Ukrainian": ("енергосистема", "уряд бюджет", "відключення графік", "землетрус",
                          "лікарня"),
    "/search last word a prefix": ("elect", "infla", "negot", "енерг", "energy pri"),
    "/search no match → any word": ("energy goverment", "goverment prices",
                                    "flood goverment", "goverment лікарня"),
}
FALLBACK_CASE = "/search no match → any word"


@dataclass(frozen=True)
class LatestOptions:
    """Sizes of one run."""

    articles: int = 100_000
    chats: int = 100_000
    topics: int = 20
    calls: int = 300
    postgres: str | None = None


async def _insert(engine: AsyncEngine, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _BATCH):
        async with engine.begin() as conn:
            await conn.execute(table.insert(), rows[start : start + _BATCH])


async def _fill(engine: AsyncEngine, options: LatestOptions, rng: random.Random) -> None:
    topics = [{"id": i, "slug": f"topic-{i}", "name": f"Topic {i}", "active": True}
              for i in range(1, options.topics + 1)]
    await _insert(engine, Topic.__table__, topics)
    articles, links = [], []
    for i in range(1, options.articles + 1):
        when = _T0 + timedelta(minutes=7 * i + rng.randrange(0, 5))
        translated = i % 10 == 0  # the Ukrainian version of the story before it
        story = i - 1 if translated else i
        words = article_text(rng, UKRAINIAN if translated else ENGLISH)
        articles.append({
            "id": i, "canonical_url": f"https://news.example/{i}",
            "url": f"https://news.example/{i}", "title": words.title,
            "language": "uk" if translated else "en", "summary": words.summary,
            "body": words.body, "content_hash": f"{i:064d}", "updated": False, "version": 1,
            "published_at": None if i % 20 == 7 else when, "created_at": when,
            "updated_at": when, "story_id": story,
        })
        first = rng.randrange(1, options.topics + 1)
        chosen = {first, rng.randrange(1, options.topics + 1)} if i % 3 == 0 else {first}
        if translated:
            chosen = {link["topic_id"] for link in links if link["article_id"] == story}
        links.extend({"article_id": i, "topic_id": t} for t in sorted(chosen))
    await _insert(engine, Article.__table__, articles)
    await _insert(engine, ArticleTopic.__table__, links)
    chats, subscriptions = [], []
    for c in range(1, options.chats + 1):
        chats.append({"id": c, "type": "private", "status": "active", "timezone": "UTC",
                      "settings": {}, "language": "uk" if c % 3 == 0 else "en",
                      "created_at": _T0, "updated_at": _T0})
        follows = rng.sample(range(1, options.topics + 1), c % 4)  # 0–3 topics
        subscriptions.extend({"chat_id": c, "topic_id": t, "thread_id": 0, "mode": "instant",
                              "created_at": _T0} for t in follows)
    await _insert(engine, Chat.__table__, chats)
    await _insert(engine, Subscription.__table__, subscriptions)
    summaries = [{"topic_id": t["id"], "source_key": "bench", "computed_at": _T0, "points": [
        {"text": f"Point {n} about {t['name']}.", "article_id": n, "title": f"Explainer {n}",
         "url": f"https://news.example/{n}", "also_in": []} for n in range(1, 9)]}
        for t in topics]
    await _insert(engine, TopicSummary.__table__, summaries)


async def _time(calls: int, call: Callable[[int], Awaitable[object]],
                warm_up: Callable[[int], Awaitable[object]] | None = None) -> dict[str, float]:
    """Time ``calls`` calls after a few untimed ones (statement caches, connection pool)."""
    for n in range(_WARM_UP):
        await (warm_up or call)(n)
    samples = []
    for n in range(calls):
        start = time.perf_counter()
        await call(n)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"calls": calls, "p50_ms": statistics.median(samples),
            "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
            "max_ms": samples[-1]}


async def _measure(url: str, description: str, options: LatestOptions) -> dict[str, Any]:
    rng = random.Random(20261202)
    engine = create_engine(url)
    try:
        await upgrade_schema(engine)
        fill_started = time.perf_counter()
        await _fill(engine, options, rng)
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        fill_seconds = time.perf_counter() - fill_started
        hits = await _search_hits(engine)
        news = NewsService(create_session_factory(engine))
        chats = [rng.randrange(1, options.chats + 1) for _ in range(options.calls)]
        topics = [f"topic-{rng.randrange(1, options.topics + 1)}" for _ in range(options.calls)]
        cursors: dict[int, int | None] = {}

        async def latest(n: int) -> None:
            page = await news.latest_page(chats[n])
            assert page is not None
            assert page.cards
            cursors[n] = page.next_after
            render.render_latest_page(page)

        async def latest_more(n: int) -> None:
            page = await news.latest_page(chats[n], after=cursors[n])
            assert page is not None
            render.render_latest_page(page, earlier=True)

        async def latest_topic(n: int) -> None:
            lookup = await news.find_topic(topics[n])
            page = await news.latest_page(chats[n], count=20, topic=lookup.topic)
            assert isinstance(page, LatestPage)
            assert len(page.cards) == 20
            render.render_latest_page(page)

        async def topic(n: int) -> None:
            lookup = await news.find_topic(topics[n])
            assert lookup.topic is not None
            digest = await news.topic_digest(lookup.topic)
            render.render_topic_digest(digest.topic, digest.points)

        def search_case(queries: tuple[str, ...]) -> Callable[[int], Awaitable[None]]:
            async def search(n: int) -> None:
                words = queries[n % len(queries)]
                cards = await news.search(words)
                assert bool(cards) == bool(hits[words]), words
                render.render_search_results(cards, words)
            return search

        cases: dict[str, Callable[[int], Awaitable[None]]] = {
            "/latest (chat's topics, 5)": latest, "/latest More (page 2)": latest_more,
            "/latest 20 <topic>": latest_topic, "/topic <name>": topic}
        cases.update((name, search_case(queries)) for name, queries in SEARCH_CASES.items())
        results = {name: await _time(options.calls, case, latest if case is latest_more else None)
                   for name, case in cases.items()}
        async with engine.begin() as conn:
            await conn.execute(text("DROP INDEX ix_articles_newest"))
        results["/latest without ix_articles_newest"] = await _time(
            min(options.calls, 100), latest)
        return {"database": description, "fill_seconds": fill_seconds, "cases": results,
                "search_hits": hits}
    finally:
        await engine.dispose()


async def _search_hits(engine: AsyncEngine) -> dict[str, int]:
    """How many articles each /search query matches, counted in the search index itself (so
    an index the fill left empty shows as zero hits); the fallback case counts any-word
    matches after checking that no article holds all the words."""
    sqlite = engine.dialect.name == "sqlite"
    build = search_dao.fts5_query if sqlite else search_dao.tsquery
    count = text(
        "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH :query" if sqlite else
        "SELECT count(*) FROM articles "
        "WHERE search_vector @@ to_tsquery('simple', newsbot_search_fold(:query))")
    hits = {}
    async with engine.connect() as conn:
        for case, queries in SEARCH_CASES.items():
            for query in queries:
                terms = search_dao.search_terms(query)
                found = await conn.scalar(count, {"query": build(terms)})
                if case == FALLBACK_CASE:
                    assert found == 0, query
                    found = await conn.scalar(count, {"query": build(terms, match_all=False)})
                hits[query] = int(found or 0)
    return hits


async def run_latest(options: LatestOptions) -> dict[str, Any]:
    """Fill and measure on SQLite, then on PostgreSQL when ``options.postgres`` is given."""
    runs = []
    for url in (None, options.postgres) if options.postgres else (None,):
        async with temporary_database(url) as (database_url, description):
            runs.append(await _measure(database_url, description, options))
    return {"options": options.__dict__, "runs": runs}


def summarise_latest(result: dict[str, Any]) -> tuple[list[list[str]], list[str], list[str]]:
    """Table rows, a line per run (fill time), and the cases that missed the target."""
    rows, lines, failed = [], [], []
    for run in result["runs"]:
        name = run["database"].split(" ")[0]
        lines.append(f"{run['database']}: filled in {run['fill_seconds']:.1f} s")
        lines.append("  /search hits (articles): " + "; ".join(
            f"{query} {count:,}" for query, count in run["search_hits"].items()))
        for case, figures in run["cases"].items():
            rows.append([name, case, str(figures["calls"]), f"{figures['p50_ms']:.1f}",
                         f"{figures['p99_ms']:.1f}", f"{figures['max_ms']:.1f}"])
            if "without" not in case and figures["p99_ms"] >= TARGET_P99_MS:
                failed.append(f"{name} {case}: p99 {figures['p99_ms']:.1f} ms "
                              f"≥ {TARGET_P99_MS:.0f} ms")
    lines.append(f"target: p99 < {TARGET_P99_MS:.0f} ms for every case with the index — "
                 + ("missed" if failed else "met"))
    return rows, lines, failed
