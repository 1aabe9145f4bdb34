"""/stats, ``newsbot stats`` and click tracking end to end, on both databases: the two
outputs agree with counts taken straight from the database, the chart arrives as a PNG photo
whose data is the stats' series, non-admins are refused, and a tracked Read button counts a
click once and redirects (a made-up link is 404)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bot.emulator import BotAPIEmulator
from storage.models import Chat, Comment, Delivery, Feed, LinkClick, Subscription, TrackedLink
from tests.e2e.test_comments import next_reply, pushed_to, until
from tests.support.cli import run_cli
from tests.support.demo_feed import feed_config
from tests.support.feedserver import FeedServer

ADMIN = 900
READERS = (41, 42, 43)
PUBLIC_URL = "https://news.example.com/bot"
NOT_ALLOWED = "Sorry, only the bot's admins can do that."


def read_button_url(message: dict[str, Any]) -> str:
    """The URL of a message's Read button."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for item in row:
            if item["text"] == "Read":
                return str(item["url"])
    raise AssertionError(f"no Read button in {message['reply_markup']}")


async def count(bot: Any, query: Any) -> int:
    """One scalar count from the bot's database."""
    async with bot.sessions() as session:
        return int(await session.scalar(query) or 0)


async def database_numbers(bot: Any) -> dict[str, Any]:
    """The numbers /stats should show, counted here without the stats code."""
    since = datetime.now(UTC) - timedelta(days=1)
    numbers = {
        "active": await count(bot, select(func.count()).select_from(Chat)
                              .where(Chat.status == "active")),
        "blocked": await count(bot, select(func.count()).select_from(Chat)
                               .where(Chat.status == "blocked")),
        "private": await count(bot, select(func.count()).select_from(Chat)
                               .where(Chat.status == "active", Chat.type == "private")),
        "russia": await count(bot, select(func.count(func.distinct(Subscription.chat_id)))
                              .join(Chat, Chat.id == Subscription.chat_id)
                              .where(Chat.status == "active", Subscription.topic_id == 2)),
        "sent": await count(bot, select(func.count()).select_from(Delivery)
                            .where(Delivery.status == "sent", Delivery.created_at >= since)),
        "depth": await count(bot, select(func.count()).select_from(Delivery)
                             .where(Delivery.status.in_(("pending", "sending")))),
        "feeds": await count(bot, select(func.count()).select_from(Feed)
                             .where(Feed.enabled.is_(True), Feed.consecutive_failures == 0)),
        "comments": await count(bot, select(func.count()).select_from(Comment)),
        "clicks": await count(bot, select(func.coalesce(func.sum(LinkClick.clicks), 0))),
    }
    numbers["new"] = await count(bot, select(func.count()).select_from(Chat))
    return numbers


