"""The admins' feeds from Telegram end to end, on both databases: /feeds with health, add
(fetched and parsed first, under the network policy), remove, pause and resume; a failing
feed's alert with its URL and Pause / Retry now; the recovery as good news; /post URL pushed
to the topic's subscribers at once. Everyone else is refused and nothing changes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.emulator import BotAPIEmulator
from storage.models import AdminAuditLog, Article, Feed, utcnow
from tests.e2e.test_admin import ADMIN, NOT_ALLOWED, ask
from tests.e2e.test_comments import until
from tests.support.feedserver import FeedServer
from tests.support.users import button, subscribe

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAGE = (FIXTURES / "pages" / "explainer-pows.html").read_bytes()
HTML = "text/html; charset=utf-8"
FEED = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Kador Wire</title><link>https://news.example.com/</link>"
        "<item><title>First</title><link>https://news.example.com/first</link>"
        "<guid>first</guid><description>The Kremlin said so.</description></item>"
        "</channel></rss>")
STRICT = {"ingestion": {"allow_private_networks": False}}


async def feeds(bot: Any) -> list[Feed]:
    """Every stored feed, oldest first."""
    async with bot.sessions() as session:
        return list((await session.scalars(select(Feed).order_by(Feed.id))).all())


async def audit_actions(bot: Any) -> list[str]:
    """The audit log's actions, oldest first."""
    async with bot.sessions() as session:
        return list((await session.scalars(
            select(AdminAuditLog.action).order_by(AdminAuditLog.id))).all())


async def make_due(bot: Any) -> None:
    """Every feed's next poll is in the past."""
    async with bot.sessions() as session, session.begin():
        for feed in (await session.scalars(select(Feed))).all():
            feed.next_poll_at = utcnow() - timedelta(minutes=1)


async def press(emulator: BotAPIEmulator, user_id: int, message: dict[str, Any], data: str,
                forged: bool = False) -> str:
    """``user_id`` presses a button; the toast the bot answered with."""
    answers = len(emulator.callback_answers)
    await emulator.user(user_id).press(message, data, forged=forged)
    answer = await until(lambda: emulator.callback_answers[answers:], timeout=15)
    return str(answer[0].text or "")


