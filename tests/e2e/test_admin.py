"""The admin console's foundations end to end, on both databases: who is an admin (config plus
added from Telegram, with their own command menu), the refusals for everyone else (commands
and forged buttons), bans, the moderation queue, the audit log and the error handler."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.emulator import BotAPIEmulator
from storage.models import AdminAuditLog, BotAdmin, Comment, Commenter
from tests.e2e.test_comments import config, next_reply, pushed_to, until
from tests.support.feedserver import FeedServer
from tests.support.users import button

ADMIN = 900
NOT_ALLOWED = "Sorry, only the bot's admins can do that."
ADMIN_COMMANDS = ("/admin", "/admin add 71", "/admin remove 900", "/audit", "/ban 72",
                  "/unban 72", "/queue", "/stats")


async def ask(emulator: BotAPIEmulator, user_id: int, text: str,
              language: str = "en") -> dict[str, Any]:
    """``user_id`` sends ``text`` in their private chat; the bot's next message there."""
    before = len(emulator.sent(user_id))
    await emulator.user(user_id, language_code=language).send(text)
    return await next_reply(emulator, user_id, before)


async def counts(bot: Any) -> tuple[int, int, int]:
    """Stored admins, audit entries, commenter rows."""
    async with bot.sessions() as session:
        return tuple([int(await session.scalar(select(func.count()).select_from(model)) or 0)
                      for model in (BotAdmin, AdminAuditLog, Commenter)])  # type: ignore[return-value]


def chat_menus(emulator: BotAPIEmulator) -> dict[tuple[int, str], list[str]]:
    """(chat id, language) → commands of every chat-scoped menu the bot set."""
    menus = {}
    for (scope, language), commands in emulator.state.commands.items():
        parsed = json.loads(scope)
        if parsed["type"] == "chat":
            menus[(int(parsed["chat_id"]), language)] = [c["command"] for c in commands]
    return menus


