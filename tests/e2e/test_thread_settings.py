"""Per-forum-thread settings through the real Application and the emulator: /settings inside
a forum thread changes that thread's delivery settings only ("this thread"), time zone and
languages stay chat-wide, and the outbox pushes to each thread by its own settings."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.emulator import BotAPIEmulator
from storage.models import Chat
from tests.support.outbox import Destination, add_topics, deliveries, publish, subscribe_in_db
from tests.support.users import button

FORUM = -7601


async def _chat(bot: Any) -> Chat:
    async with bot.sessions() as session:
        chat = await session.get(Chat, FORUM)
    assert chat is not None
    return chat


def _in_thread(emulator: BotAPIEmulator, thread_id: int | None) -> list[dict[str, Any]]:
    return [m for m in emulator.sent(FORUM) if m.get("message_thread_id") == thread_id
            and m.get("text") and "ettings" in m["text"]]


async def test_threads_keep_their_own_delivery_and_pushes_respect_each(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Thread A on a digest, thread B and General instant: a new explainer reaches B and
    General at once and waits for A's digest; a button pressed in B changes B only; the time
    zone set in A is the whole group's."""
    async with running_bot() as bot:
        forum = emulator.group(FORUM, "Desk", is_forum=True, bot_status="member")
        admin = emulator.user(91)
        forum.set_member(admin, "administrator")
        a, b = forum.create_topic("Digest", by=admin), forum.create_topic("Instant", by=admin)
        await admin.send("/settings digest 19:00", chat_id=FORUM, message_thread_id=a)
        await emulator.wait_for_sent(FORUM, count=1, timeout=10)
        await admin.send("/settings", chat_id=FORUM, message_thread_id=b)
        await emulator.wait_for_sent(FORUM, count=2, timeout=10)
        await admin.send("/settings", chat_id=FORUM)
        await emulator.wait_for_sent(FORUM, count=3, timeout=10)
        [in_a], [in_b] = _in_thread(emulator, a), _in_thread(emulator, b)
        [general] = [m for m in emulator.sent(FORUM) if "message_thread_id" not in m]
        assert "Settings of this thread (saved)" in in_a["text"]
        assert "Delivery: a digest at 19:00" in in_a["text"]
        assert "apply to this thread only" in in_a["text"]
        assert "Settings of this thread" in in_b["text"]
        assert "Delivery: instant" in in_b["text"]
        assert general["text"].startswith("Settings\n")
        assert "Delivery: instant" in general["text"]
        chat = await _chat(bot)
        assert chat.settings.get("threads") == {
            str(a): {"delivery": "digest", "digest_times": ["19:00"]}}
        assert "delivery" not in chat.settings

        await admin.press(in_b, button(in_b, "Images: on"))
        await emulator.wait_for_calls("editMessageText", count=1, timeout=10)
        edited = next(m for m in emulator.sent(FORUM) if m["message_id"] == in_b["message_id"])
        assert "Settings of this thread (saved)" in edited["text"]
        assert "Images: off" in edited["text"]
        await admin.send("/settings timezone Europe/Kyiv", chat_id=FORUM, message_thread_id=a)
        await emulator.wait_for_sent(FORUM, count=4, timeout=10)
        chat = await _chat(bot)
        assert chat.timezone == "Europe/Kyiv"
        assert chat.settings["threads"][str(b)] == {"images": False}
        assert "images" not in chat.settings

        [topic] = await add_topics(bot.sessions, "alpha")
        await subscribe_in_db(bot.sessions, [(Destination(FORUM, t, "supergroup"), [topic])
                                             for t in (a, b, 0)])
        await publish(bot.sessions, "Threads have their own schedules", [topic])
        await bot.drain_outbox()
        rows = {row.thread_id: row for row in await deliveries(bot.sessions)}
        assert rows[b].status == rows[0].status == "sent"
        assert rows[a].status == "pending"
        assert rows[a].schedule == "digest"
        pushed = {m.thread_id for m in emulator.sent_messages(FORUM)
                  if "Threads have their own" in (m.text or "")}
        assert pushed == {b, None}


async def test_members_cannot_change_a_threads_settings(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A member's /settings change or button press in a thread is refused; nothing stored."""
    async with running_bot() as bot:
        forum = emulator.group(FORUM, "Desk", is_forum=True, bot_status="member")
        admin, member = emulator.user(91), emulator.user(92)
        forum.set_member(admin, "administrator")
        forum.set_member(member, "member")
        a = forum.create_topic("News", by=admin)
        await member.send("/settings", chat_id=FORUM, message_thread_id=a)
        [shown] = await emulator.wait_for_sent(FORUM, count=1, timeout=10)
        await member.send("/settings digest 08:00", chat_id=FORUM, message_thread_id=a)
        refused = (await emulator.wait_for_sent(FORUM, count=2, timeout=10))[-1]
        assert "Only the group's admins" in refused["text"]
        await member.press(shown, button(shown, "Digest 19:00"))
        for _ in range(100):
            if emulator.callback_answers:
                break
            await asyncio.sleep(0.05)
        assert emulator.callback_answers[-1].text == "Only the group's admins can change this."
        assert "threads" not in (await _chat(bot)).settings