async def test_a_non_admin_is_refused_every_feed_command_and_button(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """/feeds in every form and /post from a reader get "not allowed"; forged Pause / Retry
    presses are refused; no feed is added, paused or fetched, nothing is audited."""
    feed_server.route("/wire.xml", FEED)
    feed_server.route("/page", PAGE, content_type=HTML)
    config = {"feeds": [{"url": feed_server.url("/feed.xml"), "name": "Explainers"}]}
    async with running_bot(extra=config, admins=(ADMIN,)) as bot:
        for text in ("/feeds", f"/feeds add {feed_server.url('/wire.xml')}", "/feeds remove 1",
                     "/feeds pause 1", "/feeds resume 1", f"/post {feed_server.url('/page')}",
                     "/post"):
            assert (await ask(emulator, 70, text))["text"] == NOT_ALLOWED, text
        reply = await ask(emulator, 70, "/feeds")
        for data in ("feedop:1:pause", "feedop:1:retry", "feedop:x:retry", "feedop:1:delete"):
            assert await press(emulator, 70, reply, data, forged=True) == NOT_ALLOWED
        (feed,) = await feeds(bot)
        assert not feed.paused
        assert feed.last_polled_at is None
        assert await audit_actions(bot) == []
        assert feed_server.requests("/wire.xml") == feed_server.requests("/page") == 0
        assert feed_server.requests("/feed.xml") == 0


async def test_loopback_is_refused_under_the_production_network_policy(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """Without ingestion.allow_private_networks, /feeds add and /post of a loopback URL are
    refused with the reason, before any request reaches the server."""
    feed_server.route("/wire.xml", FEED)
    feed_server.route("/page", PAGE, content_type=HTML)
    async with running_bot(extra=STRICT, admins=(ADMIN,)) as bot:
        reply = await ask(emulator, ADMIN, f"/feeds add {feed_server.url('/wire.xml')}")
        assert "loopback, private or link-local" in reply["text"]
        assert "allow_private_networks" in reply["text"]
        reply = await ask(emulator, ADMIN, f"/post {feed_server.url('/page')}")
        assert "loopback, private or link-local" in reply["text"]
        assert await feeds(bot) == []
        assert feed_server.requests("/wire.xml") == feed_server.requests("/page") == 0


async def test_feeds_are_added_after_a_check_then_paused_resumed_and_removed(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """A 500 and an HTML page are refused with the reason; a good feed is added with its
    topics and polled; /feeds lists its health; paused it is not polled, resumed it is due at
    once; removed it is gone (a config feed is not removable); every change is audited."""
    feed_server.route("/broken.xml", b"oops", status=500)
    feed_server.route("/page", PAGE, content_type=HTML)
    feed_server.route("/wire.xml", FEED)
    config = {"feeds": [{"url": feed_server.url("/feed.xml"), "name": "Explainers"}]}
    async with running_bot(extra=config, admins=(ADMIN,)) as bot:
        reply = await ask(emulator, ADMIN, f"/feeds add {feed_server.url('/broken.xml')}")
        assert "answered with an error" in reply["text"]
        assert "HTTP 500" in reply["text"]
        reply = await ask(emulator, ADMIN, f"/feeds add {feed_server.url('/page')}")
        assert "not an RSS, Atom or JSON feed" in reply["text"]
        reply = await ask(emulator, ADMIN, f"/feeds add {feed_server.url('/wire.xml')} nothing")
        assert "No topic is called nothing" in reply["text"]
        assert len(await feeds(bot)) == 1

        wire = feed_server.url("/wire.xml")
        reply = await ask(emulator, ADMIN, f"/feeds add {wire} russia, War in Ukraine")
        assert "Added feed #2 Kador Wire" in reply["text"]
        assert "Topics: russia, war-in-ukraine" in reply["text"]
        assert "already there" in (await ask(emulator, ADMIN, f"/feeds add {wire}"))["text"]
        added = (await feeds(bot))[1]
        assert (added.name, added.source, added.default_topics) == (
            "Kador Wire", "admin", ["russia", "war-in-ukraine"])
        result = await bot.poll_feed(added.id)
        assert result.ok
        assert result.new == 1
        listing = (await ask(emulator, ADMIN, "/feeds"))["text"]
        assert listing.startswith("2 feeds")
        assert "#2 Kador Wire" in listing
        assert wire in listing
        assert "failures in a row: 0" in listing

        reply = await ask(emulator, ADMIN, "/feeds pause 2")
        assert "Paused feed #2 Kador Wire" in reply["text"]
        assert "already paused" in (await ask(emulator, ADMIN, f"/feeds pause {wire}"))["text"]
        requests = feed_server.requests("/wire.xml")
        await make_due(bot)
        polled = await bot.services.ingestion.poll_due_feeds()
        assert [p.feed_id for p in polled] == [1]
        assert (await bot.poll_feed(2)).skipped
        assert feed_server.requests("/wire.xml") == requests
        assert "— paused" in (await ask(emulator, ADMIN, "/feeds"))["text"]

        assert "Resumed feed #2" in (await ask(emulator, ADMIN, f"/feeds resume {wire}"))["text"]
        assert "is not paused" in (await ask(emulator, ADMIN, "/feeds resume 2"))["text"]
        polled = await bot.services.ingestion.poll_due_feeds()
        assert [p.feed_id for p in polled] == [2]
        assert feed_server.requests("/wire.xml") == requests + 1

        reply = await ask(emulator, ADMIN, "/feeds remove 1")
        assert "comes from the config file" in reply["text"]
        assert "Removed feed #2" in (await ask(emulator, ADMIN, "/feeds remove 2"))["text"]
        assert "No feed 2" in (await ask(emulator, ADMIN, "/feeds remove 2"))["text"]
        assert "Usage" in (await ask(emulator, ADMIN, "/feeds rename 1"))["text"]
        assert [feed.id for feed in await feeds(bot)] == [1]
        async with bot.sessions() as session:
            kept = await session.scalar(select(func.count()).select_from(Article).where(
                Article.canonical_url == "https://news.example.com/first"))
        assert kept == 1  # the removed feed's explainer stays
        assert await audit_actions(bot) == ["feeds.add", "feeds.pause", "feeds.resume",
                                            "feeds.remove"]
        audit = (await ask(emulator, ADMIN, "/audit"))["text"]
        assert "added a feed → 2" in audit


async def test_a_failing_feed_alert_has_its_url_pause_and_retry_and_recovery_is_good_news(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """The alert names the feed's URL with Pause / Retry now; a reader's press of them is
    refused; Retry now while it still fails says so; fixed, Retry now polls it and the
    recovery notice comes with ✅ and no buttons; Pause pauses it."""
    feed_server.route("/wire.xml", b"down", status=503)
    config = {"feeds": [{"url": feed_server.url("/wire.xml") + "?key=secret",
                         "name": "Kador Wire"}],
              "ingestion": {"failure_alert_threshold": 1}}
    await emulator.user(ADMIN).send("/start")
    async with running_bot(extra=config, admins=(ADMIN,)) as bot:
        await emulator.wait_for_sent(ADMIN, count=1, timeout=10)
        before = len(emulator.sent(ADMIN))
        await bot.poll_all_feeds()
        alert = (await emulator.wait_for_sent(ADMIN, count=before + 1, timeout=10))[before]
        assert alert["text"].startswith("⚠️ Feed Kador Wire has failed 1 poll in a row")
        assert f"URL: {feed_server.url('/wire.xml')}" in alert["text"]
        assert "secret" not in alert["text"]
        labels = [b["text"] for row in alert["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["Pause", "Retry now"]

        reader = await ask(emulator, 70, "/start")
        for label in ("Pause", "Retry now"):
            assert await press(emulator, 70, reader, button(alert, label),
                               forged=True) == NOT_ALLOWED
        assert not (await feeds(bot))[0].paused

        toast = await press(emulator, ADMIN, alert, button(alert, "Retry now"))
        assert toast.startswith("Kador Wire still fails: http_status: HTTP 503")
        feed_server.route("/wire.xml", FEED)
        before = len(emulator.sent(ADMIN))
        toast = await press(emulator, ADMIN, alert, button(alert, "Retry now"))
        assert toast == "Kador Wire polled: 1 new explainer."
        back = (await emulator.wait_for_sent(ADMIN, count=before + 1, timeout=10))[before]
        assert back["text"].startswith("✅ Feed Kador Wire recovered after 2 failures")
        assert "⚠️" not in back["text"]
        assert not (back.get("reply_markup") or {}).get("inline_keyboard")

        toast = await press(emulator, ADMIN, alert, button(alert, "Pause"))
        assert toast.startswith("Paused Kador Wire.")
        assert (await feeds(bot))[0].paused
        assert await audit_actions(bot) == ["feeds.retry", "feeds.retry", "feeds.pause"]


async def test_post_pushes_one_explainer_to_its_topic_subscribers_at_once(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """/post of an article page extracts its full text, tags it, stores it and pushes it to
    the readers of its topic within seconds (no poll, no manual drain); a second /post of the
    same URL is refused as already stored; a page that is not an article is refused."""
    feed_server.route("/explainers/pows", PAGE, content_type=HTML)
    feed_server.route("/empty", "<html><body><p>Hi</p></body></html>", content_type=HTML)
    async with running_bot(admins=(ADMIN,)) as bot:
        await subscribe(emulator, 81, "Russia")
        await subscribe(emulator, 82, "War in Ukraine")  # the page's topic (keyword Ukraine)
        before, other = len(emulator.sent(82)), len(emulator.sent(81))
        reply = await ask(emulator, ADMIN, f"/post {feed_server.url('/explainers/pows')}")
        assert reply["text"].startswith("Posted EXPLAINED: Why Russia Doesn")
        assert "Topics: war-in-ukraine" in reply["text"]
        assert "Queued for 1 subscriber chat" in reply["text"]
        pushed = await emulator.wait_for_sent(82, count=before + 1, timeout=10)
        assert "POWs" in (pushed[before].get("text") or pushed[before].get("caption") or "")
        assert len(emulator.sent(81)) == other  # Russia's reader: not its topic
        async with bot.sessions() as session:
            article = (await session.scalars(select(Article))).one()
        assert article.feed_id is None
        assert len(article.body) > 500  # the page's full text, not a feed's summary

        reply = await ask(emulator, ADMIN, f"/post {feed_server.url('/explainers/pows')}")
        assert "already stored" in reply["text"]
        reply = await ask(emulator, ADMIN, f"/post {feed_server.url('/empty')}")
        assert "no explainer could be extracted" in reply["text"]
        assert "Usage" in (await ask(emulator, ADMIN, "/post"))["text"]
        assert await audit_actions(bot) == ["post"]
