"""Relaying published comments end to end, on both databases: to the discussion chat behind
one spoiler, to the readers who follow the explainer's comments (once each, in their own
language, never to the author, never to a reader who blocked the bot), and edits and
deletes reaching every copy."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select, update

from bot.emulator import BotAPIEmulator
from storage.models import Comment, CommentFollow, Delivery
from tests.e2e.test_comments import config, next_reply, until
from tests.support.demo_feed import deliver_pow_explainer
from tests.support.feedserver import FeedServer
from tests.support.users import button, entity_texts, subscribe

GROUP = -1007001  # the discussion chat
AUTHOR, FOLLOWER, UKRAINIAN, BLOCKER = 61, 62, 63, 64
BODY = "They 😀 should be exchanged at once"


async def discussion_group(emulator: BotAPIEmulator) -> None:
    """The newsroom's discussion group, with the bot in it."""
    owner = emulator.user(70, "Owner")
    group = emulator.group(GROUP, "Readers' discussion")
    group.set_member(owner, "creator")
    await group.add_bot(by=owner, as_admin=True)


async def readers(bot: Any, emulator: BotAPIEmulator, server: FeedServer,
                  *user_ids: int) -> dict[int, dict[str, Any]]:
    """Readers follow Russia (63 with a Ukrainian Telegram); the POW explainer is pushed to
    them; their pushed messages."""
    await bot.poll_all_feeds()
    for user_id in user_ids:
        if user_id == UKRAINIAN:
            reader = emulator.user(user_id, "Оксана", language_code="uk")
            await reader.send("/start")
            await emulator.wait_for_sent(user_id, count=1, timeout=10)
            await reader.send("/subscribe russia")
            await emulator.wait_for_sent(user_id, count=2, timeout=10)
        else:
            await subscribe(emulator, user_id, "Russia")
    await deliver_pow_explainer(bot, server)
    return {user_id: await until(lambda uid=user_id: next(
        (m for m in reversed(emulator.sent(uid)) if "POWs" in (m.get("text") or "")), None))
        for user_id in user_ids}


def callback(message: dict[str, Any], prefix: str) -> str:
    """The data of the message's button whose data starts with ``prefix``."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            if str(b.get("callback_data", "")).startswith(prefix):
                return str(b["callback_data"])
    raise AssertionError(f"no {prefix} button in {message['reply_markup']}")


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get(
        "inline_keyboard", []) for b in row]


async def follow(emulator: BotAPIEmulator, user_id: int, pushed: dict[str, Any]) -> None:
    """The reader opens the explainer's comments and taps the follow toggle."""
    count = len(emulator.sent(user_id))
    await emulator.user(user_id).press(pushed, callback(pushed, "comments:"))
    view = await next_reply(emulator, user_id, count)
    answers = len(emulator.callback_answers)
    await emulator.user(user_id).press(view, callback(view, "cfollow:"))
    await until(lambda: len(emulator.callback_answers) > answers)
    await until(lambda: any("🔕" in label for label in labels(
        next(m for m in emulator.sent(user_id) if m["message_id"] == view["message_id"]))))


async def comment(emulator: BotAPIEmulator, pushed: dict[str, Any], text: str,
                  entities: list[dict[str, Any]] | None = None) -> None:
    """The author replies to the explainer; the first time they publish under their name."""
    before = len(emulator.sent(AUTHOR))
    author = emulator.user(AUTHOR, "Olena")
    await author.send(text, reply_to=pushed["message_id"], entities=entities)
    reply = await next_reply(emulator, AUTHOR, before)
    if "Comments are public" in reply["text"]:
        await author.press(reply, button(reply, "Publish as Olena"))
        await until(lambda: "posted as" in emulator.sent(AUTHOR)[before]["text"])


async def queued(bot: Any, text: str, count: int) -> None:
    """Wait until the comment with ``text`` has ``count`` outbox rows: it is published from
    the handler after the author's confirmation is sent."""
    async def rows() -> int:
        async with bot.sessions() as session:
            return len((await session.scalars(
                select(Delivery.id).join(Comment, Comment.id == Delivery.comment_id)
                .where(Comment.text == text))).all())

    for _ in range(200):
        if await rows() >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"comment {text!r} not queued for {count} chats")


def copies(emulator: BotAPIEmulator, chat_id: int, text: str) -> list[dict[str, Any]]:
    """The bot's messages in ``chat_id`` relaying a comment whose body contains ``text``."""
    return [m for m in emulator.sent(chat_id)
            if any(text in covered for covered in entity_texts(m, "spoiler"))]


async def comment_ids(bot: Any) -> list[int]:
    async with bot.sessions() as session:
        return list((await session.scalars(
            select(Comment.id).where(Comment.status == "visible").order_by(Comment.id))).all())


