"""Reader comments end to end: consent before the first comment, the reader's formatting
inside one spoiler, pre-moderation by admins, limits and floods — on both databases."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.emulator import BotAPIEmulator
from storage import comments as comments_dao
from storage.models import Chat, Comment, Commenter, CommentFollow, Delivery, utcnow
from tests.support.demo_feed import deliver_pow_explainer, feed_config
from tests.support.feedserver import FeedServer
from tests.support.users import button, entity_texts, follow_after_first_poll, subscribe

ADMIN = 900
HINT = "This comment may contain spoilers — tap to reveal"


def config(server: FeedServer, **comments: Any) -> dict[str, Any]:
    """The demo feed plus a [comments] section."""
    return {**feed_config(server), "comments": comments} if comments else feed_config(server)


async def pushed_to(bot: Any, emulator: BotAPIEmulator, server: FeedServer,
                    *user_ids: int) -> dict[int, dict[str, Any]]:
    """Readers follow Russia; the POW explainer is pushed to them; their pushed messages."""
    await follow_after_first_poll(bot, emulator, "Russia", *user_ids)
    await deliver_pow_explainer(bot, server)
    pushed: dict[int, dict[str, Any]] = {}
    for user_id in user_ids:
        pushed[user_id] = await until(lambda uid=user_id: next(
            (m for m in reversed(emulator.sent(uid)) if "POWs" in (m.get("text") or "")), None))
    return pushed


async def until(check: Callable[[], Any], timeout: float = 10) -> Any:
    """Wait until ``check()`` is truthy; return its value."""
    for _ in range(int(timeout / 0.05)):
        value = check()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def next_reply(emulator: BotAPIEmulator, chat_id: int, before: int) -> dict[str, Any]:
    """The bot's next message in ``chat_id`` after ``before`` messages."""
    return (await emulator.wait_for_sent(chat_id, count=before + 1, timeout=10))[before]


async def rows(bot: Any) -> list[Comment]:
    async with bot.sessions() as session:
        return list((await session.scalars(select(Comment).order_by(Comment.id))).all())


