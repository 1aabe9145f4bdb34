"""A reader's session end to end: topics, /latest, /topic, pushes and comments."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from bot.emulator import BotAPIEmulator
from storage.models import Comment, Delivery, Subscription
from tests.support.demo_feed import deliver_pow_explainer, feed_config
from tests.support.feedserver import FeedServer
from tests.support.users import button, entity_texts, follow_after_first_poll, subscribe


async def test_topic_picker_follows_and_unfollows(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Tapping a topic follows it (✅, toast), tapping again unfollows it; the DB agrees."""
    async with running_bot() as bot:
        await subscribe(emulator, 11, "War in Ukraine")
        [picker] = emulator.sent(11)
        assert "✅ War in Ukraine" in [b["text"] for row in picker["reply_markup"][
            "inline_keyboard"] for b in row]
        assert emulator.callback_answers[-1].text == "Following War in Ukraine"
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Subscription.id))) == 1
        await emulator.user(11).press(picker, button(picker, "War in Ukraine"))
        await emulator.wait_for_calls("editMessageReplyMarkup", count=2, timeout=10)
        assert emulator.callback_answers[-1].text == "Stopped following War in Ukraine"
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Subscription.id))) == 0


async def test_latest_and_topic_answer_from_stored_summaries(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """/latest lists stored explainers with links; /topic gives cited key points."""
    async with running_bot(extra=feed_config(feed_server)) as bot:
        reader = emulator.user(12)
        await reader.send("/latest")
        [empty] = await emulator.wait_for_sent(12, count=1, timeout=10)
        assert "No explainers yet" in empty["text"]
        await bot.poll_all_feeds()
        await reader.send("/latest")
        latest = (await emulator.wait_for_sent(12, count=2, timeout=10))[1]
        assert "Latest explainers" in latest["text"]
        links = [e["url"] for e in latest["entities"] if e["type"] == "text_link"]
        assert "https://news.example.org/explainers/grain-corridor" in links
        await reader.send("/topic war in ukraine")
        digest = (await emulator.wait_for_sent(12, count=3, timeout=10))[2]
        assert digest["text"].startswith("Key points: War in Ukraine")
        cited = {e["url"] for e in digest["entities"] if e["type"] == "text_link"}
        assert cited <= set(links) | {"https://news.example.org/explainers/ukraine-winter-grid"}
        assert len(cited) >= 2  # points drawn from more than one explainer


async def test_topic_bad_arguments_get_helpful_replies(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/topic without a name, with an unknown one, or with markup gets a helpful, safe reply."""
    async with running_bot():
        reader = emulator.user(13)
        await reader.send("/topic")
        await reader.send("/topic <script>alert(1)</script>")
        await reader.send("/topic russ")
        replies = await emulator.wait_for_sent(13, count=3, timeout=10)
        assert "Which topic?" in replies[0]["text"]
        assert "<script>alert(1)</script>" in replies[1]["text"]  # shown as text, escaped
        assert "I don't know the topic" in replies[1]["text"]
        assert "war-in-ukraine" in replies[1]["text"]
        assert "No explainers on Russia yet" in replies[2]["text"]  # unambiguous prefix


async def test_new_explainer_pushed_once_even_after_restart(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """A new explainer reaches each subscriber exactly once, across re-polls and a restart."""
    config = feed_config(feed_server)
    async with running_bot(extra=config) as bot:
        await follow_after_first_poll(bot, emulator, "Russia", 21)  # the first three explainers
        await deliver_pow_explainer(bot, feed_server)
        pushed = [m for m in emulator.sent(21) if "POWs" in (m.get("text") or "")]
        assert len(pushed) == 1
        assert "#russia" in pushed[0]["text"]
        await bot.poll_all_feeds()
        await bot.drain_outbox()
    async with running_bot(extra=config) as bot:  # same database: a restart
        await bot.poll_all_feeds()
        await bot.drain_outbox()
        async with bot.sessions() as session:
            rows = (await session.scalars(select(Delivery))).all()
    assert [(d.chat_id, d.status) for d in rows] == [(21, "sent")]
    assert len([m for m in emulator.sent(21) if "POWs" in (m.get("text") or "")]) == 1


async def test_comment_relayed_behind_spoiler(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """A reply to a pushed explainer is stored; once its author chose a name, others see it
    escaped, inside a spoiler."""
    async with running_bot(extra=feed_config(feed_server)) as bot:
        await follow_after_first_poll(bot, emulator, "Russia", 31, 32)
        await deliver_pow_explainer(bot, feed_server)
        pushed = emulator.sent(31)[-1]
        assert "POWs" in pushed["text"]
        await emulator.user(31).send("They <b>should</b> be exchanged & soon",
                                     reply_to=pushed["message_id"])
        question = (await emulator.wait_for_sent(31, count=3, timeout=10))[-1]
        assert "your comment" in question["text"]
        await emulator.user(31).press(question, button(question, "Publish as"))
        for _ in range(200):
            if "posted as" in emulator.sent(31)[-1]["text"]:
                break
            await asyncio.sleep(0.05)
        assert "posted as" in emulator.sent(31)[-1]["text"]
        other = emulator.sent(32)[-1]
        await emulator.user(32).press(other, button(other, "Comments"))
        relayed = (await emulator.wait_for_sent(32, count=3, timeout=10))[-1]
        assert entity_texts(relayed, "spoiler") == ["They <b>should</b> be exchanged & soon"]
        async with bot.sessions() as session:
            [comment] = (await session.scalars(select(Comment))).all()
        assert (comment.user_id, comment.chat_id) == (31, 31)


async def test_reply_to_other_message_is_not_a_comment(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Replying to something that is not an explainer explains how to comment."""
    async with running_bot() as bot:
        reader = emulator.user(33)
        await reader.send("/help")
        [help_message] = await emulator.wait_for_sent(33, count=1, timeout=10)
        await reader.send("nice", reply_to=help_message["message_id"])
        reply = (await emulator.wait_for_sent(33, count=2, timeout=10))[-1]
        assert "reply to one of the explainers" in reply["text"]
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Comment.id))) == 0


async def test_worker_process_summarises_for_the_bot(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """With ingestion.workers = 1, parsing and summarising run in a worker process and the
    stored summaries are the same as without it."""
    async with running_bot(extra={**feed_config(feed_server), "ingestion": {"workers": 1}}) as bot:
        assert bot.workers is not None
        await bot.poll_all_feeds()
        pids = {p.pid for p in bot.workers._processes.values()}
        assert pids  # a worker process really ran
        cards = await bot.services.news.latest()
    assert len(cards) == 3
    assert all(card.summary for card in cards)
    assert {t.slug for card in cards for t in card.topics} >= {"war-in-ukraine", "russia"}
