"""Comments from the publisher's website end to end: an explainer's entry links its comment
feed, the leader reads it, stores each new comment once (also across restarts), hands it to
publication once, shows it in the comments view marked as from the website; broken comment
feeds and a <comments> page are recorded, never a crash; a first read does not flood."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.app import NewsBot
from bot.emulator import BotAPIEmulator
from bot.ingest.fetch import FeedFetcher
from bot.services.site_comments import SiteCommentService
from storage.models import Comment, SiteCommentFeed
from tests.support.feedserver import FeedServer
from tests.support.users import button, subscribe

ENERGY = {"slug": "energy", "name": "Energy", "keywords": ["power grid"]}
READER = 81


def rss(*items: str, namespaces: str = "") -> bytes:
    """An RSS 2.0 document around ``items``."""
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"'
            f"{namespaces}><channel><title>Site</title><link>https://news.example.org/</link>"
            + "".join(items) + "</channel></rss>").encode()


def explainer(slug: str, *, comment_feed: str | None = None, comments: str | None = None) -> str:
    """An explainer entry about the power grid, linking its comments as asked."""
    links = (f"<wfw:commentRss>{comment_feed}</wfw:commentRss>" if comment_feed else "") + (
        f"<comments>{comments}</comments>" if comments else "")
    return (f"<item><title>Why the power grid held ({slug})</title>"
            f"<link>https://news.example.org/explainers/{slug}</link><guid>{slug}</guid>"
            f"<description>The power grid survived the winter. Crews worked hard.</description>"
            f"{links}</item>")


def comment(guid: str, text_html: str, author: str | None, when: datetime) -> str:
    """A comment entry as WordPress writes it (dc:creator, content:encoded)."""
    creator = f"<dc:creator>{author}</dc:creator>" if author else ""
    body = text_html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (f"<item><title>Comment</title><link>https://news.example.org/c/{guid}</link>"
            f'<guid isPermaLink="false">{guid}</guid>{creator}'
            f"<pubDate>{format_datetime(when)}</pubDate>"
            f"<content:encoded>{body}</content:encoded></item>")


def soon() -> datetime:
    """A date just ahead: read as "now" when parsed, so after the explainer was first seen."""
    return datetime.now(UTC) + timedelta(minutes=1)


class Published:
    """The publication hook: records each comment id it is handed."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    async def __call__(self, comment_id: int) -> None:
        self.ids.append(comment_id)


def hook(bot: NewsBot) -> Published:
    """Set a recording hook on the bot's site comment service."""
    recorder = Published()
    service = bot.services.site_comments
    assert service is not None
    service.on_published = recorder
    return recorder


async def make_due(bot: NewsBot) -> None:
    """Make every comment feed due now (instead of waiting site_poll_minutes)."""
    async with bot.sessions() as session, session.begin():
        await session.execute(update(SiteCommentFeed).values(next_poll_at=None))


async def site_comments(bot: NewsBot) -> list[Comment]:
    """The stored website comments, oldest first."""
    async with bot.sessions() as session:
        rows = await session.scalars(select(Comment).where(Comment.source == "site")
                                     .order_by(Comment.id))
        return list(rows.all())


async def feed_state(bot: NewsBot) -> list[SiteCommentFeed]:
    """The comment feeds' polling states."""
    async with bot.sessions() as session:
        return list((await session.scalars(
            select(SiteCommentFeed).order_by(SiteCommentFeed.article_id))).all())


def config(feed_server: FeedServer) -> dict[str, Any]:
    """The publisher's feed and the energy topic."""
    return {"topics": [ENERGY],
            "feeds": [{"url": feed_server.url("/explainers.xml"), "name": "Explainers"}],
            "delivery": {"coalesce_seconds": 0}}