async def test_consent_asked_once_and_formatting_kept_inside_one_spoiler(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """The first comment waits for the reader's choice of name (asked once); once published,
    the relayed comment shows the author and title outside one spoiler that covers exactly the
    body, with the reader's bold and link nested inside."""
    async with running_bot(extra=config(feed_server)) as bot:
        pushed = await pushed_to(bot, emulator, feed_server, 41, 42)
        olena = emulator.user(41, "Olena")  # emulator.user() replaces a user: keep the handle
        before = len(emulator.sent(41))
        text = "They 😀 should be exchanged, see this report"
        entities = [{"type": "bold", "offset": 5, "length": 9},
                    {"type": "text_link", "offset": 37, "length": 6,
                     "url": "https://example.com/report"}]
        await olena.send(text, reply_to=pushed[41]["message_id"], entities=entities)
        question = await next_reply(emulator, 41, before)
        assert "Comments are public" in question["text"]
        assert [c.status for c in await rows(bot)] == ["consent"]
        await olena.press(question, button(question, "Publish as Olena"))
        edited = await until(lambda: "posted as Olena" in emulator.sent(41)[before]["text"]
                             and emulator.sent(41)[before])
        # The answered question keeps only the comment's 🗑 Delete button.
        assert [b["text"] for row in edited["reply_markup"]["inline_keyboard"]
                for b in row] == ["🗑 Delete"]
        # The second comment is published at once: no second question.
        await olena.send("And soon.", reply_to=pushed[41]["message_id"])
        confirmation = await next_reply(emulator, 41, before + 1)
        assert "posted as Olena (2 comments so far)" in confirmation["text"]
        assert [(c.status, c.author) for c in await rows(bot)] == [("visible", "Olena")] * 2
        async with bot.sessions() as session:
            commenter = await session.get(Commenter, 41)
        assert commenter is not None
        assert commenter.consent == "named"

        other = emulator.sent(42)[-1]
        count = len(emulator.sent(42))
        await emulator.user(42).press(other, button(other, "Comments"))
        relayed = await next_reply(emulator, 42, count)
        assert entity_texts(relayed, "spoiler") == [text, "And soon."]
        assert "😀 should" in entity_texts(relayed, "bold")
        assert "Olena" in entity_texts(relayed, "bold")
        links = [e for e in relayed["entities"] if e["type"] == "text_link"]
        assert [e["url"] for e in links][-1] == "https://example.com/report"
        spoiler = next(e for e in relayed["entities"] if e["type"] == "spoiler")
        bolds = [e for e in relayed["entities"] if e["type"] == "bold"]
        bold_inside = bolds[entity_texts(relayed, "bold").index("😀 should")]
        assert spoiler["offset"] <= bold_inside["offset"]
        end = spoiler["offset"] + spoiler["length"]
        assert bold_inside["offset"] + bold_inside["length"] <= end


async def test_anonymous_choice_and_cancel(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """Choosing "Reader (anonymous)" publishes under Reader; Cancel drops the comment."""
    async with running_bot(extra=config(feed_server)) as bot:
        pushed = await pushed_to(bot, emulator, feed_server, 43, 44)
        for user_id, label in ((43, "Reader (anonymous)"), (44, "Cancel")):
            before = len(emulator.sent(user_id))
            sam = emulator.user(user_id, "Sam")
            await sam.send("My view.", reply_to=pushed[user_id]["message_id"])
            question = await next_reply(emulator, user_id, before)
            await sam.press(question, button(question, label))
        await until(lambda: "not published" in emulator.sent(44)[-1]["text"])
        await until(lambda: "posted as" in emulator.sent(43)[-1]["text"])
        assert [(c.user_id, c.author, c.status) for c in await rows(bot)] == [
            (43, "Reader", "visible")]


async def test_always_anonymous_offers_only_reader(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """With comments.anonymous = true the question offers only "Reader" (and Cancel)."""
    async with running_bot(extra=config(feed_server, anonymous=True)) as bot:
        pushed = await pushed_to(bot, emulator, feed_server, 45)
        before = len(emulator.sent(45))
        await emulator.user(45, "Ivan").send("Hm.", reply_to=pushed[45]["message_id"])
        question = await next_reply(emulator, 45, before)
        labels = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["Publish as Reader (anonymous)", "Cancel"]


async def test_pre_moderation_approve_reject_ban_and_forged_presses(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """With moderation = "pre" admins get each comment with Approve / Reject / Ban; a
    non-admin's forged press is refused and changes nothing; a banned reader is refused."""
    editor = emulator.user(ADMIN, "Editor")
    async with running_bot(extra=config(feed_server, moderation="pre"),
                           admins=(ADMIN,)) as bot:
        pushed = await pushed_to(bot, emulator, feed_server, 51, 52)

        async def comment(user_id: int, text: str, *, first: bool) -> None:
            before = len(emulator.sent(user_id))
            await emulator.user(user_id).send(text, reply_to=pushed[user_id]["message_id"])
            reply = await next_reply(emulator, user_id, before)
            if first:
                await emulator.user(user_id).press(reply, button(reply, "Publish as"))
                await until(lambda: "moderator" in emulator.sent(user_id)[before]["text"])
            else:
                assert "moderator" in reply["text"]

        await comment(51, "Buy cheap followers at t.me/spam_shop !!!", first=True)
        notice = (await emulator.wait_for_sent(ADMIN, count=1, timeout=10))[0]
        assert "waiting for approval" in notice["text"]
        [held] = await rows(bot)
        assert held.status == "pending"

        # A reader forges the admin's button data in their own chat: refused, nothing changes.
        answers = len(emulator.callback_answers)
        own = emulator.sent(52)[-1]
        for data in (f"cmod:{held.id}:approve", f"cmod:{held.id}:ban", "cmod:99999999999:ban"):
            await emulator.user(52).press(own, data, forged=True)
        await until(lambda: len(emulator.callback_answers) >= answers + 3)
        assert all(a.text == "Only the bot's admins can moderate comments."
                   for a in emulator.callback_answers[answers:])
        assert [c.status for c in await rows(bot)] == ["pending"]

        await editor.press(notice, button(notice, "Approve"))
        await until(lambda: "approved" in emulator.sent(ADMIN)[0]["text"])
        told = await until(lambda: next((m for m in emulator.sent(51)
                                         if "approved and is now published" in m["text"]), None))
        assert "POWs" in told["text"]
        await comment(51, "Second thought.", first=False)
        await comment(52, "Spam again", first=True)
        notices = await emulator.wait_for_sent(ADMIN, count=3, timeout=10)
        await editor.press(notices[1], button(notices[1], "Reject"))
        await editor.press(notices[2], button(notices[2], "Ban"))
        await until(lambda: "banned" in emulator.sent(ADMIN)[2]["text"])
        # Pressing an already decided comment's button again changes nothing.
        answers = len(emulator.callback_answers)
        await editor.press(notices[0], f"cmod:{held.id}:reject", forged=True)
        await until(lambda: len(emulator.callback_answers) > answers)
        assert [(c.user_id, c.status) for c in await rows(bot)] == [
            (51, "visible"), (51, "rejected"), (52, "rejected")]
        before = len(emulator.sent(52))
        await emulator.user(52).send("Let me back", reply_to=pushed[52]["message_id"])
        refused = await next_reply(emulator, 52, before)
        assert "no longer comment" in refused["text"]
        assert len(await rows(bot)) == 3


async def test_limits_each_get_a_clear_reply_and_a_flood_one_slow_down(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Zero-width-only and too long comments are refused with a reason; a flood of 30 replies
    (with Telegram's per-chat limit answering 429) stores only the rate limit's worth and
    tries one "slow down", with no ERROR logged."""
    async with running_bot(extra=config(feed_server, max_length=50)) as bot:
        pushed = await pushed_to(bot, emulator, feed_server, 61)
        reader = emulator.user(61)
        reply_to = pushed[61]["message_id"]
        before = len(emulator.sent(61))
        await reader.send("\u200b\u200b", reply_to=reply_to)
        assert "empty" in (await next_reply(emulator, 61, before))["text"]
        await reader.send("x" * 51, reply_to=reply_to)
        assert "50 characters at most" in (await next_reply(emulator, 61, before + 1))["text"]
        await reader.send("first", reply_to=reply_to)
        question = await next_reply(emulator, 61, before + 2)
        await reader.press(question, button(question, "Publish as"))
        await until(lambda: "posted as" in emulator.sent(61)[before + 2]["text"])
        caplog.set_level(logging.WARNING)
        emulator.faults.set_rate_limits(per_chat_per_second=1)
        await asyncio.gather(*(reader.send(f"flood {i}", reply_to=reply_to) for i in range(30)))

        def slow_downs() -> list[Any]:
            return [r for r in emulator.requests if r.method == "sendMessage"
                    and r.params.get("chat_id") == 61 and "very fast" in r.params.get("text", "")]

        await until(slow_downs)
        await asyncio.sleep(1.5)  # let the rest of the flood be handled
        assert len(await rows(bot)) == 5  # comments.rate_limit's default
        assert len(slow_downs()) == 1
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_held_links_and_admin_notices_in_the_admins_language(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """With hold_links a comment with a link waits for an admin while a plain one is
    published; admins are told of both, in Ukrainian for a Ukrainian admin; a Ukrainian reader
    is answered in Ukrainian."""
    async with running_bot(extra=config(feed_server, hold_links=True), admins=(ADMIN,)) as bot:
        admin = emulator.user(ADMIN, "Редактор", language_code="uk")
        await admin.send("/start")  # the admin's chat gets its language at first contact
        await emulator.wait_for_sent(ADMIN, count=1, timeout=10)
        await bot.poll_all_feeds()
        await subscribe(emulator, 81, "Russia", language_code="uk")
        await deliver_pow_explainer(bot, feed_server)
        pushed = {81: await until(lambda: next(
            (m for m in emulator.sent(81) if "POWs" in (m.get("text") or "")), None))}
        seen = len(emulator.sent(ADMIN))
        reader = emulator.user(81, "Оксана", language_code="uk")
        before = len(emulator.sent(81))
        await reader.send("Дуже влучно.", reply_to=pushed[81]["message_id"])
        question = await next_reply(emulator, 81, before)
        assert "Коментарі публічні" in question["text"]
        await reader.press(question, button(question, "Оксана"))
        await until(lambda: "опубліковано" in emulator.sent(81)[before]["text"])
        await reader.send("Дивіться https://spam.example", reply_to=pushed[81]["message_id"])
        held = await next_reply(emulator, 81, before + 1)
        assert "модератор" in held["text"]
        notices = (await emulator.wait_for_sent(ADMIN, count=seen + 2, timeout=10))[seen:]
        assert "Новий коментар" in notices[0]["text"]
        assert "чекає на схвалення" in notices[1]["text"]
        assert "У ньому є посилання." in notices[1]["text"]
        labels = [b["text"] for row in notices[1]["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["Схвалити", "Відхилити", "Заблокувати"]
        assert [(c.status, c.held_reason) for c in await rows(bot)] == [
            ("visible", None), ("pending", "link")]


async def test_forged_comment_buttons_are_answered(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """Forged ids past PostgreSQL's integer range on the comment buttons are answered and
    change nothing."""
    async with running_bot(extra=config(feed_server)) as bot:
        pushed = await pushed_to(bot, emulator, feed_server, 71)
        answers = len(emulator.callback_answers)
        for data in ("comments:99999999999", "comments:2147483647", "cconsent:99999999999:named",
                     "cconsent:2147483647:named", "cconsent:1:everyone", "cpage:99999999999:1",
                     "cpage:1:2147483647", "cpage:1:0"):
            await emulator.user(71).press(pushed[71], data, forged=True)
        await until(lambda: len(emulator.callback_answers) >= answers + 8)
        assert await rows(bot) == []


async def add_comments(bot: Any, article_id: int, count: int) -> None:
    """Store ``count`` published comments on the article, numbered from 1."""
    async with bot.sessions() as session, session.begin():
        for n in range(1, count + 1):
            await comments_dao.add_comment(
                session, article_id=article_id, author=f"Reader {n}", text=f"Comment number {n}",
                chat_id=None, user_id=None, telegram_message_id=None)


async def test_paged_view_edited_in_place_with_the_count_on_the_button(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """The Comments button gets the count; the view pages in place (◀ / ▶); tapping the
    button again replaces the old view instead of adding a copy."""
    async with running_bot(extra=config(feed_server)) as bot:
        pushed = (await pushed_to(bot, emulator, feed_server, 91))[91]
        data = button(pushed, "Comments")
        article_id = int(data.split(":")[1])
        await add_comments(bot, article_id, 12)
        reader = emulator.user(91)
        before = len(emulator.sent(91))
        await reader.press(pushed, data)
        view = await next_reply(emulator, 91, before)
        assert entity_texts(view, "spoiler") == [f"Comment number {n}" for n in range(1, 6)]
        assert "Page 1 of 3 · 12 in all" in view["text"]
        relabeled = await until(lambda: next(
            (m for m in emulator.sent(91) if m["message_id"] == pushed["message_id"]
             and "12 comments" in str(m.get("reply_markup"))), None))
        assert button(relabeled, "💬 12 comments") == data
        await reader.press(view, button(view, "Next ▶"))
        page2 = await until(lambda: "Page 2 of 3" in emulator.sent(91)[-1]["text"]
                            and emulator.sent(91)[-1])
        assert page2["message_id"] == view["message_id"]
        assert entity_texts(page2, "spoiler") == [f"Comment number {n}" for n in range(6, 11)]
        await reader.press(page2, button(page2, "Next ▶"))
        page3 = await until(lambda: "Page 3 of 3" in emulator.sent(91)[-1]["text"]
                            and emulator.sent(91)[-1])
        labels = [b["text"] for row in page3["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["◀ Previous", "🔔 Follow comments"]  # the relay's toggle
        await reader.press(relabeled, data)
        await until(lambda: emulator.sent(91)[-1]["message_id"] != view["message_id"])
        await until(lambda: all(m["message_id"] != view["message_id"]
                                for m in emulator.sent(91)))
        views = [m for m in emulator.sent(91) if "Comments on" in m["text"]]
        assert len(views) == 1
        assert "Page 1 of 3" in views[0]["text"]


async def test_group_tap_answers_privately(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """In a group the comments go to the presser's private chat, nothing is posted to the
    group; a member whose private chat is closed is sent there by a deep link
    (t.me/<bot>?start=comments-<id>) and /start shows the comments."""
    async with running_bot(extra=config(feed_server)) as bot:
        pushed = (await pushed_to(bot, emulator, feed_server, 92))[92]
        data = button(pushed, "Comments")
        await add_comments(bot, int(data.split(":")[1]), 2)
        admin = emulator.user(93, "Admin")
        group = emulator.group(-100500, "Readers' club")
        await group.add_bot(by=admin)
        hello = (await emulator.wait_for_sent(-100500, count=1, timeout=10))[0]
        in_group = len(emulator.sent(-100500))
        member = emulator.user(92)
        before = len(emulator.sent(92))
        answers = len(emulator.callback_answers)
        await member.press(hello, data, forged=True)
        view = await next_reply(emulator, 92, before)
        assert entity_texts(view, "spoiler") == ["Comment number 1", "Comment number 2"]
        await until(lambda: len(emulator.callback_answers) > answers)
        assert "private chat" in (emulator.callback_answers[-1].text or "")
        closed = emulator.user(94)
        await closed.block_bot()
        await closed.press(hello, data, forged=True)
        await until(lambda: len(emulator.callback_answers) > answers + 1)
        article_id = int(data.split(":")[1])
        link = f"https://t.me/newsbot_demo_bot?start=comments-{article_id}"
        assert emulator.callback_answers[-1].url == link  # Telegram opens the private chat
        await closed.unblock_bot()  # pressing Start there
        await closed.send(f"/start comments-{article_id}")
        [opened] = await emulator.wait_for_sent(94, count=1, timeout=10)
        assert entity_texts(opened, "spoiler") == ["Comment number 1", "Comment number 2"]
        assert len(emulator.sent(-100500)) == in_group  # nothing was posted to the group
        assert len(emulator.sent(-100500)) == in_group


async def test_consent_in_a_group_only_for_the_author(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """In a group the consent question's buttons work only for the comment's author."""
    async with running_bot(extra=config(feed_server)) as bot:
        await bot.poll_all_feeds()
        admin, member = emulator.user(95, "Ada"), emulator.user(96, "Max")
        group = emulator.group(-100600, "Readers' club")
        await group.add_bot(by=admin)
        group.set_member(admin, "administrator")
        group.set_member(member, "member")
        await emulator.wait_for_sent(-100600, count=1, timeout=10)
        await admin.send("/topics", chat_id=-100600)
        picker = (await emulator.wait_for_sent(-100600, count=2, timeout=10))[-1]
        await admin.press(picker, button(picker, "Russia"))
        await until(lambda: "✅ Russia" in str(emulator.sent(-100600)[-1].get("reply_markup")))
        await deliver_pow_explainer(bot, feed_server)
        pushed = await until(lambda: next((m for m in emulator.sent(-100600)
                                           if "POWs" in (m.get("text") or "")), None))
        count = len(emulator.sent(-100600))
        await member.send("Good read.", chat_id=-100600, reply_to=pushed["message_id"])
        question = await next_reply(emulator, -100600, count)
        answers = len(emulator.callback_answers)
        await admin.press(question, button(question, "Publish as Max"))
        await until(lambda: len(emulator.callback_answers) > answers)
        assert emulator.callback_answers[-1].text == "Only the comment's author can answer this."
        assert [c.status for c in await rows(bot)] == ["consent"]
        await member.press(question, button(question, "Publish as Max"))
        await until(lambda: "posted as Max" in emulator.sent(-100600)[count]["text"])
        assert [(c.author, c.status) for c in await rows(bot)] == [("Max", "visible")]


async def test_forged_follow_and_page_presses_in_a_group_change_nothing(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """The follow toggle and the page buttons only exist on comments views in private chats:
    pressed with forged data on a group's message they neither subscribe the group to the
    comments nor turn the message into a comment list."""
    async with running_bot(extra=config(feed_server)) as bot:
        pushed = (await pushed_to(bot, emulator, feed_server, 92))[92]
        article_id = int(button(pushed, "Comments").split(":")[1])
        await add_comments(bot, article_id, 2)
        admin = emulator.user(93, "Admin")
        group = emulator.group(-100500, "Readers' club")
        await group.add_bot(by=admin)
        hello = (await emulator.wait_for_sent(-100500, count=1, timeout=10))[0]
        answers = len(emulator.callback_answers)
        member = emulator.user(92)
        await member.press(hello, f"cfollow:{article_id}", forged=True)
        await member.press(hello, f"cpage:{article_id}:1", forged=True)
        await until(lambda: len(emulator.callback_answers) >= answers + 2)
        async with bot.sessions() as session:
            assert not (await session.execute(select(CommentFollow.chat_id))).all()
        assert emulator.sent(-100500)[0]["text"] == hello["text"]
        assert not emulator.calls("editMessageText")


async def test_a_push_shows_how_many_comments_its_explainer_has(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """An explainer pushed after it got comments carries the count on its button
    ("💬 2 comments"); one without comments says "💬 Comments"."""
    async with running_bot(extra=config(feed_server)) as bot:
        pushed = (await pushed_to(bot, emulator, feed_server, 92))[92]
        data = button(pushed, "Comments")
        assert "💬 Comments" in str(pushed["reply_markup"])
        await add_comments(bot, int(data.split(":")[1]), 2)
        async with bot.sessions() as session, session.begin():
            session.add(Delivery(chat_id=95, thread_id=0, article_id=int(data.split(":")[1]),
                                 status="pending", attempts=0, next_attempt_at=utcnow(),
                                 created_at=utcnow()))
            session.add(Chat(id=95, type="private", status="active", timezone="UTC",
                             settings={}, created_at=utcnow(), updated_at=utcnow()))
        emulator.user(95, "Late reader")
        await bot.drain_outbox()
        [late] = [m for m in emulator.sent(95) if m.get("reply_markup")]
        assert "💬 2 comments" in str(late["reply_markup"])
