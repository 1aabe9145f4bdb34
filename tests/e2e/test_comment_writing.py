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
from tests.support.demo_feed import deliver_pow_explainer
from tests.support.feedserver import FeedServer
from tests.support.outbox import (
    Destination,
    add_chats,
    add_topics,
    make_due,
    publish,
    subscribe_in_db,
)
from tests.support.users import button, subscribe


class Hook:
    """Records what the comment service tells the relay (``on_change``)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, change: str, comment_id: int) -> None:
        self.calls.append((change, comment_id))


def hook_into(bot: Any) -> Hook:
    """Stand in for the relay on the running bot's comment service."""
    hook = Hook()
    bot.services.comments.on_change = hook
    return hook


async def publish_comment(emulator: BotAPIEmulator, pushed: dict[str, Any], user_id: int,
                          text: str, name: str = "Olena", language_code: str = "en",
                          ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A reader's first comment by reply, published under their name: (their message, the
    bot's confirmation — the consent question edited in place)."""
    reader = emulator.user(user_id, name, language_code=language_code)
    before = len(emulator.sent(user_id))
    mine = await reader.send(text, reply_to=pushed["message_id"])
    question = await next_reply(emulator, user_id, before)
    await reader.press(question, button(question, name))
    confirmation = await until(lambda: question["text"] != emulator.sent(user_id)[before]["text"]
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
        assert "Write your comment on" in prompt["text"]
        assert "POWs" in prompt["text"]
        markup = emulator.calls("sendMessage")[-1].params["reply_markup"]
        assert markup["force_reply"] is True
        assert markup["selective"] is False
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


async def test_a_reply_to_a_digest_asks_which_explainer(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """A reply to a digest (several explainers in one message) is answered with one button
    per explainer; the chosen one gets the comment; a forged choice changes nothing."""
    olena = emulator.user(41, "Olena")
    async with running_bot(extra=config(feed_server)) as bot:
        [topic] = await add_topics(bot.sessions, "alpha")
        await add_chats(bot.sessions, [(41, "private")],
                        settings={"delivery": "digest", "digest_times": ["08:00"]})
        await subscribe_in_db(bot.sessions, [(Destination(41), [topic])])
        first = await publish(bot.sessions, "First explainer", [topic])
        second = await publish(bot.sessions, "Second explainer", [topic])
        await bot.drain_outbox()
        await make_due(bot.sessions)
        await bot.drain_outbox()
        digest = await until(lambda: emulator.sent(41) and emulator.sent(41)[-1])
        assert "Second explainer" in digest["text"]
        before = len(emulator.sent(41))
        await olena.send("Both are good, this one more", reply_to=digest["message_id"])
        picker = await next_reply(emulator, 41, before)
        assert "Which one is your comment on?" in picker["text"]
        labels = [b["text"] for row in picker["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["First explainer", "Second explainer"]
        data = button(picker, "Second explainer")
        answers = len(emulator.callback_answers)
        await olena.press(picker, data.rsplit(":", 1)[0] + ":999999", forged=True)
        await until(lambda: len(emulator.callback_answers) > answers)
        assert await rows(bot) == []
        await olena.press(picker, data)
        question = await until(lambda: "Comments are public" in current(emulator, picker)["text"]
                               and current(emulator, picker))
        assert "Second explainer" in question["text"]
        [stored] = await rows(bot)
        assert (stored.article_id, stored.status) == (second, "consent")
        assert first != second
        # The draft is used up: pressing the old choice again stores nothing more.
        await olena.press(picker, data, forged=True)
        await until(lambda: len(emulator.callback_answers) > answers + 2)
        assert len(await rows(bot)) == 1


async def test_comments_command_replying_to_an_explainer_opens_the_view(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """/comments sent as a reply to a pushed explainer shows its comments; without a reply it
    explains how to use it."""
    async with running_bot(extra=config(feed_server)) as bot:
        pushed = await pushed_to(bot, emulator, feed_server, 41, 42)
        await publish_comment(emulator, pushed[41], 41, "Exchange them all.")
        reader = emulator.user(42, "Taras")
        before = len(emulator.sent(42))
        await reader.send("/comments", reply_to=pushed[42]["message_id"])
        view = await next_reply(emulator, 42, before)
        assert "Comments on" in view["text"]
        assert "Exchange them all." in view["text"]
        await reader.send("/comments")
        assert "as a reply to it" in (await next_reply(emulator, 42, before + 1))["text"]


async def test_an_edited_comment_updates_the_stored_comment_and_the_view(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """Editing the message a comment came from updates the stored text (re-rendered) and calls
    the relay hook; an edit past the length limit is refused and the old text stays."""
    async with running_bot(extra=config(feed_server, max_length=40)) as bot:
        hook = hook_into(bot)
        pushed = await pushed_to(bot, emulator, feed_server, 41, 42)
        mine, _ = await publish_comment(emulator, pushed[41], 41, "Exchange them all.")
        olena = emulator.user(41, "Olena")
        await olena.edit(mine, "Exchange them, see https://example.com")
        [stored] = await until(lambda: hook.calls and hook.calls)
        [comment] = await rows(bot)
        assert stored == ("edited", comment.id)
        assert comment.text == "Exchange them, see https://example.com"
        assert comment.body_html is not None
        assert "https://example.com" in comment.body_html
        before = len(emulator.sent(42))
        await emulator.user(42).send("/comments", reply_to=pushed[42]["message_id"])
        view = await next_reply(emulator, 42, before)
        assert "Exchange them, see" in view["text"]
        assert "all." not in view["text"]

        count = len(emulator.sent(41))
        await olena.edit(mine, "x" * 41)
        refused = await next_reply(emulator, 41, count)
        assert "That edit is too long" in refused["text"]
        [comment] = await rows(bot)
        assert comment.text == "Exchange them, see https://example.com"
        assert len(hook.calls) == 1
        # An edited command is not run again.
        sent = len(emulator.sent(41))
        latest = await olena.send("/help")
        await emulator.wait_for_sent(41, count=sent + 1, timeout=10)
        await olena.edit(latest, "/help")
        await asyncio.sleep(0.3)
        assert len(emulator.sent(41)) == sent + 1


async def test_authors_delete_their_own_comments(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """An author deletes a comment with 🗑 on the confirmation, and others with /delete
    replying to the comment or to the confirmation: gone from the view and the count, the
    relay hook called each time."""
    async with running_bot(extra=config(feed_server)) as bot:
        hook = hook_into(bot)
        pushed = await pushed_to(bot, emulator, feed_server, 41, 42)
        olena = emulator.user(41, "Olena")
        _, confirmation = await publish_comment(emulator, pushed[41], 41, "One")
        assert button(confirmation, "Delete")
        before = len(emulator.sent(41))
        second = await olena.send("Two", reply_to=pushed[41]["message_id"])
        second_confirmation = await next_reply(emulator, 41, before)
        await olena.send("Three", reply_to=pushed[41]["message_id"])
        third_confirmation = await next_reply(emulator, 41, before + 1)
        assert "3 comments so far" in third_confirmation["text"]
        first_id, second_id, third_id = [c.id for c in await rows(bot)]

        await olena.press(confirmation, button(confirmation, "Delete"))
        await until(lambda: "was deleted" in current(emulator, confirmation)["text"])
        await olena.send("/delete", reply_to=second["message_id"])
        assert "was deleted" in (await next_reply(emulator, 41, before + 2))["text"]
        await olena.send("/delete", reply_to=third_confirmation["message_id"])
        assert "was deleted" in (await next_reply(emulator, 41, before + 3))["text"]
        assert [c.status for c in await rows(bot)] == ["deleted"] * 3
        assert hook.calls == [("deleted", first_id), ("deleted", second_id),
                              ("deleted", third_id)]
        # Again: nothing left to delete, nothing more told to the relay.
        await olena.send("/delete", reply_to=second_confirmation["message_id"])
        assert "already deleted" in (await next_reply(emulator, 41, before + 4))["text"]
        assert len(hook.calls) == 3

        other = emulator.sent(42)[-1]
        count = len(emulator.sent(42))
        await emulator.user(42).press(other, button(other, "Comments"))
        view = await next_reply(emulator, 42, count)
        assert "No comments yet" in view["text"]


async def test_admins_delete_any_comment_and_forged_deletes_change_nothing(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """An admin deletes a reader's comment from the new-comment notice; another reader's
    forged 🗑 press (and /delete replying to someone else's confirmation) is refused and
    changes nothing."""
    editor = emulator.user(ADMIN, "Editor")
    async with running_bot(extra=config(feed_server, notify_admins=True),
                           admins=(ADMIN,)) as bot:
        hook = hook_into(bot)
        pushed = await pushed_to(bot, emulator, feed_server, 41, 42)
        await publish_comment(emulator, pushed[41], 41, "One")
        [comment] = await rows(bot)
        notice = await until(lambda: next((m for m in emulator.sent(ADMIN)
                                           if "New comment" in m["text"]), None))

        answers = len(emulator.callback_answers)
        own = emulator.sent(42)[-1]
        for data in (f"cdel:{comment.id}", "cdel:99999999999", "cdel:x"):
            await emulator.user(42).press(own, data, forged=True)
        await until(lambda: len(emulator.callback_answers) >= answers + 3)
        texts = [a.text for a in emulator.callback_answers[answers:]]
        assert texts[0] == "Only the comment's author or the bot's admins can delete it."
        assert [c.status for c in await rows(bot)] == ["visible"]
        assert hook.calls == []
        assert current(emulator, own)["text"] == own["text"]

        await editor.press(notice, button(notice, "Delete"))
        edited = await until(lambda: "deleted the comment" in current(emulator, notice)["text"]
                             and current(emulator, notice))
        assert "Editor deleted the comment by Olena" in edited["text"]
        assert [c.status for c in await rows(bot)] == ["deleted"]
        assert hook.calls == [("deleted", comment.id)]


async def test_delete_my_data_forgets_the_commenter_but_keeps_a_ban(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """/stop → "Delete my data" removes a reader's commenter row (their choice of name); a
    banned reader's row stays banned, its choice forgotten."""
    async with running_bot(extra=config(feed_server)) as bot:
        pushed = await pushed_to(bot, emulator, feed_server, 41, 42)
        await publish_comment(emulator, pushed[41], 41, "One")
        await publish_comment(emulator, pushed[42], 42, "Two", name="Taras")
        async with bot.sessions() as session, session.begin():
            banned = await session.get(Commenter, 42)
            assert banned is not None
            banned.banned = True
        for user_id in (41, 42):
            reader = emulator.user(user_id)
            count = len(emulator.sent(user_id))
            await reader.send("/stop")
            stopped = await next_reply(emulator, user_id, count)
            await reader.press(stopped, button(stopped, "Delete my data"))
            await until(lambda uid=user_id, s=stopped: "Your data is deleted" in
                        current(emulator, s)["text"])
        async with bot.sessions() as session:
            assert await session.get(Commenter, 41) is None
            kept = await session.get(Commenter, 42)
            assert kept is not None
            assert kept.banned
            assert kept.consent is None
            authors = (await session.scalars(select(Comment.author))).all()
        assert sorted(authors) == ["Reader", "Reader"]


async def test_an_edit_adding_a_link_goes_back_to_the_admins(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """With hold_links, a published comment edited to add a link is hidden again (the relay
    is told it is gone), the admins get it to decide, and the author is told — a Ukrainian
    reader in Ukrainian."""
    emulator.user(ADMIN, "Editor")
    async with running_bot(extra=config(feed_server, hold_links=True, notify_admins=False),
                           admins=(ADMIN,)) as bot:
        hook = hook_into(bot)
        await bot.poll_all_feeds()
        await subscribe(emulator, 81, "Russia", language_code="uk")
        await deliver_pow_explainer(bot, feed_server)
        pushed = await until(lambda: next(
            (m for m in emulator.sent(81) if "POWs" in (m.get("text") or "")), None))
        mine, _ = await publish_comment(emulator, pushed, 81, "Дуже влучно.", name="Оксана",
                                        language_code="uk")
        [comment] = await rows(bot)
        assert comment.status == "visible"
        reader = emulator.user(81, "Оксана", language_code="uk")
        count = len(emulator.sent(81))
        await reader.edit(mine, "Дивіться https://spam.example")
        told = await next_reply(emulator, 81, count)
        assert "приховано, доки його не схвалить модератор" in told["text"]
        notice = (await emulator.wait_for_sent(ADMIN, count=1, timeout=10))[0]
        assert "contains a link" in notice["text"]
        assert "https://spam.example" in notice["text"]
        [comment] = await rows(bot)
        assert (comment.status, comment.held_reason) == ("pending", "link")
        assert hook.calls == [("deleted", comment.id)]


async def test_group_comments_command_and_admin_delete_by_reply(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """In a group, /comments replying to an explainer sends the view privately, not to the
    group; a reader's /delete on someone else's comment is refused; an admin's /delete
    replying to a member's comment message deletes it."""
    group = emulator.group(-5002, "Readers")
    olena = emulator.user(61, "Olena")
    taras = emulator.user(62, "Taras")
    editor = emulator.user(ADMIN, "Editor")
    async with running_bot(extra=config(feed_server, notify_admins=False),
                           admins=(ADMIN,)) as bot:
        hook = hook_into(bot)
        await taras.send("/start")
        await emulator.wait_for_sent(62, count=1, timeout=10)
        await group.add_bot(by=olena)
        await emulator.wait_for_sent(-5002, count=1, timeout=10)
        [topic] = await add_topics(bot.sessions, "groupies")
        await subscribe_in_db(bot.sessions, [(Destination(-5002, 0, "supergroup"), [topic])])
        await publish(bot.sessions, "A group explainer", [topic])
        await bot.drain_outbox()
        pushed = await until(lambda: next((m for m in emulator.sent(-5002)
                                           if "A group explainer" in (m.get("text") or "")),
                                          None))
        count = len(emulator.sent(-5002))
        comment = await olena.send("Well put", chat_id=-5002, reply_to=pushed["message_id"])
        question = await next_reply(emulator, -5002, count)
        await olena.press(question, button(question, "Publish as Olena"))
        await until(lambda: "posted as Olena" in current(emulator, question)["text"])

        in_private = len(emulator.sent(62))
        await taras.send("/comments", chat_id=-5002, reply_to=pushed["message_id"])
        view = await next_reply(emulator, 62, in_private)
        assert "Well put" in view["text"]
        await taras.send("/delete", chat_id=-5002, reply_to=comment["message_id"])
        refused = await next_reply(emulator, -5002, count + 1)
        assert "Only the comment's author or the bot's admins" in refused["text"]
        assert [c.status for c in await rows(bot)] == ["visible"]

        await editor.send("/delete", chat_id=-5002, reply_to=comment["message_id"])
        done = await next_reply(emulator, -5002, count + 2)
        assert "Editor deleted the comment by Olena" in done["text"]
        [deleted] = await rows(bot)
        assert deleted.status == "deleted"
        assert hook.calls == [("deleted", deleted.id)]
        assert not any("Well put" in (m.get("text") or "") for m in emulator.sent(-5002))


async def test_comment_under_a_channel_post_is_asked_privately(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """"✍️ Comment" under a channel post never posts to the channel: the prompt goes to the
    presser's private chat (an alert if the bot cannot write there), and their reply there
    becomes the comment on that explainer."""
    emulator.channel(-1007001, "News channel", bot_status="administrator")
    olena = emulator.user(61, "Olena")
    stranger = emulator.user(62, "Taras")
    async with running_bot(extra=config(feed_server)) as bot:
        await olena.send("/start")
        await emulator.wait_for_sent(61, count=1, timeout=10)
        [topic] = await add_topics(bot.sessions, "channelled")
        await add_chats(bot.sessions, [(-1007001, "channel")])
        await subscribe_in_db(bot.sessions, [(Destination(-1007001, 0, "channel"), [topic])])
        article_id = await publish(bot.sessions, "A channel explainer", [topic])
        await bot.drain_outbox()
        post = await until(lambda: emulator.sent(-1007001) and emulator.sent(-1007001)[-1])
        await stranger.block_bot()  # the bot cannot write to them privately
        answers = len(emulator.callback_answers)
        await stranger.press(post, button(post, "✍️ Comment"))
        await until(lambda: len(emulator.callback_answers) > answers)
        assert "Start a private chat with me first" in (emulator.callback_answers[-1].text
                                                        or "")
        before = len(emulator.sent(61))
        await olena.press(post, button(post, "✍️ Comment"))
        prompt = await next_reply(emulator, 61, before)
        assert "Write your comment on" in prompt["text"]
        assert len(emulator.sent(-1007001)) == 1
        await olena.send("From the channel", reply_to=prompt["message_id"])
        question = await next_reply(emulator, 61, before + 1)
        assert "Comments are public" in question["text"]
        [stored] = await rows(bot)
        assert (stored.article_id, stored.chat_id, stored.text) == (
            article_id, 61, "From the channel")
