"""Writing, reading, editing and deleting comments end to end (issue 9 points 1, 4, 5): the
"Comment" button's ForceReply prompt and /cancel, the digest picker, /comments as a reply,
edited comment messages, deletes by authors and admins, and "Delete my data" — on both
databases."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.emulator import BotAPIEmulator
from storage.models import Comment, Commenter
from tests.e2e.test_comments import ADMIN, config, next_reply, pushed_to, rows, until
from tests.support.feedserver import FeedServer
from tests.support.outbox import (
    Destination,
    add_chats,
    add_topics,
    make_due,
    publish,
    subscribe_in_db,
)
from tests.support.users import button


class Hook:
    """Records what the comment service tells the relay (``on_change``)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, change: str, comment_id: int) -> None:
        self.calls.append((change, comment_id))


def hook_into(bot: Any) -> Hook:
    """Stand in for the relay on the running bot's comment service."""
    hook = Hook()
    bot.services.comments._on_change = hook
    return hook


async def publish_comment(emulator: BotAPIEmulator, pushed: dict[str, Any], user_id: int,
                          text: str, name: str = "Olena") -> tuple[dict[str, Any], dict[str, Any]]:
    """A reader's first comment by reply, published under their name: (their message, the
    bot's confirmation — the consent question edited in place)."""
    reader = emulator.user(user_id, name)
    before = len(emulator.sent(user_id))
    mine = await reader.send(text, reply_to=pushed["message_id"])
    question = await next_reply(emulator, user_id, before)
    await reader.press(question, button(question, f"Publish as {name}"))
    confirmation = await until(lambda: "posted as" in emulator.sent(user_id)[before]["text"]
                               and emulator.sent(user_id)[before])
    return mine, confirmation


def current(emulator: BotAPIEmulator, message: dict[str, Any]) -> dict[str, Any]:
    """The bot message as it is now (after edits)."""
    chat_id = message["chat"]["id"]
    return next(m for m in emulator.sent(chat_id) if m["message_id"] == message["message_id"])


async def test_comment_button_asks_with_force_reply_and_the_reply_becomes_the_comment(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """"✍️ Comment" under a pushed explainer asks with ForceReply; the reply to that prompt
    goes through consent and is stored on that explainer; /cancel drops an open prompt."""
    async with running_bot(extra=config(feed_server)) as bot:
        pushed = (await pushed_to(bot, emulator, feed_server, 41))[41]
        labels = [b["text"] for row in pushed["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["Read", "💬 Comments", "✍️ Comment"]
        olena = emulator.user(41, "Olena")
        before = len(emulator.sent(41))
        await olena.press(pushed, button(pushed, "✍️ Comment"))
        prompt = await next_reply(emulator, 41, before)
        assert "Write your comment on" in prompt["text"] and "POWs" in prompt["text"]
        markup = emulator.calls("sendMessage")[-1].params["reply_markup"]
        assert markup["force_reply"] is True and markup["selective"] is False
        await olena.send("Exchange them all.", reply_to=prompt["message_id"])
        question = await next_reply(emulator, 41, before + 1)
        assert "Comments are public" in question["text"]
        await olena.press(question, button(question, "Publish as Olena"))
        await until(lambda: "posted as Olena" in emulator.sent(41)[before + 1]["text"])
        [stored] = await rows(bot)
        assert (stored.status, stored.text) == ("visible", "Exchange them all.")
        assert stored.article_id == (await bot.services.comments.explainers_at(
            41, pushed["message_id"]))[0].article_id

        # /cancel drops an open prompt: a later reply to it is not taken.
        await olena.press(pushed, button(pushed, "✍️ Comment"))
        prompt = await next_reply(emulator, 41, before + 2)
        await olena.send("/cancel")
        assert "Cancelled" in (await next_reply(emulator, 41, before + 3))["text"]
        await olena.send("Too late", reply_to=prompt["message_id"])
        assert "reply to one of the explainers" in (
            await next_reply(emulator, 41, before + 4))["text"]
        await olena.send("/cancel")
        assert "nothing to cancel" in (await next_reply(emulator, 41, before + 5))["text"]
        assert len(await rows(bot)) == 1


async def test_a_prompt_is_not_answered_after_a_restart(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """Prompts live in memory: after a restart a reply to an old prompt is refused, never put
    on some explainer."""
    async with running_bot(extra=config(feed_server)) as bot:
        pushed = (await pushed_to(bot, emulator, feed_server, 41))[41]
        before = len(emulator.sent(41))
        await emulator.user(41).press(pushed, button(pushed, "✍️ Comment"))
        prompt = await next_reply(emulator, 41, before)
    async with running_bot(extra=config(feed_server)) as bot:
        await emulator.user(41).send("After restart", reply_to=prompt["message_id"])
        assert "reply to one of the explainers" in (
            await next_reply(emulator, 41, before + 1))["text"]
        assert await rows(bot) == []


async def test_group_prompt_is_selective_and_only_the_presser_answers_it(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """In a group the prompt names the presser with a selective ForceReply; another member's
    reply to it is not taken, the presser's becomes their comment."""
    group = emulator.group(-5001, "Readers")
    olena = emulator.user(61, "Olena")
    taras = emulator.user(62, "Taras")
    async with running_bot(extra=config(feed_server)) as bot:
        await group.add_bot(by=olena)
        await emulator.wait_for_sent(-5001, count=1, timeout=10)  # the bot's hello
        [topic] = await add_topics(bot.sessions, "groupies")
        await subscribe_in_db(bot.sessions, [(Destination(-5001, 0, "supergroup"), [topic])])
        await publish(bot.sessions, "A group explainer", [topic])
        await bot.drain_outbox()
        pushed = await until(lambda: next((m for m in emulator.sent(-5001)
                                           if "A group explainer" in (m.get("text") or "")),
                                          None))
        count = len(emulator.sent(-5001))
        await olena.press(pushed, button(pushed, "✍️ Comment"))
        prompt = await next_reply(emulator, -5001, count)
        assert prompt["text"].startswith("Olena, write your comment on")
        markup = emulator.calls("sendMessage")[-1].params["reply_markup"]
        assert markup["selective"] is True
        await taras.send("Not mine", chat_id=-5001, reply_to=prompt["message_id"])
        await olena.send("Mine", chat_id=-5001, reply_to=prompt["message_id"])
        found = await until_rows(bot)
        assert [(c.user_id, c.text) for c in found] == [(61, "Mine")]


async def until_rows(bot: Any, count: int = 1) -> list[Comment]:
    """Wait until at least ``count`` comments are stored; return them."""
    for _ in range(200):
        found = await rows(bot)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("comments not stored in time")
