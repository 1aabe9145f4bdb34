"""Admin broadcasts end to end, on both databases: /broadcast with its preview and controls,
Send now to hundreds of chats through the outbox (formatting intact, blocked chats counted),
Cancel halfway, Test to me, a scheduled broadcast fired after a restart, the refusals for
non-admins (commands and forged buttons), and ``newsbot broadcast --wait`` beside a running
bot.

Readers' chats are created in the database in bulk (tests/support/outbox.py); the emulator
knows every private chat it is asked about."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select, update

from bot.emulator import BotAPIEmulator
from storage.models import (
    AdminAuditLog,
    Broadcast,
    Chat,
    Delivery,
    LinkClick,
    Subscription,
    Topic,
    TrackedLink,
    utcnow,
)
from tests.support.cli import run_cli
from tests.support.factories import TEST_TOKEN
from tests.support.outbox import add_chats, add_topics

ADMIN = 900
NOT_ALLOWED = "Sorry, only the bot's admins can do that."
FAST = {"rate_per_second": 1000, "private_chat_interval": 0, "group_chat_interval": 0,
        "concurrency": 64}
TEXT = "Big news: bold and italic, read more"
ENTITIES = [{"type": "bold", "offset": 10, "length": 4},
            {"type": "italic", "offset": 19, "length": 6},
            {"type": "text_link", "offset": 27, "length": 9, "url": "https://example.org/more"}]


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    """An emulator that knows every private chat it is asked about."""
    async with BotAPIEmulator(tokens=(TEST_TOKEN,), auto_create_chats=True) as emu:
        yield emu


async def until(check: Any, timeout: float = 20) -> Any:
    """Wait until ``check()`` (sync or async) is truthy; return its value."""
    for _ in range(int(timeout / 0.05)):
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def say(emulator: BotAPIEmulator, user_id: int, text: str, count: int = 1,
              entities: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """``user_id`` writes ``text``; the bot's next ``count`` messages in their chat."""
    before = len(emulator.sent(user_id))
    await emulator.user(user_id).send(text, entities=entities)
    return (await emulator.wait_for_sent(user_id, count=before + count, timeout=10))[before:]


def buttons(message: dict[str, Any]) -> list[str]:
    """The callback data of a message's buttons."""
    return [b["callback_data"] for row in message.get("reply_markup", {}).get(
        "inline_keyboard", []) for b in row if "callback_data" in b]


async def draft(emulator: BotAPIEmulator) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """The admin sends /broadcast, then the formatted announcement: (id, preview, controls)."""
    [usage] = await say(emulator, ADMIN, "/broadcast")
    assert "next message" in usage["text"]
    preview, controls = await say(emulator, ADMIN, TEXT, count=2, entities=ENTITIES)
    send = next(d for d in buttons(controls) if d.endswith(":send"))
    return int(send.split(":")[1]), preview, controls


async def press(emulator: BotAPIEmulator, user_id: int, message: dict[str, Any],
                data: str, *, forged: bool = False) -> Any:
    """Press a button and wait for its answer."""
    answers = len(emulator.callback_answers)
    await emulator.user(user_id).press(message, data, forged=forged)
    await until(lambda: len(emulator.callback_answers) > answers)
    return emulator.callback_answers[answers]


async def broadcast_rows(bot: Any, broadcast_id: int) -> dict[str, int]:
    """The broadcast's deliveries by status (skipped split into blocked and cancelled)."""
    async with bot.sessions() as session:
        rows = (await session.execute(
            select(Delivery.status, Delivery.last_error, func.count())
            .where(Delivery.broadcast_id == broadcast_id)
            .group_by(Delivery.status, Delivery.last_error))).all()
    found: dict[str, int] = {}
    for status, error, number in rows:
        key = "cancelled" if error == "broadcast cancelled" else status
        found[key] = found.get(key, 0) + number
    return found


async def audit_actions(bot: Any) -> list[str]:
    async with bot.sessions() as session:
        return list((await session.scalars(
            select(AdminAuditLog.action).order_by(AdminAuditLog.id))).all())


def readers(count: int, start: int = 1000) -> list[tuple[int, str]]:
    return [(chat_id, "private") for chat_id in range(start, start + count)]


