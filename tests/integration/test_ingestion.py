"""IngestionService end to end: a local feed server over real HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import FeedSettings, IngestionSettings, Settings, TelegramSettings, TopicSettings
from bot.domain import TopicTag
from bot.i18n import use_language
from bot.ingest.feed_parsing import parse_feed
from bot.ingest.fetch import FeedFetcher
from bot.ingest.parsed_feed import MAX_CATEGORIES
from bot.ingest.processing import lead_summary, prepare_entries, process_entries
from bot.render import render_article
from bot.services.news import NewsService, load_card
from bot.services.polling import IngestionService, NewArticlesHook, PollResult
from storage.articles import (
    NewArticle,
    article_tags,
    article_topic_slugs,
    find_article_by_canonical_url,
    find_article_by_source,
    insert_new_articles,
    latest_articles,
)
from storage.db import write_session
from storage.feeds import list_due_feeds
from storage.models import Article, ArticleSource, Feed, TopicSummary
from storage.topics import get_topic_by_slug, get_topic_summary, get_topic_summary_by_slug
from tests.support.feedserver import FeedServer
from tests.support.samples import POW_EXPLAINER_PARAGRAPHS, POW_EXPLAINER_TITLE

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EXPLAINER_PATH = "/explainers/why-russia-doesnt-want-its-pows-back"
EXPLAINER_TITLE = POW_EXPLAINER_TITLE
EXPLAINER_PARAGRAPHS = POW_EXPLAINER_PARAGRAPHS[:5]
TOPICS = (
    TopicSettings(slug="war-in-ukraine", name="War in Ukraine", keywords=("front line",)),
    TopicSettings(slug="russia", name="Russia", aliases=("Kremlin",),
                  keywords=("Russian Armed Forces",)),
    TopicSettings(slug="economy", name="Economy", keywords=("inflation",)),
    TopicSettings(slug="explainers", name="Explainers"),
)
INTERVAL = 600


# --- factories ---------------------------------------------------------------------------------


def make_item(
    guid: str,
    link: str | None,
    title: str | None = EXPLAINER_TITLE,
    paragraphs: Sequence[str] = EXPLAINER_PARAGRAPHS,
    categories: Sequence[str] = ("Russian Armed Forces", "Kremlin", "War in Ukraine"),
    pub_date: str | None = "Thu, 30 Nov 2023 12:05:00 GMT",
    extra: str = "",
) -> str:
    """One RSS <item>; ``None`` leaves an element out."""
    parts = [f"<guid isPermaLink='false'>{html.escape(guid)}</guid>"]
    if link is not None:
        parts.append(f"<link>{html.escape(link)}</link>")
    if title is not None:
        parts.append(f"<title>{html.escape(title)}</title>")
    if pub_date is not None:
        parts.append(f"<pubDate>{pub_date}</pubDate>")
    parts.extend(f"<category>{html.escape(category)}</category>" for category in categories)
    body = "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs)
    parts.append(f"<description><![CDATA[{body}{extra}]]></description>")
    return "<item>" + "".join(parts) + "</item>"


def make_rss(*items: str, title: str = "Kador Post") -> str:
    """An RSS 2.0 document with ``items``."""
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title><link>https://news.example.com/</link>"
            + "".join(items) + "</channel></rss>")


def make_settings(feeds: Sequence[FeedSettings], **ingestion: Any) -> Settings:
    """Settings with test limits: no jitter, short timeouts, small caps."""
    values: dict[str, Any] = {
        "jitter": 0, "read_timeout": 0.5, "connect_timeout": 2, "max_redirects": 3,
        "max_response_bytes": 256 * 1024, "failure_alert_threshold": 3, "max_backoff": 1800,
        "allow_private_networks": True,  # the test feed server is on loopback
    }
    values.update(ingestion)
    return Settings(
        telegram=TelegramSettings(token=SecretStr("123456:TEST-token_abcdefgh")),
        ingestion=IngestionSettings(**values),
        feeds=tuple(feeds),
        topics=TOPICS,
    )


def make_feed(url: str, name: str = "Kador Post", **options: Any) -> FeedSettings:
    """A configured feed polled every INTERVAL seconds."""
    return FeedSettings(url=url, name=name, interval=INTERVAL, **options)  # type: ignore[arg-type]


class Harness:
    """Builds services over one database and one local feed server; collects admin notices."""

    def __init__(self, server: FeedServer, session_factory: async_sessionmaker[AsyncSession],
                 stack: AsyncExitStack) -> None:
        self.server = server
        self.session_factory = session_factory
        self.notices: list[str] = []
        self.rendered: list[Callable[[], str]] = []
        self._stack = stack

    async def notify(self, text: str | Callable[[], str]) -> None:
        """The admin notifier: a real async function that records what it got (a notice
        given as a function, rendered in the current language, as the app does per admin)."""
        self.notices.append(text() if callable(text) else text)
        self.rendered.append(text if callable(text) else lambda: text)

    async def service(self, feeds: Sequence[FeedSettings], *,
                      on_new_articles: NewArticlesHook | None = None, **ingestion: Any
                      ) -> tuple[IngestionService, list[int]]:
        """An ingestion service over ``feeds`` (synced into the database) and the feed ids."""
        settings = make_settings(feeds, **ingestion)
        fetcher = await self._stack.enter_async_context(FeedFetcher(settings.ingestion))
        service = IngestionService(self.session_factory, fetcher, settings, self.notify,
                                   on_new_articles=on_new_articles)
        feed_ids = await service.sync_config()
        return service, feed_ids

    async def polled_feed(self, *items: str) -> tuple[IngestionService, int]:
        """Serve ``items`` as the one feed at /feed.xml, build a service over it and poll it
        once, successfully; return the service and the feed id."""
        self.server.route("/feed.xml", make_rss(*items))
        service, (feed_id,) = await self.service([make_feed(self.server.url("/feed.xml"))])
        assert_ok(await service.poll_feed(feed_id))
        return service, feed_id

    async def feed(self, feed_id: int) -> Feed:
        """The feed row, freshly read."""
        async with self.session_factory() as session:
            feed = await session.get(Feed, feed_id)
            assert feed is not None
            return feed

    async def articles(self) -> list[Article]:
        """Every stored article, by id."""
        async with self.session_factory() as session:
            return list((await session.scalars(select(Article).order_by(Article.id))).all())

    async def count(self, model: type[Any]) -> int:
        """Rows in ``model``'s table."""
        async with self.session_factory() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    async def topics_and_tags(self, article_id: int) -> tuple[list[str], list[str]]:
        """An article's topic slugs and tags."""
        async with self.session_factory() as session:
            return (await article_topic_slugs(session, article_id),
                    await article_tags(session, article_id))

    async def snapshot(self) -> list[tuple[Any, ...]]:
        """Everything an unchanged poll must leave alone."""
        async with self.session_factory() as session:
            articles = (await session.execute(select(
                Article.id, Article.title, Article.summary, Article.body, Article.version,
                Article.updated, Article.updated_at, Article.content_hash,
            ).order_by(Article.id))).all()
            sources = (await session.execute(select(
                ArticleSource.id, ArticleSource.article_id, ArticleSource.guid
            ).order_by(ArticleSource.id))).all()
            summaries = (await session.execute(select(
                TopicSummary.topic_id, TopicSummary.source_key, TopicSummary.computed_at
            ).order_by(TopicSummary.topic_id))).all()
        return [tuple(row) for row in (*articles, *sources, *summaries)]