async def test_stats_cli_and_telegram_agree_and_a_tracked_read_button_counts_once(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer, tmp_path: Path
) -> None:
    """An explainer pushed to three readers has a Read button on <public_url>/r/<id>; a GET
    on it counts one click and redirects to the article, a made-up id is 404; one reader
    blocks the bot; `newsbot stats --json`, its table and /stats show the database's
    numbers, and the chart photo (a PNG) is drawn from the same series."""
    extra = {**feed_config(feed_server), "server": {"public_url": PUBLIC_URL}}
    async with running_bot(admins=(ADMIN,), extra=extra) as bot:
        pushed = await pushed_to(bot, emulator, feed_server, *READERS)
        tracked = read_button_url(pushed[READERS[0]])
        assert tracked.startswith(f"{PUBLIC_URL}/r/")
        assert {read_button_url(message) for message in pushed.values()} == {tracked}
        token = tracked.rsplit("/", 1)[1]
        assert len(token) >= 12
        async with bot.sessions() as session:
            article_url = await session.scalar(
                select(TrackedLink.url).where(TrackedLink.token == token))
        base = f"http://127.0.0.1:{bot.web.port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/r/{token}", allow_redirects=False) as response:
                assert response.status == 302
                assert response.headers["Location"] == article_url
            async with http.get(f"{base}/r/{token[::-1]}x", allow_redirects=False) as response:
                assert response.status == 404
            async with http.get(f"{base}/r/", allow_redirects=False) as response:
                assert response.status == 404
            async with http.head(f"{base}/r/{token}", allow_redirects=False) as response:
                assert response.status == 405  # a link checker's HEAD is no click
            async with http.get(f"{base}/metrics") as response:
                metrics = await response.text()
            assert 'newsbot_link_clicks_total{outcome="redirected"} 1.0' in metrics
            assert 'newsbot_link_clicks_total{outcome="unknown"} 1.0' in metrics
        assert await count(bot, select(func.sum(LinkClick.clicks))) == 1

        await emulator.user(READERS[2]).block_bot()
        for _ in range(100):
            if await count(bot, select(func.count()).select_from(Chat)
                           .where(Chat.status == "blocked")) == 1:
                break
            await asyncio.sleep(0.05)
        expected = await database_numbers(bot)
        assert (expected["active"], expected["blocked"], expected["clicks"]) == (2, 1, 1)

        config = str(tmp_path / "config.toml")
        result = await asyncio.to_thread(run_cli, "stats", "-c", config, "--json")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["chats_by_status"].get("active") == expected["active"]
        assert data["chats_by_status"].get("blocked") == expected["blocked"]
        assert data["active_by_type"].get("private") == expected["private"]
        assert {"topic": "Russia", "active": expected["russia"]} in data["per_topic"]
        assert data["growth"]["7"] == {"new": expected["new"], "gone": 1}
        assert data["deliveries_24h"].get("sent", 0) == expected["sent"]
        assert data["outbox_depth"] == expected["depth"]
        assert data["feeds_ok"] == expected["feeds"]
        assert data["comments_total"] == expected["comments"]
        assert data["clicks_30d"] == expected["clicks"]
        assert data["tracking"] is True
        [row] = data["explainers"]
        assert (row["clicks"], row["sent"]) == (1, expected["sent"])
        assert data["series"]["subscribers"][-1] == expected["active"]
        assert data["series"]["deliveries"][-1] == expected["sent"]
        assert data["series"]["clicks"][-1] == 1
        assert len(data["series"]["days"]) == 30

        table = await asyncio.to_thread(run_cli, "stats", "-c", config)
        assert table.returncode == 0, table.stderr
        assert "Subscribers" in table.stdout
        assert "Reading" in table.stdout
        assert f"clicks in the last 30 days: {expected['clicks']}" in table.stdout

        before = len(emulator.sent(ADMIN))
        await emulator.user(ADMIN).send("/stats")
        text = (await next_reply(emulator, ADMIN, before))["text"]
        assert f"active {expected['active']} · blocked {expected['blocked']}" in text
        assert f"private {expected['private']}" in text
        assert f"• Russia: {expected['russia']}" in text
        assert f"Last 7 days: +{expected['new']} new, −1 gone" in text
        assert f"sent {expected['sent']}" in text
        assert f"Outbox: {expected['depth']} waiting" in text
        assert f"ok {expected['feeds']} · failing 0" in text
        assert f"Clicks in the last 30 days: {expected['clicks']}" in text
        assert f"1 click / {expected['sent']} sent" in text
        photo = await until(lambda: next(
            (m for m in emulator.sent(ADMIN)[before:] if "photo" in m), None))
        stored = emulator.state.files[photo["photo"][-1]["file_id"]]
        assert stored.data is not None
        assert stored.data.startswith(b"\x89PNG\r\n\x1a\n")
        assert "30 days" in photo["caption"]
        # The chart is drawn from the report's series: the same numbers as the CLI's.
        series = (await bot.services.stats.report()).series
        assert [day.isoformat() for day in series.days] == data["series"]["days"]
        assert list(series.subscribers) == data["series"]["subscribers"]
        assert list(series.deliveries) == data["series"]["deliveries"]
        assert list(series.clicks) == data["series"]["clicks"]


async def test_non_admins_get_no_stats_and_without_public_url_read_goes_straight(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """A reader's /stats is refused with no photo; without server.public_url the Read button
    links the article itself, no link is stored and /r/ is not served."""
    async with running_bot(admins=(ADMIN,), extra=feed_config(feed_server)) as bot:
        pushed = await pushed_to(bot, emulator, feed_server, READERS[0])
        url = read_button_url(pushed[READERS[0]])
        assert "/r/" not in url
        assert url.startswith("http")
        assert await count(bot, select(func.count()).select_from(TrackedLink)) == 0
        before = len(emulator.sent(READERS[0]))
        await emulator.user(READERS[0]).send("/stats")
        assert (await next_reply(emulator, READERS[0], before))["text"] == NOT_ALLOWED
        await asyncio.sleep(0.3)
        assert not any("photo" in m for m in emulator.sent(READERS[0])[before:])
        async with aiohttp.ClientSession() as http, http.get(
                f"http://127.0.0.1:{bot.web.port}/r/AAAAAAAAAAAA",
                allow_redirects=False) as response:
            assert response.status == 404