def progress_of(emulator: BotAPIEmulator, message_id: int) -> str:
    """The current text of the admin's message ``message_id``."""
    return next(m["text"] for m in emulator.sent(ADMIN) if m["message_id"] == message_id)


async def test_a_non_admin_is_refused_and_forged_buttons_change_nothing(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/broadcast, /broadcasts and /broadcast schedule from a reader get "not allowed";
    their forged Send now, Cancel, audience and topic presses on a real draft are refused:
    no row is queued, the draft stays a draft, only its creation is audited."""
    async with running_bot(admins=(ADMIN,), extra={"delivery": FAST}) as bot:
        await add_chats(bot.sessions, readers(5))
        broadcast_id, _, _ = await draft(emulator)
        for text in ("/broadcast hi", "/broadcasts", f"/broadcast schedule {broadcast_id} "
                     "2030-01-01 09:00", "/broadcast"):
            [reply] = await say(emulator, 70, text)
            assert reply["text"] == NOT_ALLOWED, text
        [reply] = await say(emulator, 70, "just text after a refused /broadcast")
        assert "Broadcast" not in reply["text"]
        for data in (f"bc:{broadcast_id}:send", f"bc:{broadcast_id}:cancel",
                     f"bc:{broadcast_id}:private", f"bc:{broadcast_id}:test",
                     f"bct:{broadcast_id}:1", "bc:99999:send", "bc:x:send"):
            answer = await press(emulator, 70, reply, data, forged=True)
            assert answer.text == NOT_ALLOWED, data
        await bot.drain_outbox()
        assert await broadcast_rows(bot, broadcast_id) == {}
        async with bot.sessions() as session:
            assert (await session.get(Broadcast, broadcast_id)).status == "draft"
        assert await audit_actions(bot) == ["broadcast.create"]
        assert len(emulator.sent(1000)) == 0


async def test_send_now_reaches_every_active_chat_with_formatting_and_counts(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Preview → Send now to 300 readers (10 of whom blocked the bot, 5 already blocked in
    the database): each reachable chat gets the announcement once with bold, italic and link
    intact (the emulator's parsed entities, as the preview); the progress message ends with
    counts that add up; the actions are audited."""
    async with running_bot(admins=(ADMIN,), extra={"delivery": FAST}) as bot:
        await add_chats(bot.sessions, readers(300))
        async with bot.sessions() as session, session.begin():
            await session.execute(update(Chat).where(Chat.id.in_(range(1295, 1300)))
                                  .values(status="blocked"))
        for chat_id in range(1000, 1010):
            emulator.faults.block(chat_id)
        broadcast_id, preview, controls = await draft(emulator)
        assert preview["text"] == TEXT
        assert preview["entities"] == ENTITIES
        answer = await press(emulator, ADMIN, controls, f"bc:{broadcast_id}:send")
        assert answer.text == "Sending…"
        await until(lambda: "pause" in " ".join(buttons(next(
            m for m in emulator.sent(ADMIN) if m["message_id"] == controls["message_id"]))))
        await until(lambda: _drained(bot, broadcast_id))
        await bot.tick_broadcasts()
        rows = await broadcast_rows(bot, broadcast_id)
        final = progress_of(emulator, controls["message_id"])
        actions = await audit_actions(bot)
    # 295 active readers (the admin never sent /start: not a reader), 10 of them blocked
    assert rows == {"sent": 285, "skipped": 10}
    assert "done" in final
    assert "Sent: 285 · failed: 0 · blocked: 10 · remaining: 0" in final
    assert emulator.sent(ADMIN)[-1]["text"] == final  # the final report
    for chat_id in range(1010, 1295):
        [message] = emulator.sent(chat_id)
        assert message["text"] == TEXT
        assert message["entities"] == ENTITIES
    assert all(not emulator.sent(chat_id) for chat_id in range(1295, 1300))
    assert actions == ["broadcast.create", "broadcast.send"]


async def _drained(bot: Any, broadcast_id: int) -> bool:
    rows = await broadcast_rows(bot, broadcast_id)
    return bool(rows) and not rows.get("pending") and not rows.get("sending")


async def test_cancel_halfway_stops_the_rest_and_keeps_the_counts(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """At 40 messages a second, Cancel pressed once some have gone stops the rest: no chat
    gets it after the cancel settles, and sent + not sent add up to the audience."""
    slow = {**FAST, "rate_per_second": 40, "concurrency": 8}
    async with running_bot(admins=(ADMIN,), extra={"delivery": slow}) as bot:
        await add_chats(bot.sessions, readers(300))
        broadcast_id, _, controls = await draft(emulator)
        await press(emulator, ADMIN, controls, f"bc:{broadcast_id}:send")
        await until(lambda: (_sent_count(emulator) >= 40))
        progress = next(m for m in emulator.sent(ADMIN)
                        if m["message_id"] == controls["message_id"])
        await press(emulator, ADMIN, progress, f"bc:{broadcast_id}:cancel")
        await until(lambda: _drained(bot, broadcast_id))
        await bot.tick_broadcasts()
        rows = await broadcast_rows(bot, broadcast_id)
        text = progress_of(emulator, controls["message_id"])
    assert rows["sent"] == _sent_count(emulator)
    assert rows["sent"] + rows["cancelled"] == 300
    assert 40 <= rows["sent"] < 250
    assert "cancelled" in text
    assert f"Sent: {rows['sent']}" in text


def _sent_count(emulator: BotAPIEmulator) -> int:
    return sum(1 for m in emulator.sent_messages() if m.chat_id != ADMIN and m.text == TEXT)


async def test_test_to_me_sends_only_to_the_admin(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Test to me sends the announcement to the presser alone (no outbox rows); the draft
    stays a draft; an audience press changes the controls' audience line."""
    async with running_bot(admins=(ADMIN,), extra={"delivery": FAST}) as bot:
        await add_chats(bot.sessions, readers(20))
        broadcast_id, _, controls = await draft(emulator)
        before = len(emulator.sent(ADMIN))
        answer = await press(emulator, ADMIN, controls, f"bc:{broadcast_id}:test")
        assert answer.text == "Sent to you only."
        [copy] = (await emulator.wait_for_sent(ADMIN, count=before + 1))[before:]
        assert copy["text"] == TEXT
        assert copy["entities"] == ENTITIES
        await press(emulator, ADMIN, controls, f"bc:{broadcast_id}:channels")
        text = progress_of(emulator, controls["message_id"])
        await bot.drain_outbox()
        assert await broadcast_rows(bot, broadcast_id) == {}
        assert "Channels (0 chats now)" in text
    assert all(not emulator.sent(chat_id) for chat_id in range(1000, 1020))


async def test_a_scheduled_broadcast_fires_after_a_restart(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Scheduled with /broadcast schedule (in the admin's timezone), listed by /broadcasts;
    the bot stops; a new bot on the same database fires it once its time has come (set in
    the past here) and the readers of the two chosen topics get it, once each."""
    async with running_bot(admins=(ADMIN,), extra={"delivery": FAST}) as bot:
        await add_chats(bot.sessions, readers(30))
        async with bot.sessions() as session:
            topic_id = await session.scalar(select(Topic.id).where(Topic.slug == "russia"))
            war = await session.scalar(select(Topic.id).where(Topic.slug == "war-in-ukraine"))
        async with bot.sessions() as session, session.begin():
            session.add_all(Subscription(chat_id=c, topic_id=topic_id) for c in range(1000, 1010))
            session.add_all(Subscription(chat_id=c, topic_id=war) for c in range(1008, 1015))
        broadcast_id, _, controls = await draft(emulator)
        await press(emulator, ADMIN, controls, f"bc:{broadcast_id}:topics")
        await press(emulator, ADMIN, controls, f"bct:{broadcast_id}:{topic_id}")
        assert "Subscribers of Russia (10 chats now)" in progress_of(
            emulator, controls["message_id"])
        # One or more topics: a second press adds one (chats in both counted once), a press
        # on a chosen one takes it off again, and the page stays open with ✅ on the chosen.
        for toggled in (war, war, war):
            await press(emulator, ADMIN, controls, f"bct:{broadcast_id}:{toggled}")
        shown = progress_of(emulator, controls["message_id"])
        assert "Subscribers of Russia, War in Ukraine (15 chats now)" in shown
        await press(emulator, ADMIN, controls, f"bc:{broadcast_id}:back")
        [reply] = await say(emulator, ADMIN, f"/broadcast schedule {broadcast_id} 2020-01-01 09:00")
        assert "future" in reply["text"]
        [reply] = await say(emulator, ADMIN, f"/broadcast schedule {broadcast_id} 2099-01-01 09:00")
        assert "scheduled for 2099-01-01 09:00 (UTC)" in reply["text"]
        [listed] = await say(emulator, ADMIN, "/broadcasts")
        assert "scheduled" in listed["text"]
        assert f"bc:{broadcast_id}:cancel" in buttons(listed)
    async with running_bot(admins=(ADMIN,), extra={"delivery": FAST}) as bot:
        async with bot.sessions() as session, session.begin():
            await session.execute(update(Broadcast).values(
                scheduled_at=utcnow() - timedelta(seconds=1)))
        await bot.tick_broadcasts()
        await until(lambda: _drained(bot, broadcast_id))
        await bot.tick_broadcasts()
        async with bot.sessions() as session:
            status = (await session.get(Broadcast, broadcast_id)).status
        rows = await broadcast_rows(bot, broadcast_id)
    assert rows == {"sent": 15}
    assert status == "done"
    assert [len(emulator.sent(c)) for c in range(1000, 1017)] == [1] * 15 + [0, 0]
    assert "done" in emulator.sent(ADMIN)[-1]["text"]


async def test_the_cli_queues_and_waits_while_the_running_bot_sends(
    emulator: BotAPIEmulator, running_bot: Any, tmp_path: Path
) -> None:
    """`newsbot broadcast --text-file F --wait` beside a running bot prints the id and a
    progress line and exits 0 once every chat has it; the text arrives escaped, as typed."""
    text_file = tmp_path / "news.txt"
    text_file.write_text("Maintenance tonight <22:00> & tomorrow\n", encoding="utf-8")
    async with running_bot(admins=(ADMIN,), extra={"delivery": FAST}) as bot:
        await add_chats(bot.sessions, readers(50))
        result = await asyncio.to_thread(
            run_cli, "broadcast", "-c", str(tmp_path / "config.toml"), "--text-file",
            str(text_file), "--wait")
        broadcast_id = int(result.stdout.split()[0])
        rows = await broadcast_rows(bot, broadcast_id)
    assert result.returncode == 0, result.stderr
    assert f"broadcast {broadcast_id} done: sent 50" in result.stdout
    assert rows == {"sent": 50}
    assert emulator.sent(1000)[0]["text"] == "Maintenance tonight <22:00> & tomorrow"


async def test_the_cli_refuses_a_retired_topic_instead_of_sending_to_everyone(
    emulator: BotAPIEmulator, running_bot: Any, tmp_path: Path
) -> None:
    """`--topic` naming a topic that is no longer active exits 1 and queues nothing (it
    used to fall back to every chat)."""
    text_file = tmp_path / "news.txt"
    text_file.write_text("Only for the retired topic", encoding="utf-8")
    async with running_bot(admins=(ADMIN,), extra={"delivery": FAST}) as bot:
        await add_chats(bot.sessions, readers(5))
        [retired] = await add_topics(bot.sessions, "retired")
        async with bot.sessions() as session, session.begin():
            topic = await session.get(Topic, retired)
            assert topic is not None
            topic.active = False
        result = await asyncio.to_thread(
            run_cli, "broadcast", "-c", str(tmp_path / "config.toml"), "--text-file",
            str(text_file), "--topic", "retired")
        async with bot.sessions() as session:
            queued = (await session.scalars(select(Delivery.id).where(
                Delivery.broadcast_id.is_not(None)))).all()
    assert result.returncode == 1
    assert "retired" in result.stderr
    assert not queued


async def test_an_inline_broadcast_keeps_its_formatting_and_a_listed_one_can_be_cancelled(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """`/broadcast <text>` keeps the formatting after the command; scheduled, it is listed by
    /broadcasts, where Cancel stops it: its time comes and nothing is sent."""
    async with running_bot(admins=(ADMIN,), extra={"delivery": FAST}) as bot:
        await add_chats(bot.sessions, readers(5))
        command = "/broadcast "
        entities = [{"type": "bot_command", "offset": 0, "length": 10},
                    *({**e, "offset": e["offset"] + len(command)} for e in ENTITIES)]
        preview, controls = await say(emulator, ADMIN, command + TEXT, count=2,
                                      entities=entities)
        assert preview["text"] == TEXT
        assert preview["entities"] == ENTITIES
        broadcast_id = int(buttons(controls)[0].split(":")[1])
        await say(emulator, ADMIN, f"/broadcast schedule {broadcast_id} 2099-06-01 12:30")
        [listed] = await say(emulator, ADMIN, "/broadcasts")
        assert "Scheduled for 2099-06-01 12:30 (UTC)" in listed["text"]
        assert await press(emulator, ADMIN, listed, f"bc:{broadcast_id}:cancel")
        async with bot.sessions() as session, session.begin():
            await session.execute(update(Broadcast).values(
                scheduled_at=utcnow() - timedelta(seconds=1)))
        await bot.tick_broadcasts()
        await bot.drain_outbox()
        [empty] = await say(emulator, ADMIN, "/broadcasts")
        rows = await broadcast_rows(bot, broadcast_id)
        actions = await audit_actions(bot)
    assert rows == {}
    assert "No broadcast is scheduled" in empty["text"]
    assert all(not emulator.sent(chat_id) for chat_id in range(1000, 1005))
    assert actions == ["broadcast.create", "broadcast.schedule", "broadcast.cancel"]


async def test_a_broadcast_link_button_is_tracked_when_click_tracking_is_on(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """With server.public_url, readers' link button leads to <public_url>/r/<id> (one link
    per broadcast); a GET there counts one click for the broadcast and redirects (302)."""
    public = "https://news.example.com/bot"
    async with running_bot(admins=(ADMIN,), extra={"delivery": FAST,
                                                   "server": {"public_url": public}}) as bot:
        await add_chats(bot.sessions, readers(3))
        broadcast_id, _, _ = await draft(emulator)
        _, controls = await say(emulator, ADMIN, f"/broadcast button {broadcast_id} "
                                "https://example.org/live Live blog", count=2)
        await press(emulator, ADMIN, controls, f"bc:{broadcast_id}:send")
        await until(lambda: _drained(bot, broadcast_id))
        urls = {emulator.sent(c)[0]["reply_markup"]["inline_keyboard"][0][0]["url"]
                for c in range(1000, 1003)}
        [tracked] = urls
        assert tracked.startswith(f"{public}/r/")
        async with aiohttp.ClientSession() as http, http.get(
                f"http://127.0.0.1:{bot.web.port}/r/{tracked.rsplit('/', 1)[1]}",
                allow_redirects=False) as response:
            assert response.status == 302
            assert response.headers["Location"] == "https://example.org/live"
        async with bot.sessions() as session:
            clicks = await session.scalar(
                select(func.sum(LinkClick.clicks)).join(TrackedLink)
                .where(TrackedLink.broadcast_id == broadcast_id))
    assert clicks == 1


async def send_photo(emulator: BotAPIEmulator, user_id: int, caption: str,
                     entities: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """``user_id`` sends a photo with a formatted caption (as a Telegram client would); the
    bot's next ``count`` messages in their chat."""
    before = len(emulator.sent(user_id))
    photo = emulator.state.new_photo(data=b"\x89PNG announcement", url=None,
                                     filename="news.png")
    chat = emulator.state.chats[user_id]
    message = emulator.state.new_message(chat, emulator.user(user_id).user, {
        "photo": photo.photo_sizes, "caption": caption, "caption_entities": entities})
    emulator.state.store_message(chat, message, from_bot=False)
    emulator.state.push_update("message", message)
    return (await emulator.wait_for_sent(user_id, count=before + count, timeout=10))[before:]


async def test_a_photo_with_a_link_button_is_paused_resumed_and_finished(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A photo with a formatted caption after /broadcast, given a link button with
    /broadcast button, is previewed as sent; Send now, Pause (nothing more goes out, rows
    wait), Resume, and every reader gets the photo, caption entities and button; a caption
    over 1,024 characters is refused."""
    slow = {**FAST, "rate_per_second": 20, "concurrency": 4}
    async with running_bot(admins=(ADMIN,), extra={"delivery": slow}) as bot:
        await add_chats(bot.sessions, readers(60))
        await say(emulator, ADMIN, "/broadcast")
        [refused] = await send_photo(emulator, ADMIN, "x" * 1025, [], 1)
        assert "1024" in refused["text"]
        await say(emulator, ADMIN, "/broadcast")
        preview, controls = await send_photo(emulator, ADMIN, TEXT, ENTITIES, 2)
        assert preview["caption"] == TEXT
        assert preview["caption_entities"] == ENTITIES
        broadcast_id = int(buttons(controls)[0].split(":")[1])
        preview, controls = await say(
            emulator, ADMIN, f"/broadcast button {broadcast_id} https://example.org/live "
            "Live blog", count=2)
        assert preview["reply_markup"]["inline_keyboard"] == [
            [{"text": "Live blog", "url": "https://example.org/live"}]]
        await press(emulator, ADMIN, controls, f"bc:{broadcast_id}:send")
        await until(lambda: _photo_count(emulator) >= 10)
        progress = next(m for m in emulator.sent(ADMIN)
                        if m["message_id"] == controls["message_id"])
        await press(emulator, ADMIN, progress, f"bc:{broadcast_id}:pause")
        await asyncio.sleep(1.5)  # claimed sends settle (the status is re-read each second)
        paused_at = _photo_count(emulator)
        await asyncio.sleep(2.5)  # an outbox tick or more
        assert _photo_count(emulator) == paused_at < 60
        assert (await broadcast_rows(bot, broadcast_id))["pending"] == 60 - paused_at
        progress = next(m for m in emulator.sent(ADMIN)
                        if m["message_id"] == controls["message_id"])
        assert "resume" in " ".join(buttons(progress))
        await press(emulator, ADMIN, progress, f"bc:{broadcast_id}:resume")
        await until(lambda: _drained(bot, broadcast_id))
        rows = await broadcast_rows(bot, broadcast_id)
        actions = await audit_actions(bot)
    assert rows == {"sent": 60}
    for chat_id in range(1000, 1060):
        [message] = emulator.sent(chat_id)
        assert message["caption"] == TEXT
        assert message["caption_entities"] == ENTITIES
        assert message["photo"] == preview["photo"]
        assert message["reply_markup"] == preview["reply_markup"]
    assert actions == ["broadcast.create", "broadcast.button", "broadcast.send",
                       "broadcast.pause", "broadcast.resume"]


def _photo_count(emulator: BotAPIEmulator) -> int:
    return sum(1 for chat_id in range(1000, 1060) if emulator.sent(chat_id))


@pytest.mark.slow  # 2,000 sends at the emulator's rate limits: in make test-long
async def test_two_thousand_chats_at_the_rate_limits_get_no_429s(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """2,000 readers (25 blocked) at 400/s against an emulator enforcing 400/s and 1/s per
    chat: zero 429s, every reachable chat once, sent + blocked = the audience."""
    delivery = {"rate_per_second": 400, "concurrency": 64}
    async with running_bot(admins=(ADMIN,), extra={"delivery": delivery}) as bot:
        await add_chats(bot.sessions, readers(2000))
        for chat_id in range(1000, 1025):
            emulator.faults.block(chat_id)
        broadcast_id, _, controls = await draft(emulator)
        # The limits from here: the admin's own chat had its preview within a second.
        emulator.faults.set_rate_limits(overall_per_second=400, per_chat_per_second=1,
                                        per_group_per_minute=20, paid_per_second=1000)
        await press(emulator, ADMIN, controls, f"bc:{broadcast_id}:send")
        await until(lambda: _drained(bot, broadcast_id), timeout=60)
        rows = await broadcast_rows(bot, broadcast_id)
    assert rows == {"sent": 1975, "skipped": 25}
    assert emulator.faults.stats.rate_limited == 0