async def test_website_comments_are_stored_published_once_and_shown(
    emulator: BotAPIEmulator, running_bot: Callable[..., Any], feed_server: FeedServer
) -> None:
    """Two comments on the site → both stored and handed to publication; one more → only
    it; a restarted bot on the same database → none again; the comments view shows them as
    from the website, with the site's HTML as escaped text."""
    comments_path = "/explainers/grid/feed/"
    feed_server.route("/explainers.xml", rss())
    first = comment("c1", "<p>Thanks <b>crews</b> &amp; <i>engineers</i></p>", "Olena", soon())
    second = comment("c2", "<p>1 &lt; 2 and no name</p>", None, soon())
    async with running_bot(extra=config(feed_server)) as bot:
        await bot.poll_all_feeds()  # baseline
        await subscribe(emulator, READER, "Energy")
        feed_server.route("/explainers.xml",
                          rss(explainer("grid", comment_feed=feed_server.url(comments_path))))
        await bot.poll_all_feeds()
        await bot.drain_outbox()
        published = hook(bot)

        feed_server.route(comments_path, rss(first, second), etag='"v1"')
        polls = await bot.poll_site_comments()
        assert [len(p.stored) for p in polls] == [2]
        stored = await site_comments(bot)
        assert published.ids == [c.id for c in stored]
        assert [(c.author, c.text, c.status) for c in stored] == [
            ("Olena", "Thanks crews & engineers", "visible"),
            ("Website reader", "1 < 2 and no name", "visible"),
        ]

        # Not due again before site_poll_minutes; due, unchanged → a conditional 304.
        assert await bot.poll_site_comments() == []
        await make_due(bot)
        assert [p.not_modified for p in await bot.poll_site_comments()] == [True]
        assert feed_server.last_request(comments_path).headers.get("If-None-Match") == '"v1"'

        # The feed grows by one: only the new comment.
        third = comment("c3", "<p>Will it hold next winter?</p>", "Taras", soon())
        feed_server.route(comments_path, rss(first, second, third), etag='"v2"')
        await make_due(bot)
        await bot.poll_site_comments()
        stored = await site_comments(bot)
        assert len(stored) == 3
        assert published.ids == [c.id for c in stored]

    # A new bot instance on the same database: nothing stored or published twice.
    feed_server.route(comments_path, rss(first, second, third), etag='"v3"')
    async with running_bot(extra=config(feed_server)) as bot:
        published = hook(bot)
        await make_due(bot)
        polls = await bot.poll_site_comments()
        assert [(p.stored, p.error) for p in polls] == [((), None)]
        assert published.ids == []
        assert len(await site_comments(bot)) == 3

        pushed = next(m for m in emulator.sent(READER) if "power grid held" in
                      (m.get("text") or m.get("caption") or ""))
        count = len(emulator.sent(READER))
        await emulator.user(READER).press(pushed, button(pushed, "Comments"))
        view = (await emulator.wait_for_sent(READER, count=count + 1, timeout=10))[-1]
        text = view["text"]
        assert text.count("(from the website)") == 3
        assert "Olena (from the website)" in text
        assert "Website reader (from the website)" in text
        assert "Thanks crews & engineers" in text
        assert "1 < 2 and no name" in text