async def test_a_non_admin_is_refused_everything_and_nothing_changes(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Every admin command from a reader gets "not allowed"; forged Remove and moderation
    presses are refused too; no admin, audit entry or ban is stored."""
    async with running_bot(admins=(ADMIN,)) as bot:
        for text in ADMIN_COMMANDS:
            assert (await ask(emulator, 70, text))["text"] == NOT_ALLOWED, text
        reply = await ask(emulator, 70, "/admin", language="uk")
        assert reply["text"] == "На жаль, це можуть лише адміністратори бота."
        answers = len(emulator.callback_answers)
        for data in (f"admrm:{ADMIN}", "admrm:70", "admrm:x", "cmod:1:ban"):
            await emulator.user(70, language_code="uk").press(reply, data, forged=True)
        await until(lambda: len(emulator.callback_answers) >= answers + 4)
        texts = [a.text for a in emulator.callback_answers[answers:]]
        assert texts[:3] == ["На жаль, це можуть лише адміністратори бота."] * 3
        assert "admins" in (texts[3] or "") or "адміністратори" in (texts[3] or "")
        assert await counts(bot) == (0, 0, 0)
        assert set(chat_menus(emulator)) == {(ADMIN, ""), (ADMIN, "uk")}


async def test_an_added_admin_gets_the_commands_and_menu_until_removed(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A config admin adds another; the new admin sees the admin menu, lists the admins,
    cannot remove the config admin, bans and unbans; removed (by button) they lose menu and
    rights; /audit shows every action, newest first, and /audit n caps it."""
    async with running_bot(admins=(ADMIN,)) as bot:
        menus = chat_menus(emulator)
        assert {"start", "admin", "queue", "ban", "unban", "audit"} <= set(menus[(ADMIN, "")])
        assert "admin" not in [c["command"] for (scope, _), commands in
                               emulator.state.commands.items() if "chat_id" not in scope
                               for c in commands]
        assert (await ask(emulator, 901, "/admin"))["text"] == NOT_ALLOWED
        assert (await ask(emulator, ADMIN, "/admin add 901"))["text"] == "901 is an admin now."
        assert (await ask(emulator, ADMIN, "/admin add 901"))["text"] == \
            "901 is already an admin."
        menus = chat_menus(emulator)
        assert menus[(901, "")] == menus[(ADMIN, "")] == menus[(901, "uk")]

        listing = await ask(emulator, 901, "/admin")
        assert "2 admins" in listing["text"]
        assert "901 — added by 900" in listing["text"]
        assert "900 — from the config file" in listing["text"]
        assert "config file" in (await ask(emulator, 901, "/admin remove 900"))["text"]
        assert (await ask(emulator, 901, "/ban 555"))["text"] == "555 can no longer comment."
        async with bot.sessions() as session:
            banned = await session.get(Commenter, 555)
        assert banned is not None
        assert banned.banned
        assert banned.banned_by == 901
        assert (await ask(emulator, 901, "/unban 555"))["text"] == "555 can comment again."
        assert (await ask(emulator, 901, "/unban 555"))["text"] == "555 is not banned."
        assert "Usage" in (await ask(emulator, 901, "/ban someone"))["text"]

        listing = await ask(emulator, ADMIN, "/admin")
        labels = [b["text"] for row in listing["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["Remove 901"]  # config admins get no Remove button
        await emulator.user(ADMIN).press(listing, button(listing, "Remove 901"))
        await until(lambda: (901, "") not in chat_menus(emulator))
        assert (await ask(emulator, 901, "/audit"))["text"] == NOT_ALLOWED
        audit = (await ask(emulator, ADMIN, "/audit"))["text"]
        lines = audit.splitlines()
        assert lines[0] == "The latest 4 admin actions"
        assert [line.split(" · ", 2)[1:] for line in lines[1:]] == [
            ["900", "removed an admin → 901"], ["901", "lifted a comment ban → 555"],
            ["901", "banned from commenting → 555"], ["900", "added an admin → 901"]]
        assert len((await ask(emulator, ADMIN, "/audit 2"))["text"].splitlines()) == 3
        assert await counts(bot) == (0, 4, 1)


async def test_ban_stops_comments_unban_lets_them_in_and_queue_lists_held(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """/queue lists a held comment with Approve / Reject / Ban; /ban refuses the reader's next
    comment; /unban lets them comment again."""
    async with running_bot(extra=config(feed_server, moderation="pre"),
                           admins=(ADMIN,)) as bot:
        assert (await ask(emulator, ADMIN, "/queue"))["text"] == \
            "No comments are waiting for approval."
        pushed = await pushed_to(bot, emulator, feed_server, 81)
        reader = emulator.user(81, "Olena")
        before = len(emulator.sent(81))
        await reader.send("Held for a moderator", reply_to=pushed[81]["message_id"])
        question = await next_reply(emulator, 81, before)
        await reader.press(question, button(question, "Publish as"))
        await until(lambda: "moderator" in emulator.sent(81)[before]["text"])

        before = len(emulator.sent(ADMIN))
        await emulator.user(ADMIN).send("/queue")
        head, held = (await emulator.wait_for_sent(ADMIN, count=before + 2, timeout=10))[
            before:before + 2]
        assert head["text"] == "1 comment is waiting for approval:"
        assert "Held for a moderator" in held["text"]
        labels = [b["text"] for row in held["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["Approve", "Reject", "Ban"]

        assert (await ask(emulator, ADMIN, "/ban 81"))["text"] == "81 can no longer comment."
        before = len(emulator.sent(81))
        await reader.send("Let me in", reply_to=pushed[81]["message_id"])
        assert "no longer comment" in (await next_reply(emulator, 81, before))["text"]
        assert (await ask(emulator, ADMIN, "/unban 81"))["text"] == "81 can comment again."
        before = len(emulator.sent(81))
        await reader.send("Back again", reply_to=pushed[81]["message_id"])
        assert "moderator" in (await next_reply(emulator, 81, before))["text"]
        async with bot.sessions() as session:
            statuses = list((await session.scalars(select(Comment.status))).all())
        assert statuses == ["pending", "pending"]


async def test_a_failing_handler_apologises_and_alerts_admins_once(
    emulator: BotAPIEmulator, running_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler exception gets each user a short apology in their language; two identical
    errors within 10 minutes alert the admins once, with the error's kind and handler."""
    emulator.user(ADMIN, "Editor")
    async with running_bot(admins=(ADMIN,)) as bot:
        async def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the newsroom database is on fire")

        monkeypatch.setattr(bot.services.news, "latest_page", broken)
        first = await ask(emulator, 71, "/latest")
        assert first["text"].startswith("😔 Sorry, something went wrong")
        second = await ask(emulator, 72, "/latest", language="uk")
        assert second["text"].startswith("😔 Вибачте")
        alerts = await emulator.wait_for_sent(ADMIN, count=1, timeout=10)
        assert "RuntimeError" in alerts[0]["text"]
        assert "handlers.reader" in alerts[0]["text"]
        assert "latest" in alerts[0]["text"]
        third = await ask(emulator, 73, "/latest")
        assert third["text"].startswith("😔 Sorry")
        assert len(emulator.sent(ADMIN)) == 1
        # A failing button press: the apology is the press's answer; another handler is
        # another kind of error, so the admins hear about it too.
        answers = len(emulator.callback_answers)
        await emulator.user(73).press(third, "latest:1:5:-", forged=True)
        answer = await until(lambda: emulator.callback_answers[answers:])
        assert answer[0].text.startswith("😔 Sorry")
        assert answer[0].show_alert
        alerts = await emulator.wait_for_sent(ADMIN, count=2, timeout=10)
        assert "callback_query" in alerts[1]["text"]
        assert "button:latest" in alerts[1]["text"]