async def test_published_comment_reaches_discussion_chat_and_followers_once(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """A published comment goes to the discussion group with one spoiler covering exactly the
    body (the reader's bold inside), and once to each follower — in Ukrainian for a Ukrainian
    reader, with the Unfollow button — but not to its author, nor to a follower who blocked
    the bot; publishing it again sends nothing more."""
    async with running_bot(extra=config(feed_server, discussion_chat_id=GROUP)) as bot:
        await discussion_group(emulator)
        pushed = await readers(bot, emulator, feed_server, AUTHOR, FOLLOWER, UKRAINIAN,
                               BLOCKER)
        for user_id in (AUTHOR, FOLLOWER, UKRAINIAN, BLOCKER):
            await follow(emulator, user_id, pushed[user_id])
        await comment(emulator, pushed[AUTHOR], BODY,
                      [{"type": "bold", "offset": 5, "length": 9}])
        await queued(bot, BODY, 4)  # the group and three followers (not the author)
        blocker_had = len(emulator.sent(BLOCKER))
        await emulator.user(BLOCKER).block_bot()  # after it was queued: the send gets 403
        await bot.drain_outbox()

        [posted] = await until(lambda: copies(emulator, GROUP, BODY))
        spoilers = [e for e in posted["entities"] if e["type"] == "spoiler"]
        assert len(spoilers) == 1
        assert entity_texts(posted, "spoiler") == [BODY]  # UTF-16 offsets: the 😀 counts 2
        assert "😀 should" in entity_texts(posted, "bold")
        assert "Olena on EXPLAINED" in posted["text"]
        assert labels(posted) == []  # no follow toggle in the discussion chat

        [english] = await until(lambda: copies(emulator, FOLLOWER, BODY))
        assert "This comment may contain spoilers" in english["text"]
        assert labels(english) == ["🔕 Unfollow comments"]
        [ukrainian] = await until(lambda: copies(emulator, UKRAINIAN, BODY))
        assert "Olena про EXPLAINED" in ukrainian["text"]
        assert "Коментар може містити спойлери" in ukrainian["text"]
        assert labels(ukrainian) == ["🔕 Не стежити за коментарями"]
        assert copies(emulator, AUTHOR, BODY) == []  # not to its own author
        assert len(emulator.sent(BLOCKER)) == blocker_had

        [comment_id] = await comment_ids(bot)
        assert await bot.services.comment_relay.publish(comment_id) == 0
        await bot.drain_outbox()
        for chat_id in (GROUP, FOLLOWER, UKRAINIAN):
            assert len(copies(emulator, chat_id, BODY)) == 1
        async with bot.sessions() as session:
            rows = (await session.execute(
                select(Delivery.chat_id, Delivery.status, Delivery.message_id)
                .where(Delivery.comment_id == comment_id))).all()
        sent = {chat_id for chat_id, status, message_id in rows
                if status == "sent" and message_id}
        assert sent == {GROUP, FOLLOWER, UKRAINIAN}
        assert [status for chat_id, status, _ in rows if chat_id == BLOCKER] == ["skipped"]


async def test_edits_deletes_and_the_follow_toggle(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """An edited comment is edited in every copy; a deleted one disappears from every copy
    (and one not sent yet never goes out); the toggle follows and unfollows, also from the
    Unfollow button under a relayed copy."""
    async with running_bot(extra=config(feed_server, discussion_chat_id=GROUP)) as bot:
        await discussion_group(emulator)
        pushed = await readers(bot, emulator, feed_server, AUTHOR, FOLLOWER)
        await follow(emulator, FOLLOWER, pushed[FOLLOWER])
        async with bot.sessions() as session:
            assert len((await session.scalars(select(CommentFollow))).all()) == 1

        await comment(emulator, pushed[AUTHOR], "First version")
        await queued(bot, "First version", 2)
        await bot.drain_outbox()
        [in_group] = await until(lambda: copies(emulator, GROUP, "First version"))
        [followed] = await until(lambda: copies(emulator, FOLLOWER, "First version"))
        [comment_id] = await comment_ids(bot)

        relay = bot.services.comment_relay
        async with bot.sessions() as session, session.begin():
            await session.execute(update(Comment).where(Comment.id == comment_id).values(
                text="Second version", body_html="Second <b>version</b>"))
        assert await relay.edited(comment_id) == 2
        assert await relay.edited(comment_id) == 0  # "not modified" is fine
        for chat_id, original in ((GROUP, in_group), (FOLLOWER, followed)):
            [now] = [m for m in emulator.sent(chat_id)
                     if m["message_id"] == original["message_id"]]
            assert entity_texts(now, "spoiler") == ["Second version"]
            assert "version" in entity_texts(now, "bold")

        assert await relay.deleted(comment_id) == 2
        assert copies(emulator, GROUP, "version") == []
        assert copies(emulator, FOLLOWER, "version") == []
        assert await relay.deleted(comment_id) == 0  # already gone: fine

        # Deleted before the outbox ran: never sent.
        await comment(emulator, pushed[AUTHOR], "Never relayed")
        await queued(bot, "Never relayed", 2)
        second = (await comment_ids(bot))[-1]
        await relay.deleted(second)
        await bot.drain_outbox()
        assert copies(emulator, GROUP, "Never relayed") == []
        assert copies(emulator, FOLLOWER, "Never relayed") == []

        # Unfollow from the button under a relayed copy: the next comment does not come.
        await comment(emulator, pushed[AUTHOR], "Third one")
        await queued(bot, "Third one", 2)
        await bot.drain_outbox()
        [third] = await until(lambda: copies(emulator, FOLLOWER, "Third one"))
        answers = len(emulator.callback_answers)
        await emulator.user(FOLLOWER).press(third, callback(third, "cfollow:"))
        await until(lambda: len(emulator.callback_answers) > answers)
        assert emulator.callback_answers[-1].text == (
            "You no longer get new comments on this explainer.")
        await until(lambda: labels(next(m for m in emulator.sent(FOLLOWER)
                                        if m["message_id"] == third["message_id"]))
                    == ["🔔 Follow comments"])
        async with bot.sessions() as session:
            assert (await session.scalars(select(CommentFollow))).all() == []
        await comment(emulator, pushed[AUTHOR], "Fourth one")
        await queued(bot, "Fourth one", 1)
        await bot.drain_outbox()
        await until(lambda: copies(emulator, GROUP, "Fourth one"))
        assert copies(emulator, FOLLOWER, "Fourth one") == []