async def test_broken_feeds_are_recorded_pages_remembered_and_backlogs_not_relayed(
    running_bot: Callable[..., Any], feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A comment feed answering 500 is recorded (failures, error, a warning) without a
    crash; a <comments> link serving a page is remembered and not fetched again; a first
    read of 200 old comments stores them all but publishes only the one written since the
    explainer was first seen; loopback is refused without ingestion.allow_private_networks."""
    caplog.set_level(logging.INFO)
    old = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    backlog = [comment(f"old-{n}", f"<p>Old comment {n}</p>", f"Reader {n}",
                       old + timedelta(minutes=n)) for n in range(200)]
    feed_server.route("/explainers.xml", rss())
    async with running_bot(extra=config(feed_server)) as bot:
        await bot.poll_all_feeds()
        feed_server.route("/explainers.xml", rss(
            explainer("broken", comment_feed=feed_server.url("/broken/feed/")),
            explainer("page", comments=feed_server.url("/page#comments")),
            explainer("busy", comment_feed=feed_server.url("/busy/feed/")),
        ))
        await bot.poll_all_feeds()
        feed_server.route("/broken/feed/", b"oops", status=500)
        feed_server.route("/page", b"<!doctype html><html><head><title>Grid</title></head>"
                          b"<body>Comments below</body></html>", content_type="text/html")
        newest = comment("new-1", "<p>Just read it</p>", "Iryna", soon())
        feed_server.route("/busy/feed/", rss(*backlog, newest))
        published = hook(bot)

        polls = {next(n for n in ("broken", "page", "busy") if f"/{n}" in p.url): p
                 for p in await bot.poll_site_comments()}
        assert "500" in (polls["broken"].error or "")
        assert polls["page"].not_feed
        assert len(polls["busy"].stored) == 201
        assert len(published.ids) == 1
        newest_row = next(c for c in await site_comments(bot) if c.id == published.ids[0])
        assert (newest_row.author, newest_row.text) == ("Iryna", "Just read it")
        states = {s.url: s for s in await feed_state(bot)}
        broken = states[feed_server.url("/broken/feed/")]
        assert broken.consecutive_failures == 1
        assert "HTTP 500" in (broken.last_error or "")
        assert states[feed_server.url("/page#comments")].status == "not_feed"
        assert any("failed" in r.getMessage() and r.levelno == logging.WARNING
                   for r in caplog.records)

        await make_due(bot)
        await bot.poll_site_comments()
        assert feed_server.requests("/page") == 1  # remembered as a page
        assert feed_server.requests("/broken/feed/") == 2
        assert (await feed_state(bot))[0].consecutive_failures == 2
        assert len(published.ids) == 1

        # Production's network policy: loopback is refused, and recorded as a failure.
        strict = bot.settings.model_copy(update={"ingestion": bot.settings.ingestion.model_copy(
            update={"allow_private_networks": False})})
        await make_due(bot)
        async with FeedFetcher(strict.ingestion) as fetcher:
            polls_strict = await SiteCommentService(bot.sessions, fetcher, strict).poll_due()
        assert polls_strict
        assert all("blocked" in (p.error or "") for p in polls_strict)


async def test_the_scheduled_job_reads_comment_feeds(
    running_bot: Callable[..., Any], feed_server: FeedServer
) -> None:
    """With the scheduler on, a "site-comments" job runs every site_poll_minutes and, run on
    the leader, reads the comment feeds that are due."""
    feed_server.route("/explainers.xml", rss(
        explainer("grid", comment_feed=feed_server.url("/grid/feed/"))))
    feed_server.route("/grid/feed/", rss(comment("j1", "<p>Hello</p>", "Olena", soon())))
    extra = {**config(feed_server), "ingestion": {"jitter": 0},
             "comments": {"site_poll_minutes": 3}}
    async with running_bot(schedule_feeds=True, extra=extra) as bot:
        await bot.poll_all_feeds()
        published = hook(bot)
        job_queue = bot.application.job_queue
        assert job_queue is not None
        (job,) = job_queue.get_jobs_by_name("site-comments")
        assert job.trigger.interval == timedelta(minutes=3)
        await job.run(bot.application)
        assert [c.text for c in await site_comments(bot)] == ["Hello"]
        assert len(published.ids) == 1
        assert feed_server.requests("/grid/feed/") == 1


async def test_site_comments_can_be_turned_off(
    running_bot: Callable[..., Any], feed_server: FeedServer
) -> None:
    """comments.site_comments = false: no job, and no comment feed is fetched."""
    feed_server.route("/explainers.xml", rss(
        explainer("grid", comment_feed=feed_server.url("/grid/feed/"))))
    feed_server.route("/grid/feed/", rss(comment("j1", "<p>Hello</p>", "Olena", soon())))
    extra = {**config(feed_server), "comments": {"site_comments": False}}
    async with running_bot(schedule_feeds=True, extra=extra) as bot:
        await bot.poll_all_feeds()
        job_queue = bot.application.job_queue
        assert job_queue is not None
        assert job_queue.get_jobs_by_name("site-comments") == ()
        assert await bot.poll_site_comments() == []
        assert feed_server.requests("/grid/feed/") == 0


async def test_a_failing_publication_hook_stops_nothing(
    running_bot: Callable[..., Any], feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A hook that raises for one comment is logged; the other comments are still handed
    over, all stay stored, and the poll reports success."""
    feed_server.route("/explainers.xml", rss())
    async with running_bot(extra=config(feed_server)) as bot:
        await bot.poll_all_feeds()
        feed_server.route("/explainers.xml", rss(
            explainer("grid", comment_feed=feed_server.url("/grid/feed/"))))
        await bot.poll_all_feeds()
        feed_server.route("/grid/feed/", rss(comment("a", "<p>One</p>", "A", soon()),
                                             comment("b", "<p>Two</p>", "B", soon())))
        handed: list[int] = []

        async def flaky(comment_id: int) -> None:
            handed.append(comment_id)
            if len(handed) == 1:
                raise RuntimeError("relay down")

        service = bot.services.site_comments
        assert service is not None
        service.on_published = flaky
        (poll,) = await bot.poll_site_comments()
        assert poll.error is None
        assert handed == list(poll.published) == list(poll.stored)
        assert len(handed) == 2
        assert any("publishing comment" in r.getMessage() for r in caplog.records)