@pytest.fixture
async def harness(session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[Harness]:
    """A feed server, the database and a place to build services."""
    async with AsyncExitStack() as stack:
        server = await stack.enter_async_context(FeedServer())
        yield Harness(server, session_factory, stack)


def assert_ok(result: PollResult) -> None:
    """The poll succeeded."""
    assert result.error is None, result.error


# --- first poll --------------------------------------------------------------------------------


async def test_first_poll_stores_clean_tagged_summarised_articles(harness: Harness) -> None:
    """The RSS fixture's entries are stored with canonical URLs, text bodies, topics and
    summaries; the link-less entry is noted on the feed, not fatal."""
    server = harness.server
    server.route("/feed.xml", (FIXTURES / "feeds" / "rss20.xml").read_bytes())
    service, (feed_id,) = await harness.service([make_feed(server.url("/feed.xml"))])

    result = await service.poll_feed(feed_id)

    assert_ok(result)
    assert (result.new, result.updated, result.unchanged, result.linked) == (4, 0, 0, 0)
    articles = await harness.articles()
    assert len(articles) == 4
    explainer = articles[0]
    # The fixture's links are relative: they resolve against the URL the feed came from.
    assert explainer.canonical_url == server.url(EXPLAINER_PATH)
    assert explainer.url == server.url(EXPLAINER_PATH) + "?utm_source=rss"
    assert explainer.guid == "kador-explainer-1042"
    assert explainer.title == EXPLAINER_TITLE
    assert explainer.feed_id == feed_id
    assert explainer.version == 1
    assert not explainer.updated
    assert "abandoning its own troops" in explainer.body
    for unwanted in ("<p", "INJECTED-SCRIPT", "steal()", "color: red", "<iframe"):
        assert unwanted not in explainer.body
    assert explainer.summary
    assert "<" not in explainer.summary
    assert explainer.image_url == server.url("/images/2023/11/pows-thumb.jpg")
    topics, tags = await harness.topics_and_tags(explainer.id)
    assert topics == ["russia", "war-in-ukraine"]
    assert tags == []
    assert set(result.new_article_ids) == {article.id for article in articles}

    feed = await harness.feed(feed_id)
    assert feed.title == "Kador Post — Explainers"
    assert feed.consecutive_failures == 0
    assert feed.last_success_at is not None
    assert feed.last_polled_at == feed.last_success_at
    assert feed.next_poll_at == feed.last_polled_at + timedelta(seconds=INTERVAL)
    assert feed.health_note == "1 entry without a usable link skipped"


async def test_process_entries_shows_exactly_what_is_stored(harness: Harness) -> None:
    """The preview function gives the same title, URL, summary, body and topics as storage
    (for polls after the baseline: full summaries, as here with baseline_summaries="full")."""
    body = (FIXTURES / "feeds" / "rss20.xml").read_bytes()
    harness.server.route("/feed.xml", body)
    feed_url = harness.server.url("/feed.xml")
    service, (feed_id,) = await harness.service([make_feed(feed_url, topics=("explainers",))],
                                                baseline_summaries="full")
    assert_ok(await service.poll_feed(feed_id))

    previews = process_entries(parse_feed(body, feed_url, None), service.matcher, 3,
                               default_topics=("explainers",))
    stored = await harness.articles()
    assert [preview.canonical_url for preview in previews] == [a.canonical_url for a in stored]
    for preview, article in zip(previews, stored, strict=True):
        assert (preview.title, preview.summary, preview.body_text, preview.content_hash) == (
            article.title, article.summary, article.body, article.content_hash)
        topics, tags = await harness.topics_and_tags(article.id)
        assert sorted(preview.topics) == topics
        assert sorted(preview.tags) == tags


async def test_baseline_poll_stores_lead_summaries_and_later_entries_get_the_summariser(
    harness: Harness,
) -> None:
    """A feed's first poll stores its entries readable for /latest with a lead summary and
    pushes nothing; an entry new in a later poll is summarised in full and pushed."""
    server = harness.server
    pushed: list[list[int]] = []

    async def hook(_session: AsyncSession, article_ids: Sequence[int]) -> None:
        pushed.append(list(article_ids))

    first_item = make_item("g1", "https://news.example.com/a", title="A")
    server.route("/feed.xml", make_rss(first_item))
    service, (feed_id,) = await harness.service([make_feed(server.url("/feed.xml"))],
                                                on_new_articles=hook)
    baseline = await service.poll_feed(feed_id)
    assert_ok(baseline)
    assert baseline.first_success
    assert baseline.new == 1
    async with harness.session_factory() as session:
        (stored,) = await latest_articles(session, 10)
    (prepared,) = prepare_entries(parse_feed(make_rss(first_item).encode(), server.url(
        "/feed.xml"), None))
    assert stored.summary == lead_summary(prepared.body_text, prepared.summary_text, 3)
    assert stored.summary.startswith(EXPLAINER_PARAGRAPHS[0].split(". ")[0])
    assert stored.body == prepared.body_text
    assert await harness.topics_and_tags(stored.id) == (["russia", "war-in-ukraine"], [])
    assert pushed == []

    second_item = make_item("g2", "https://news.example.com/b", title="B",
                            paragraphs=list(reversed(EXPLAINER_PARAGRAPHS)))
    server.route("/feed.xml", make_rss(second_item, first_item))
    later = await service.poll_feed(feed_id)

    assert_ok(later)
    assert (later.new, later.unchanged, later.first_success) == (1, 1, False)
    (preview, _) = process_entries(parse_feed(make_rss(second_item, first_item).encode(),
                                              server.url("/feed.xml"), None),
                                   service.matcher, 3)
    async with harness.session_factory() as session:
        fresh = await find_article_by_canonical_url(session, "https://news.example.com/b")
    assert fresh is not None
    assert fresh.summary == preview.summary
    assert pushed == [[fresh.id]]


async def test_bulk_insert_stores_articles_sources_topics_and_tags(harness: Harness) -> None:
    """insert_new_articles writes each table once and returns the ids; a canonical URL
    stored before is left out, unknown topics are ignored."""
    _service, (feed_id,) = await harness.service([make_feed(harness.server.url("/feed.xml"))])
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

    def article(slug: str, topics: Sequence[str] = (), tags: Sequence[str] = ()) -> NewArticle:
        return NewArticle(
            canonical_url=f"https://news.example.com/{slug}", url=f"https://news.example.com/{slug}",
            guid=f"guid-{slug}",
            content={"title": slug.upper(), "summary": f"{slug} summary", "body": f"{slug} body",
                     "image_url": None, "author": "Ann", "comments_url": None,
                     "published_at": now - timedelta(hours=1), "content_hash": slug * 8},
            topic_slugs=topics, tags=tags,
        )

    async with write_session(harness.session_factory) as session:
        first = await insert_new_articles(session, feed_id, [article("a", ["russia"])], now)
    async with write_session(harness.session_factory) as session:
        second = await insert_new_articles(session, feed_id, [
            article("a"), article("b", ["russia", "economy", "no-such-topic"], ["Tag", ""]),
            article("c"),
        ], now)

    assert first.topic_slugs == {"russia"}
    assert set(second.ids) == {"https://news.example.com/b", "https://news.example.com/c"}
    assert second.topic_slugs == {"economy", "russia"}
    async with harness.session_factory() as session:
        for slug in "bc":
            stored = await find_article_by_source(session, feed_id, f"guid-{slug}")
            assert stored is not None
            assert stored.id == second.ids[f"https://news.example.com/{slug}"]
            assert (stored.title, stored.body, stored.version, stored.updated) == (
                slug.upper(), f"{slug} body", 1, False)
            assert stored.published_at == now - timedelta(hours=1)
            assert stored.created_at == now
            assert stored.feed_id == feed_id
    b_id = second.ids["https://news.example.com/b"]
    assert await harness.topics_and_tags(b_id) == (["economy", "russia"], ["Tag"])
    assert await harness.count(ArticleSource) == 3


async def test_sqlite_writers_queue_for_the_write_lock(harness: Harness) -> None:
    """Concurrent write sessions each get their turn, in order, without "database is
    locked"; on SQLite they queue in the process instead of in SQLite's busy handler."""
    order: list[str] = []

    async def writer(name: str, hold: float) -> None:
        async with write_session(harness.session_factory) as session:
            order.append(f"{name} in")
            await session.execute(select(func.count()).select_from(Feed))
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    first = asyncio.create_task(writer("a", 0.2))
    await asyncio.sleep(0.05)
    await asyncio.gather(first, writer("b", 0))

    assert order[0] == "a in"
    assert set(order) == {"a in", "a out", "b in", "b out"}
    if harness.session_factory.kw["bind"].dialect.name == "sqlite":
        assert order == ["a in", "a out", "b in", "b out"]


# --- conditional GET and unchanged entries -----------------------------------------------------


async def test_second_poll_gets_304_and_stores_nothing(harness: Harness) -> None:
    """With an ETag the second poll is a 304: only the poll timestamps change."""
    server = harness.server
    server.route("/feed.xml", make_rss(make_item("g1", "https://news.example.com/a")),
                 etag='"rev-1"', last_modified="Thu, 30 Nov 2023 12:00:00 GMT")
    service, (feed_id,) = await harness.service([make_feed(server.url("/feed.xml"))])
    assert_ok(await service.poll_feed(feed_id))
    before = await harness.snapshot()
    first = await harness.feed(feed_id)
    assert first.etag == '"rev-1"'

    result = await service.poll_feed(feed_id)

    assert result.not_modified
    assert (result.new, result.updated, result.unchanged) == (0, 0, 0)
    headers = server.last_request("/feed.xml").headers
    assert headers["If-None-Match"] == '"rev-1"'
    assert headers["If-Modified-Since"] == "Thu, 30 Nov 2023 12:00:00 GMT"
    assert await harness.snapshot() == before
    second = await harness.feed(feed_id)
    assert second.last_polled_at is not None
    assert first.last_polled_at is not None
    assert second.last_polled_at > first.last_polled_at
    assert (second.etag, second.title, second.health_note) == (
        first.etag, first.title, first.health_note)


async def test_unchanged_entries_write_nothing(harness: Harness) -> None:
    """Without validators the feed is re-read, but unchanged entries write nothing."""
    service, feed_id = await harness.polled_feed(
        make_item("g1", "https://news.example.com/a"),
        make_item("g2", "https://news.example.com/b", title="Second explainer"),
    )
    before = await harness.snapshot()

    result = await service.poll_feed(feed_id)

    assert_ok(result)
    assert not result.not_modified
    assert (result.new, result.updated, result.unchanged, result.linked) == (0, 0, 2, 0)
    assert await harness.snapshot() == before


# --- deduplication and updates -----------------------------------------------------------------


async def test_same_explainer_in_two_feeds_is_one_article(harness: Harness) -> None:
    """Two feeds carrying the explainer (different GUIDs and tracking params) store it once,
    with both sources recorded; the second feed cannot create a new version."""
    server = harness.server
    server.route("/main.xml", make_rss(make_item(
        "main-1042", "https://news.example.com" + EXPLAINER_PATH + "?utm_source=main")))
    server.route("/ukraine.xml", make_rss(make_item(
        "ua-77", "https://NEWS.example.com" + EXPLAINER_PATH + "/?fbclid=xyz#top",
        paragraphs=EXPLAINER_PARAGRAPHS[:2])))
    service, (main_id, ukraine_id) = await harness.service([
        make_feed(server.url("/main.xml"), name="Main"),
        make_feed(server.url("/ukraine.xml"), name="Ukraine"),
    ])

    first = await service.poll_feed(main_id)
    second = await service.poll_feed(ukraine_id)
    again = [await service.poll_feed(main_id), await service.poll_feed(ukraine_id)]

    assert (first.new, second.new, second.linked, second.updated) == (1, 0, 1, 0)
    assert [(r.unchanged, r.updated) for r in again] == [(1, 0), (1, 0)]
    (article,) = await harness.articles()
    assert article.feed_id == main_id
    assert article.version == 1
    async with harness.session_factory() as session:
        sources = (await session.execute(
            select(ArticleSource.feed_id, ArticleSource.guid).order_by(ArticleSource.id)
        )).all()
    assert [tuple(row) for row in sources] == [(main_id, "main-1042"), (ukraine_id, "ua-77")]


async def test_feeds_polled_concurrently_still_store_one_article(harness: Harness) -> None:
    """Five feeds carrying the same explainer, polled at once, race to insert it: one article
    wins, every feed is recorded as a source, and no poll fails."""
    server = harness.server
    link = "https://news.example.com" + EXPLAINER_PATH
    names = [f"f{n}" for n in range(5)]
    for name in names:
        server.route(f"/{name}.xml",
                     make_rss(make_item(f"{name}-guid", f"{link}?utm_source={name}")))
    service, ids = await harness.service(
        [make_feed(server.url(f"/{name}.xml"), name=name) for name in names])

    results = await service.poll_due_feeds()

    assert all(result.error is None for result in results)
    assert sorted(result.feed_id for result in results) == sorted(ids)
    assert sum(result.new for result in results) == 1
    assert sum(result.linked for result in results) == 4
    assert await harness.count(Article) == 1
    assert await harness.count(ArticleSource) == 5


async def test_guid_change_on_the_same_url_is_not_a_new_article(harness: Harness) -> None:
    """A republished entry with a new GUID but the same URL links to the stored article."""
    server = harness.server
    link = "https://news.example.com" + EXPLAINER_PATH
    service, feed_id = await harness.polled_feed(make_item("old-guid", link))

    server.route("/feed.xml", make_rss(make_item("new-guid", link + "?utm_medium=rss")))
    result = await service.poll_feed(feed_id)
    third = await service.poll_feed(feed_id)

    assert (result.new, result.linked, result.updated) == (0, 1, 0)
    assert (third.new, third.linked, third.unchanged) == (0, 0, 1)
    assert await harness.count(Article) == 1
    assert await harness.count(ArticleSource) == 2
    async with harness.session_factory() as session:
        by_old = await find_article_by_source(session, feed_id, "old-guid")
        by_new = await find_article_by_source(session, feed_id, "new-guid")
        by_url = await find_article_by_canonical_url(session, link)
        assert await find_article_by_source(session, feed_id, "never-seen") is None
    assert by_old is not None
    assert by_new is not None
    assert by_url is not None
    assert by_old.id == by_new.id == by_url.id


async def test_changed_title_makes_a_new_version_of_the_same_article(harness: Harness) -> None:
    """An entry whose title changes stays one article: updated, version 2, updated_at bumped."""
    server = harness.server
    link = "https://news.example.com" + EXPLAINER_PATH
    service, feed_id = await harness.polled_feed(make_item("g1", link))
    (before,) = await harness.articles()

    server.route("/feed.xml", make_rss(make_item("g1", link, title=EXPLAINER_TITLE + " (updated)")))
    result = await service.poll_feed(feed_id)

    assert (result.new, result.updated) == (0, 1)
    assert result.updated_article_ids == (before.id,)
    (after,) = await harness.articles()
    assert after.id == before.id
    assert after.title == EXPLAINER_TITLE + " (updated)"
    assert after.updated is True
    assert after.version == 2
    assert after.updated_at > before.updated_at
    assert after.content_hash != before.content_hash


async def test_duplicate_entries_within_one_feed_are_stored_once(harness: Harness) -> None:
    """A feed repeating an item, or giving every item the same GUID, stores each URL once."""
    server = harness.server
    server.route("/feed.xml", make_rss(
        make_item("same", "https://news.example.com/a", title="A"),
        make_item("same", "https://news.example.com/b", title="B"),
        make_item("same", "https://news.example.com/a?utm_source=x", title="A again"),
    ))
    service, (feed_id,) = await harness.service([make_feed(server.url("/feed.xml"))])

    first = await service.poll_feed(feed_id)
    second = await service.poll_feed(feed_id)

    assert (first.new, second.new, second.unchanged) == (2, 0, 2)
    assert sorted(a.title for a in await harness.articles()) == ["A", "B"]


# --- full text ---------------------------------------------------------------------------------


async def test_teaser_feed_gets_the_full_text_from_the_page(harness: Harness) -> None:
    """For a full_text feed the article page is fetched once and its body stored, with the
    page's lead image and date when the feed has none."""
    server = harness.server
    server.route(EXPLAINER_PATH, (FIXTURES / "pages" / "explainer-pows.html").read_bytes(),
                 content_type="text/html; charset=utf-8")
    teaser = make_item("t1", server.url(EXPLAINER_PATH), paragraphs=EXPLAINER_PARAGRAPHS[:1],
                       pub_date=None)
    server.route("/teasers.xml", make_rss(teaser))
    service, (feed_id,) = await harness.service(
        [make_feed(server.url("/teasers.xml"), full_text=True)])

    result = await service.poll_feed(feed_id)
    repeat = await service.poll_feed(feed_id)

    assert_ok(result)
    assert result.new == 1
    assert repeat.unchanged == 1
    assert server.requests(EXPLAINER_PATH) == 1
    (article,) = await harness.articles()
    assert "Grigory Sverdlin" in article.body
    assert "We use cookies" not in article.body
    assert "fletcher long" not in article.body
    assert article.image_url == "https://cdn.example.com/images/2023/11/pows-explainer-1200x630.jpg"
    assert article.published_at is not None
    assert article.published_at.isoformat() == "2023-11-30T12:05:00+00:00"
    assert (await harness.feed(feed_id)).health_note is None


async def test_full_text_failure_falls_back_to_feed_content(harness: Harness) -> None:
    """A page that cannot be fetched leaves the feed's text in place and a health note,
    without failing the poll."""
    server = harness.server
    teaser = make_item("t1", server.url("/missing-page"), paragraphs=EXPLAINER_PARAGRAPHS[:2])
    server.route("/teasers.xml", make_rss(teaser))
    service, (feed_id,) = await harness.service(
        [make_feed(server.url("/teasers.xml"), full_text=True)])

    result = await service.poll_feed(feed_id)

    assert_ok(result)
    assert result.new == 1
    (article,) = await harness.articles()
    assert article.body.startswith("The Kremlin appears")
    feed = await harness.feed(feed_id)
    assert feed.consecutive_failures == 0
    assert feed.health_note is not None
    assert "full text unavailable for 1 of 1" in feed.health_note
    assert "HTTP 404" in feed.health_note


# --- topics ------------------------------------------------------------------------------------


async def test_topics_from_categories_keywords_and_feed_defaults(harness: Harness) -> None:
    """Categories map by name/alias, keywords by whole word, feed defaults apply to all,
    and unmatched categories become tags."""
    server = harness.server
    server.route("/feed.xml", make_rss(
        make_item("a", "https://news.example.com/a", title="Kremlin story",
                  categories=("Kremlin", "Prisoner swaps")),
        make_item("b", "https://news.example.com/b", title="Prices",
                  paragraphs=("Inflation rose again in November, the statistics office said.",),
                  categories=()),
        make_item("c", "https://news.example.com/c", title="Weather",
                  paragraphs=("Warm weather and an award for the forecasters this week.",),
                  categories=("Weather",)),
    ))
    service, (feed_id,) = await harness.service(
        [make_feed(server.url("/feed.xml"), topics=("explainers",))])
    assert_ok(await service.poll_feed(feed_id))

    tagging = [await harness.topics_and_tags(a.id) for a in await harness.articles()]
    assert tagging == [
        (["explainers", "russia"], ["Prisoner swaps"]),
        (["economy", "explainers"], []),
        (["explainers"], ["Weather"]),
    ]


async def test_topic_summary_is_stored_and_not_recomputed_needlessly(harness: Harness) -> None:
    """New articles store their topic's key points; an unchanged poll leaves them as they are;
    a changed article recomputes them."""
    server = harness.server
    link = "https://news.example.com" + EXPLAINER_PATH
    service, feed_id = await harness.polled_feed(make_item("g1", link))

    async with harness.session_factory() as session:
        topic = await get_topic_by_slug(session, "russia")
        assert topic is not None
        stored = await get_topic_summary(session, topic.id)
        by_slug = await get_topic_summary_by_slug(session, "russia")
    assert stored is not None
    assert by_slug is not None
    assert by_slug.points == stored.points
    assert stored.points
    point = stored.points[0]
    assert set(point) == {"text", "article_id", "title", "url", "also_in"}
    assert point["title"] == EXPLAINER_TITLE
    assert point["text"] in " ".join(EXPLAINER_PARAGRAPHS)

    assert_ok(await service.poll_feed(feed_id))
    async with harness.session_factory() as session:
        unchanged = await get_topic_summary(session, topic.id)
    assert unchanged is not None
    assert (unchanged.source_key, unchanged.computed_at) == (stored.source_key, stored.computed_at)

    server.route("/feed.xml", make_rss(make_item("g1", link, paragraphs=(
        "Russian Armed Forces have resumed prisoner exchanges after a long pause, officials "
        "in Kyiv confirmed on Friday.",
        *EXPLAINER_PARAGRAPHS[1:],
    ))))
    assert (await service.poll_feed(feed_id)).updated == 1
    async with harness.session_factory() as session:
        recomputed = await get_topic_summary(session, topic.id)
    assert recomputed is not None
    assert recomputed.source_key != stored.source_key


async def test_latest_articles_by_topic(harness: Harness) -> None:
    """latest_articles returns the newest first, optionally of one topic."""
    await harness.polled_feed(
        make_item("old", "https://news.example.com/old", title="Old",
                  pub_date="Mon, 27 Nov 2023 10:00:00 GMT", categories=("Kremlin",)),
        make_item("new", "https://news.example.com/new", title="New",
                  pub_date="Wed, 29 Nov 2023 10:00:00 GMT", categories=("Economy",)),
    )
    async with harness.session_factory() as session:
        assert [a.title for a in await latest_articles(session, 10)] == ["New", "Old"]
        assert [a.title for a in await latest_articles(session, 10, "russia")] == ["Old"]
        assert [a.title for a in await latest_articles(session, 1)] == ["New"]


# --- health, backoff and alerts ----------------------------------------------------------------


async def test_backoff_grows_and_admins_hear_once_at_threshold_and_once_on_recovery(
    harness: Harness,
) -> None:
    """Failures back off exponentially (capped); the notifier is called once when the
    threshold is reached and once when the feed recovers."""
    server = harness.server
    server.route("/feed.xml", b"oops", status=500)
    service, (feed_id,) = await harness.service(
        [make_feed(server.url("/feed.xml"), name="Kador main")])

    waits: list[float] = []
    for _ in range(5):
        result = await service.poll_feed(feed_id)
        assert result.error_kind == "http_status"
        feed = await harness.feed(feed_id)
        assert feed.next_poll_at is not None
        assert feed.last_polled_at is not None
        waits.append((feed.next_poll_at - feed.last_polled_at).total_seconds())

    assert waits == [600, 1200, 1800, 1800, 1800]
    assert feed.consecutive_failures == 5
    assert feed.last_error == "http_status: HTTP 500 Internal Server Error"
    assert feed.last_error_at == feed.last_polled_at
    assert feed.failure_alerted is True
    assert harness.notices == [
        "Feed Kador main has failed 3 polls in a row: http_status: HTTP 500 Internal Server Error"
    ]

    server.route("/feed.xml", make_rss(make_item("g1", "https://news.example.com/a")))
    assert_ok(await service.poll_feed(feed_id))
    assert harness.notices[1:] == ["Feed Kador main recovered after 5 failures"]
    feed = await harness.feed(feed_id)
    assert (feed.consecutive_failures, feed.failure_alerted) == (0, False)

    server.route("/feed.xml", b"oops", status=503)
    await service.poll_feed(feed_id)
    server.route("/feed.xml", make_rss(make_item("g1", "https://news.example.com/a")))
    assert_ok(await service.poll_feed(feed_id))
    assert len(harness.notices) == 2  # a short failure below the threshold stays quiet


async def test_recovery_by_304_is_announced(harness: Harness) -> None:
    """A feed that recovers with a 304 (nothing new) still announces its recovery."""
    server = harness.server
    server.route("/feed.xml", make_rss(make_item("g1", "https://news.example.com/a")),
                 etag='"v1"')
    service, (feed_id,) = await harness.service([make_feed(server.url("/feed.xml"))],
                                                failure_alert_threshold=1)
    assert_ok(await service.poll_feed(feed_id))
    server.route("/feed.xml", b"", status=502)
    await service.poll_feed(feed_id)
    server.route("/feed.xml", make_rss(make_item("g1", "https://news.example.com/a")),
                 etag='"v1"')
    result = await service.poll_feed(feed_id)
    assert result.not_modified
    assert harness.notices == [
        "Feed Kador Post has failed 1 poll in a row: http_status: HTTP 502 Bad Gateway",
        "Feed Kador Post recovered after 1 failure",
    ]


async def test_feed_health_notices_render_in_the_admins_language(harness: Harness) -> None:
    """The notices come as functions the app calls in each admin's language: rendered in
    Ukrainian, a failure streak and the recovery read as Ukrainian, with Ukrainian plurals;
    the feed's name and the error stay as they are."""
    server = harness.server
    server.route("/feed.xml", b"", status=502)
    service, (feed_id,) = await harness.service([make_feed(server.url("/feed.xml"))],
                                                failure_alert_threshold=2)
    await service.poll_feed(feed_id)
    await service.poll_feed(feed_id)
    server.route("/feed.xml", make_rss(make_item("g1", "https://news.example.com/a")))
    assert_ok(await service.poll_feed(feed_id))
    with use_language("uk"):
        notices = [render() for render in harness.rendered]
    assert notices == [
        "Стрічку Kador Post не вдалося опитати 2 рази поспіль: "
        "http_status: HTTP 502 Bad Gateway",
        "Стрічка Kador Post знову працює після 2 збоїв",
    ]
    assert harness.notices == [
        "Feed Kador Post has failed 2 polls in a row: http_status: HTTP 502 Bad Gateway",
        "Feed Kador Post recovered after 2 failures",
    ]


async def test_a_failing_notifier_does_not_break_the_poll(harness: Harness) -> None:
    """If telling the admins fails, the poll still returns its result and records health."""
    server = harness.server
    server.route("/feed.xml", b"", status=500)
    settings = make_settings([make_feed(server.url("/feed.xml"))], failure_alert_threshold=1)

    async def broken_notifier(text: str | Callable[[], str]) -> None:
        raise RuntimeError("telegram is down")

    async with FeedFetcher(settings.ingestion) as fetcher:
        service = IngestionService(harness.session_factory, fetcher, settings, broken_notifier)
        (feed_id,) = await service.sync_config()
        result = await service.poll_feed(feed_id)
    assert result.error_kind == "http_status"
    assert (await harness.feed(feed_id)).failure_alerted is True


BAD_ANSWERS: dict[str, tuple[dict[str, Any], str]] = {
    "malformed XML": ({"body": (FIXTURES / "feeds" / "malformed-fatal.xml").read_bytes()},
                      "parse"),
    "HTML page": ({"body": (FIXTURES / "pages" / "explainer-pows.html").read_bytes(),
                   "content_type": "text/html; charset=utf-8"}, "parse"),
    "empty body": ({"body": b""}, "parse"),
    "binary garbage": ({"body": bytes(range(256)) * 4}, "parse"),
    "404": ({"body": b"gone", "status": 404}, "http_status"),
    "500": ({"body": b"", "status": 500}, "http_status"),
    "timeout": ({"body": b"<rss/>", "delay": 3}, "timeout"),
    "connection reset": ({"reset": True}, "connection"),
    "reset mid-body": ({"body": b"<rss>" + b" " * 5000, "reset_after_bytes": 100}, "payload"),
    "endless body": ({"endless": True}, "too_large"),
    "oversized body": ({"body": b"<rss>" + b" " * (300 * 1024)}, "too_large"),
    "redirect loop": ({"redirect_to": "/feed.xml", "status": 302}, "redirect_loop"),
}


async def test_a_feed_inside_the_network_gets_a_health_record(harness: Harness) -> None:
    """Without allow_private_networks, a loopback feed and one that redirects inside are
    refused before any request: a blocked_address health record, nothing stored."""
    harness.server.route("/feed.xml", make_rss(make_item("g1", "https://news.example.com/a")))
    harness.server.route("/moved.xml", redirect_to="http://169.254.169.254/latest/", status=302)
    service, feed_ids = await harness.service(
        [make_feed(harness.server.url("/feed.xml")),
         make_feed(harness.server.url("/moved.xml"), name="Moved")],
        allow_private_networks=False, allowed_networks=())
    for feed_id in feed_ids:
        result = await service.poll_feed(feed_id)
        assert result.error_kind == "blocked_address"
        feed = await harness.feed(feed_id)
        assert feed.last_error is not None
        assert "is a non-public address; refused" in feed.last_error
    assert harness.server.requests("/feed.xml") == 0
    assert await harness.count(Article) == 0

    lan, (lan_feed,) = await harness.service(
        [make_feed(harness.server.url("/moved.xml"), name="Moved")],
        allow_private_networks=False, allowed_networks=("127.0.0.0/8",))
    result = await lan.poll_feed(lan_feed)  # the feed's own host is let through; the redirect
    assert result.error_kind == "blocked_address"  # target still is not
    assert "169.254.169.254" in ((await harness.feed(lan_feed)).last_error or "")


@pytest.mark.parametrize("case", list(BAD_ANSWERS))
async def test_bad_answers_end_in_a_health_record(harness: Harness, case: str) -> None:
    """Every kind of unusable answer ends in a failure record on the feed, never an
    exception."""
    behaviour, kind = BAD_ANSWERS[case]
    harness.server.route("/feed.xml", **behaviour)
    service, (feed_id,) = await harness.service([make_feed(harness.server.url("/feed.xml"))])

    result = await service.poll_feed(feed_id)

    assert result.error_kind == kind
    feed = await harness.feed(feed_id)
    assert feed.consecutive_failures == 1
    assert feed.last_error is not None
    assert feed.last_error.startswith(kind + ":")
    assert "\n" not in feed.last_error
    assert feed.last_error_at is not None
    assert feed.next_poll_at == feed.last_error_at + timedelta(seconds=INTERVAL)
    assert await harness.count(Article) == 0


async def test_messy_but_usable_feed_is_stored(harness: Harness) -> None:
    """Recoverable XML, a wrong encoding, scripts and handlers, a huge entry, missing titles,
    links and dates, future dates and relative links are all ingested cleanly."""
    huge = "<p>" + "Long explainer sentence about the front line. " * 6000 + "</p>"
    items = [
        make_item("bad-xml", "/relative/one", title="Tom & Jerry",
                  extra="<script>alert('x')</script><img src=x onerror=alert(1)>"),
        make_item("no-title", "https://news.example.com/no-title", title=None),
        make_item("no-link", None),
        make_item("future", "https://news.example.com/future",
                  pub_date="Sat, 01 Jan 2101 00:00:00 GMT"),
        make_item("no-date", "https://news.example.com/no-date", pub_date=None),
        make_item("huge", "https://news.example.com/huge", extra=huge),
        make_item("кириллица", "https://news.example.com/cyrillic",
                  title="Кремль: объяснение", categories=("Кремль",)),
        # 1,000 Cyrillic letters fit a URL column as text, not once percent-encoded.
        make_item("long-url", "https://news.example.com/" + "я" * 1000, title="Too long"),
    ]
    document = make_rss(*items).replace("<title>Kador Post</title>", "<title>A & B</title>")
    harness.server.route("/feed.xml", document.encode("cp1251", errors="replace"),
                         content_type="application/rss+xml; charset=utf-8")
    service, (feed_id,) = await harness.service([make_feed(harness.server.url("/feed.xml"))],
                                                max_response_bytes=1024 * 1024)

    result = await service.poll_feed(feed_id)

    assert_ok(result)
    assert result.new == 6
    by_url = {a.canonical_url: a for a in await harness.articles()}
    base = harness.server.base_url
    assert by_url[base + "/relative/one"].title == "Tom & Jerry"
    assert "alert" not in by_url[base + "/relative/one"].body
    assert by_url["https://news.example.com/no-title"].title.startswith("The Kremlin appears")
    future = by_url["https://news.example.com/future"].published_at
    assert future is not None
    assert future <= datetime.now(future.tzinfo)
    assert by_url["https://news.example.com/no-date"].published_at is None
    assert len(by_url["https://news.example.com/huge"].body) <= 200_000
    assert by_url["https://news.example.com/cyrillic"].title == "Кремль: объяснение"
    assert "Too long" not in [article.title for article in by_url.values()]
    feed = await harness.feed(feed_id)
    assert feed.consecutive_failures == 0
    assert feed.health_note is not None
    assert feed.health_note.split("; ")[0] == "feed encoding is cp1251, not the declared utf-8"
    assert "malformed XML, recovered" in feed.health_note
    assert "1 entry without a usable link skipped" in feed.health_note


async def test_permanent_redirect_is_recorded_but_config_url_kept(harness: Harness) -> None:
    """A 301 to a new feed URL is followed, recorded in moved_to and a health note; the
    configured URL stays."""
    server = harness.server
    server.route("/new.xml", make_rss(make_item("g1", "https://news.example.com/a")))
    server.route("/old.xml", redirect_to="/new.xml", status=301)
    service, (feed_id,) = await harness.service([make_feed(server.url("/old.xml"))])

    result = await service.poll_feed(feed_id)

    assert_ok(result)
    assert result.new == 1
    feed = await harness.feed(feed_id)
    assert feed.url == server.url("/old.xml")
    assert feed.moved_to == server.url("/new.xml")
    assert feed.health_note is not None
    assert "moved permanently" in feed.health_note


async def test_permanent_redirect_updates_the_url_of_a_non_config_feed(harness: Harness) -> None:
    """A feed that did not come from the config (e.g. OPML import) adopts its new URL."""
    server = harness.server
    server.route("/new.xml", make_rss(make_item("g1", "https://news.example.com/a")))
    server.route("/old.xml", redirect_to="/new.xml", status=308)
    service, _ = await harness.service([])
    async with harness.session_factory() as session, session.begin():
        feed = Feed(url=server.url("/old.xml"), name="Imported", interval=INTERVAL,
                    source="opml", default_topics=[])
        session.add(feed)
    result = await service.poll_feed(feed.id)

    assert_ok(result)
    moved = await harness.feed(feed.id)
    assert moved.url == server.url("/new.xml")
    assert moved.moved_to is None
    assert moved.health_note is not None
    assert "URL updated" in moved.health_note


async def test_last_error_never_contains_credentials_or_query(harness: Harness) -> None:
    """Error records drop user:password and query strings from URLs."""
    server = harness.server
    server.route("/loop-a", redirect_to="/loop-b?key=SECRET-KEY", status=302)
    server.route("/loop-b", redirect_to="/loop-a?key=SECRET-KEY", status=302)
    url = server.url("/loop-a?key=SECRET-KEY").replace("http://", "http://user:hunter2@")
    service, (feed_id,) = await harness.service([make_feed(url)])

    result = await service.poll_feed(feed_id)

    assert result.error_kind == "redirect_loop"
    feed = await harness.feed(feed_id)
    assert feed.last_error is not None
    assert "hunter2" not in feed.last_error
    assert "SECRET-KEY" not in feed.last_error


# --- scheduling --------------------------------------------------------------------------------


async def test_poll_due_feeds_polls_only_due_feeds(harness: Harness) -> None:
    """poll_due_feeds polls never-polled and overdue feeds, concurrently, and skips the rest."""
    server = harness.server
    for name in ("a", "b", "c"):
        server.route(f"/{name}.xml", make_rss(make_item(name, f"https://news.example.com/{name}")))
    service, ids = await harness.service(
        [make_feed(server.url(f"/{name}.xml"), name=name) for name in ("a", "b", "c")])
    assert_ok(await service.poll_feed(ids[2]))  # c is now due in INTERVAL seconds

    async with harness.session_factory() as session:
        due = await list_due_feeds(session, datetime.now(UTC))
    assert [feed.id for feed in due] == ids[:2]

    results = await service.poll_due_feeds()

    assert sorted(result.feed_id for result in results) == ids[:2]
    assert all(result.new == 1 for result in results)
    assert await service.poll_due_feeds() == []
    assert (server.requests("/a.xml"), server.requests("/c.xml")) == (1, 1)


async def test_only_if_due_skips_a_feed_in_backoff(harness: Harness) -> None:
    """A per-feed job with only_if_due skips a feed whose backoff has not expired."""
    server = harness.server
    server.route("/feed.xml", b"", status=500)
    service, (feed_id,) = await harness.service([make_feed(server.url("/feed.xml"))])
    await service.poll_feed(feed_id)
    await service.poll_feed(feed_id)  # next poll in 2 × INTERVAL

    result = await service.poll_feed(feed_id, only_if_due=True)

    assert result.skipped
    assert server.requests("/feed.xml") == 2


async def test_sync_config_and_schedule(harness: Harness) -> None:
    """Config sync adds feeds, disables removed ones and the schedule lists enabled feeds."""
    server = harness.server
    service, ids = await harness.service(
        [make_feed(server.url("/a.xml"), name="A"), make_feed(server.url("/b.xml"), name="B")])
    assert [(s.feed_id, s.name, s.interval, s.jitter) for s in await service.feed_schedule()] == [
        (ids[0], "A", INTERVAL, 0), (ids[1], "B", INTERVAL, 0)]

    smaller, (kept_id,) = await harness.service([make_feed(server.url("/b.xml"), name="B2")])

    assert kept_id == ids[1]
    assert [(s.feed_id, s.name) for s in await smaller.feed_schedule()] == [(ids[1], "B2")]
    assert (await harness.feed(ids[0])).enabled is False


async def test_unknown_feed_is_an_error_result(harness: Harness) -> None:
    """Polling a feed id that does not exist returns an error result instead of raising."""
    service, _ = await harness.service([])
    result = await service.poll_feed(9999)
    assert result.error == "no such feed"


# --- hostile entries ---------------------------------------------------------------------------


async def test_an_entry_with_20000_categories_is_stored_with_its_neighbours(
    harness: Harness,
) -> None:
    """20,000 <category> tags on one entry (past PostgreSQL's 32,767 bind parameters) neither
    fail the poll nor lose the entry beside it: the entry keeps its topics and the first
    MAX_CATEGORIES categories."""
    flood = ["Kremlin"] + [f"tag {number}" for number in range(20_000)]
    harness.server.route("/feed.xml", make_rss(
        make_item("flood", "https://news.example.com/flood", categories=flood),
        make_item("calm", "https://news.example.com/calm", title="A calm explainer"),
    ))
    service, (feed_id,) = await harness.service(
        [make_feed(harness.server.url("/feed.xml"))], max_response_bytes=4 * 1024 * 1024)
    assert_ok(await service.poll_feed(feed_id))
    articles = await harness.articles()
    assert sorted(a.canonical_url for a in articles) == [
        "https://news.example.com/calm", "https://news.example.com/flood"]
    flooded = next(a for a in articles if a.canonical_url.endswith("/flood"))
    async with harness.session_factory() as session:
        assert "russia" in await article_topic_slugs(session, flooded.id)
        tags = await article_tags(session, flooded.id)
    assert len(tags) == MAX_CATEGORIES - 1  # "Kremlin" became the topic, the rest are tags
    assert (await harness.feed(feed_id)).consecutive_failures == 0


# --- what readers are shown --------------------------------------------------------------------


async def test_readers_get_clean_links_and_the_author(harness: Harness) -> None:
    """From feed to card: the link readers follow has no tracking parameters and no fragment
    (a meaningful ?id= stays), the dc:creator is the card's author, and a year-1 date is
    no date — in the article, in /latest and in /topic citations."""
    creator = ('<dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">'
               "Olena Kovalenko</dc:creator>")
    clean = "https://news.example.com/explainers/pows?id=123"
    tracked = f"{clean}&utm_source=rss&utm_medium=rss#comments"
    await harness.polled_feed(
        make_item("pows", tracked, pub_date="Mon, 01 Jan 0001 00:00:00 +1400",
                  categories=("Kremlin",)).replace("</item>", creator + "</item>"))
    [article] = await harness.articles()
    assert article.url == tracked  # what the feed said is kept as it was
    assert article.author == "Olena Kovalenko"
    assert article.published_at is None

    async with harness.session_factory() as session:
        card = await load_card(session, article.id)
    assert card is not None
    assert (card.url, card.author, card.published_at) == (clean, "Olena Kovalenko", None)
    [message] = render_article(card)
    assert message.text is not None
    assert f'href="{html.escape(clean, quote=True)}"' in message.text
    assert "utm_" not in message.text
    assert "#comments" not in message.text
    assert "Kador Post · By Olena Kovalenko</i>" in message.text
    assert message.buttons[0][0].url == clean

    news = NewsService(harness.session_factory)
    [latest] = await news.latest()
    assert latest.url == clean
    digest = await news.topic_digest(TopicTag("russia", "Russia"))
    assert digest.points
    assert {url for _, _, url in digest.points} == {clean}


async def test_topic_citations_stored_with_tracking_links_are_cleaned(harness: Harness) -> None:
    """Key points stored before citations used canonical URLs are cleaned when read."""
    await harness.polled_feed(
        make_item("pows", "https://news.example.com/a?id=7", categories=("Kremlin",)))
    async with harness.session_factory() as session, session.begin():
        topic = await get_topic_by_slug(session, "russia")
        assert topic is not None
        summary = await get_topic_summary(session, topic.id)
        assert summary is not None
        summary.points = [{**point, "url": "https://news.example.com/a?utm_source=x&id=7#top"}
                          for point in summary.points]
    digest = await NewsService(harness.session_factory).topic_digest(
        TopicTag("russia", "Russia"))
    assert digest.points
    assert {url for _, _, url in digest.points} == {"https://news.example.com/a?id=7"}
