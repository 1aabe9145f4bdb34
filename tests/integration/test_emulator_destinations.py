"""Emulator destinations over real HTTP: forum topics (closed, reopened, deleted), channels and
the bot's rights there, flood limits per method and chat kind, and the compact sent log."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot
from telegram.error import NetworkError

from bot.emulator import BotAPIEmulator, SentMessage

TOKEN = "123456:TEST-TOKEN"
USER_ID = 1001
FORUM_ID = -100888
CHANNEL_ID = -100999
GROUP_ID = -100777
PHOTO_URL = "https://example.com/picture.jpg"
Answer = tuple[int, dict[str, Any]]


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    """A running emulator with one user (USER_ID)."""
    async with BotAPIEmulator(tokens=[TOKEN]) as emulator:
        emulator.user(USER_ID, "Ann", username="ann")
        yield emulator


@pytest.fixture
async def api(emu: BotAPIEmulator) -> AsyncIterator[Any]:
    """Calls a Bot API method with a JSON body; returns (HTTP status, body)."""
    async with aiohttp.ClientSession() as session:

        async def call(method: str, **params: Any) -> Answer:
            async with session.post(f"{emu.base_url}{TOKEN}/{method}", json=params) as r:
                return r.status, await r.json()

        yield call


def _error(answer: Answer) -> tuple[int, str]:
    status, body = answer
    assert body["ok"] is False
    assert body["error_code"] == status
    return status, body["description"]


# -- forum topics ----------------------------------------------------------------------------


async def test_deleted_topic_refuses_sends_and_loses_its_messages(
    api: Any, emu: BotAPIEmulator
) -> None:
    """After delete_topic, sends to it get 400 "message thread not found", its messages are
    gone, and the other topics work on."""
    user = emu.user(USER_ID, "Ann")
    forum = emu.group(FORUM_ID, "Desk", is_forum=True, bot_status="member")
    doomed, kept = forum.create_topic("Doomed"), forum.create_topic("Kept")
    first = await api("sendMessage", chat_id=FORUM_ID, text="a", message_thread_id=doomed)
    assert first[0] == 200
    forum.delete_topic(doomed)
    answer = await api("sendMessage", chat_id=FORUM_ID, text="b", message_thread_id=doomed)
    assert _error(answer) == (400, "Bad Request: message thread not found")
    photo = await api("sendPhoto", chat_id=FORUM_ID, photo=PHOTO_URL, message_thread_id=doomed)
    assert _error(photo) == (400, "Bad Request: message thread not found")
    assert emu.sent(FORUM_ID) == []
    assert (await api("sendMessage", chat_id=FORUM_ID, text="c", message_thread_id=kept))[0] == 200
    assert [m[:3] for m in emu.sent_messages(FORUM_ID)] == [(FORUM_ID, kept, "c")]
    with pytest.raises(ValueError, match="deleted"):
        await user.send("hi", chat_id=FORUM_ID, message_thread_id=doomed)
    with pytest.raises(ValueError, match="General"):
        forum.delete_topic(1)
    with pytest.raises(ValueError, match="no topic"):
        forum.delete_topic(doomed)


async def test_closed_topic_reopens(api: Any, emu: BotAPIEmulator) -> None:
    """close_topic makes sends there 400 TOPIC_CLOSED and queues forum_topic_closed;
    reopen_topic lets them through again and queues forum_topic_reopened; General too."""
    forum = emu.group(FORUM_ID, "Desk", is_forum=True, bot_status="member")
    thread = forum.create_topic("Sports")
    forum.close_topic(thread)
    answer = await api("sendMessage", chat_id=FORUM_ID, text="x", message_thread_id=thread)
    assert _error(answer) == (400, "Bad Request: TOPIC_CLOSED")
    forum.reopen_topic(thread)
    again = await api("sendMessage", chat_id=FORUM_ID, text="x", message_thread_id=thread)
    assert again[0] == 200
    services = [u["message"] for u in emu.pending_updates][1:]  # after forum_topic_created
    assert [
        next(k for k in ("forum_topic_closed", "forum_topic_reopened") if k in m) for m in services
    ] == ["forum_topic_closed", "forum_topic_reopened"]
    assert all(m["message_thread_id"] == thread and m["is_topic_message"] for m in services)
    forum.close_topic()
    assert _error(await api("sendMessage", chat_id=FORUM_ID, text="x")) == (
        400,
        "Bad Request: TOPIC_CLOSED",
    )
    forum.reopen_topic()
    assert (await api("sendMessage", chat_id=FORUM_ID, text="x"))[0] == 200


# -- channels --------------------------------------------------------------------------------


async def test_channel_posts_come_from_the_channel(api: Any, emu: BotAPIEmulator) -> None:
    """A channel where the bot is administrator accepts sends; the post has sender_chat = the
    channel and no `from`, as channel posts on Telegram."""
    owner = emu.user(USER_ID, "Ann")
    channel = emu.channel(CHANNEL_ID, "News", username="newsroom")
    await channel.add_bot(by=owner)
    assert channel.bot_status == "administrator"
    _, body = await api("sendMessage", chat_id=CHANNEL_ID, text="<b>Hello</b>", parse_mode="HTML")
    post = body["result"]
    assert "from" not in post
    assert post["chat"] == post["sender_chat"] == channel.chat
    assert post["chat"]["type"] == "channel"
    _, photo = await api("sendPhoto", chat_id="@newsroom", photo=PHOTO_URL, caption="pic")
    assert "from" not in photo["result"]
    assert photo["result"]["sender_chat"]["id"] == CHANNEL_ID


async def test_channel_without_admin_rights_is_400(api: Any, emu: BotAPIEmulator) -> None:
    """A demoted bot, or an admin without can_post_messages, gets 400 "need administrator
    rights in the channel chat" for sends and edits; promotion restores it."""
    owner = emu.user(USER_ID, "Ann")
    channel = emu.channel(CHANNEL_ID, "News")
    await channel.add_bot(by=owner)
    _, first = await api("sendMessage", chat_id=CHANNEL_ID, text="first")
    message_id = first["result"]["message_id"]
    need_rights = (400, "Bad Request: need administrator rights in the channel chat")

    update = await channel.set_bot_rights(by=owner, admin=False)
    assert update["new_chat_member"]["status"] == "member"
    assert _error(await api("sendMessage", chat_id=CHANNEL_ID, text="x")) == need_rights
    assert _error(await api("sendPhoto", chat_id=CHANNEL_ID, photo=PHOTO_URL)) == need_rights
    edit = await api("editMessageText", chat_id=CHANNEL_ID, message_id=message_id, text="y")
    assert _error(edit) == need_rights
    _, member = await api("getChatMember", chat_id=CHANNEL_ID, user_id=emu.bot["id"])
    assert member["result"]["status"] == "member"

    update = await channel.set_bot_rights(by=owner, can_post_messages=False)
    assert update["new_chat_member"]["status"] == "administrator"
    assert update["new_chat_member"]["can_post_messages"] is False
    assert _error(await api("sendMessage", chat_id=CHANNEL_ID, text="x")) == need_rights
    _, member = await api("getChatMember", chat_id=CHANNEL_ID, user_id=emu.bot["id"])
    assert member["result"]["can_post_messages"] is False

    await channel.set_bot_rights(by=owner)
    assert (await api("sendMessage", chat_id=CHANNEL_ID, text="back"))[0] == 200
    kinds = [u["my_chat_member"]["new_chat_member"]["status"] for u in emu.pending_updates]
    assert kinds == ["administrator", "member", "administrator", "administrator"]


async def test_demoted_bot_still_sends_in_groups(api: Any, emu: BotAPIEmulator) -> None:
    """Outside channels admin rights are not needed: a demoted bot keeps sending to a group."""
    owner = emu.user(USER_ID, "Ann")
    group = emu.group(GROUP_ID, "Club")
    await group.add_bot(by=owner, as_admin=True)
    await group.set_bot_rights(by=owner, admin=False)
    assert (await api("sendMessage", chat_id=GROUP_ID, text="x"))[0] == 200


async def test_bot_removed_from_channel_is_403(api: Any, emu: BotAPIEmulator) -> None:
    """Removed without a ban: 403 "bot is not a member of the channel chat"; banned: 403 "bot
    was kicked from the channel chat"."""
    owner = emu.user(USER_ID, "Ann")
    channel = emu.channel(CHANNEL_ID, "News")
    await channel.add_bot(by=owner)
    await channel.remove_bot(by=owner, ban=False)
    assert _error(await api("sendMessage", chat_id=CHANNEL_ID, text="x")) == (
        403,
        "Forbidden: bot is not a member of the channel chat",
    )
    await channel.add_bot(by=owner)
    await channel.remove_bot(by=owner)
    assert _error(await api("sendMessage", chat_id=CHANNEL_ID, text="x")) == (
        403,
        "Forbidden: bot was kicked from the channel chat",
    )
    with pytest.raises(ValueError, match="add_bot"):
        await channel.set_bot_rights(by=owner)


# -- flood limits ----------------------------------------------------------------------------

CHAT_KINDS = {"private": USER_ID, "supergroup": GROUP_ID, "channel": CHANNEL_ID}


@pytest.mark.parametrize("kind", list(CHAT_KINDS))
@pytest.mark.parametrize(
    "method", ["sendMessage", "sendPhoto", "editMessageText", "editMessageCaption"]
)
async def test_flood_limit_per_method_and_chat_kind(
    api: Any, emu: BotAPIEmulator, method: str, kind: str
) -> None:
    """Private chats get the per-chat window (1/s → 2nd call 429, retry 1); groups and
    channels the per-group one (2/min → 3rd call 429, retry 60), for sends and edits alike."""
    chat_id = CHAT_KINDS[kind]
    emu.group(GROUP_ID, "Club", bot_status="member")
    emu.channel(CHANNEL_ID, "News", bot_status="administrator")
    _, seed = await api("sendPhoto", chat_id=chat_id, photo=PHOTO_URL, caption="c0")
    _, text_seed = await api("sendMessage", chat_id=chat_id, text="t0")
    emu.faults.clock = lambda: 1000.0  # frozen: every call falls in one window
    emu.faults.set_rate_limits(
        overall_per_second=None, per_chat_per_second=1, per_group_per_minute=2
    )

    async def call(n: int) -> Answer:
        if method == "sendMessage":
            return await api(method, chat_id=chat_id, text=f"t{n}")
        if method == "sendPhoto":
            return await api(method, chat_id=chat_id, photo=PHOTO_URL)
        if method == "editMessageText":
            message_id = text_seed["result"]["message_id"]
            return await api(method, chat_id=chat_id, message_id=message_id, text=f"e{n}")
        message_id = seed["result"]["message_id"]
        return await api(method, chat_id=chat_id, message_id=message_id, caption=f"e{n}")

    allowed, retry_after = (1, 1) if kind == "private" else (2, 60)
    for n in range(1, allowed + 1):
        assert (await call(n))[0] == 200
    status, body = await call(allowed + 1)
    assert (status, body["parameters"]) == (429, {"retry_after": retry_after})
    assert body["description"] == f"Too Many Requests: retry after {retry_after}"


async def test_paid_broadcast_has_its_own_window(api: Any, emu: BotAPIEmulator) -> None:
    """allow_paid_broadcast sends skip the overall window but fill the paid one, keep the
    per-chat limit, and are recorded as paid."""
    for user_id in range(1, 10):
        emu.user(user_id)
    emu.faults.clock = lambda: 1000.0
    emu.faults.set_rate_limits(
        overall_per_second=2, per_chat_per_second=1, per_group_per_minute=None, paid_per_second=3
    )
    assert (await api("sendMessage", chat_id=1, text="free"))[0] == 200
    assert (await api("sendMessage", chat_id=2, text="free"))[0] == 200
    assert (await api("sendMessage", chat_id=3, text="free"))[0] == 429
    for user_id in (4, 5, 6):
        assert (
            await api("sendPhoto", chat_id=user_id, photo=PHOTO_URL, allow_paid_broadcast=True)
        )[0] == 200
    status, body = await api("sendMessage", chat_id=7, text="paid", allow_paid_broadcast=True)
    assert (status, body["parameters"]) == (429, {"retry_after": 1})
    emu.faults.set_rate_limits(overall_per_second=None, per_chat_per_second=1, paid_per_second=100)
    assert (await api("sendMessage", chat_id=8, text="p", allow_paid_broadcast=True))[0] == 200
    assert (await api("sendMessage", chat_id=8, text="p", allow_paid_broadcast=True))[0] == 429
    assert [(m.chat_id, m.paid_broadcast) for m in emu.sent_messages()] == [
        (1, False),
        (2, False),
        (4, True),
        (5, True),
        (6, True),
        (8, True),
    ]


# -- the sent log ----------------------------------------------------------------------------


async def test_sent_messages_record_destination_and_flags(api: Any, emu: BotAPIEmulator) -> None:
    """sent_messages gives (chat, thread, text, disable_notification, …) in send order, with
    General as thread None, captions as text and edits applied; copies keep their flags."""
    forum = emu.group(FORUM_ID, "Desk", is_forum=True, bot_status="member")
    thread = forum.create_topic("World")
    await api("sendMessage", chat_id=USER_ID, text="hi", disable_notification=True)
    await api("sendMessage", chat_id=FORUM_ID, text="general")
    _, body = await api(
        "sendMessage",
        chat_id=FORUM_ID,
        text="old",
        message_thread_id=thread,
        disable_notification=True,
    )
    await api(
        "editMessageText", chat_id=FORUM_ID, message_id=body["result"]["message_id"], text="new"
    )
    await api(
        "sendPhoto", chat_id=USER_ID, photo=PHOTO_URL, caption="cap", allow_paid_broadcast=True
    )
    await api(
        "copyMessage",
        chat_id=FORUM_ID,
        from_chat_id=USER_ID,
        message_thread_id=thread,
        message_id=1,
        disable_notification=True,
    )
    sent = emu.sent_messages()
    assert [m[:4] for m in sent] == [
        (USER_ID, None, "hi", True),
        (FORUM_ID, None, "general", False),
        (FORUM_ID, thread, "new", True),
        (USER_ID, None, "cap", False),
        (FORUM_ID, thread, "hi", True),
    ]
    assert isinstance(sent[0], SentMessage)
    assert [m.paid_broadcast for m in sent] == [False, False, False, True, False]
    assert emu.sent_messages(USER_ID) == [sent[0], sent[3]]
    grouped = emu.sent_by_destination()
    assert [m.text for m in grouped[(FORUM_ID, thread)]] == ["new", "hi"]
    assert set(grouped) == {(USER_ID, None), (FORUM_ID, None), (FORUM_ID, thread)}
    await api("deleteMessage", chat_id=USER_ID, message_id=sent[0].message_id)
    assert [m.text for m in emu.sent_messages(USER_ID)] == ["cap"]
    assert emu.sent_messages(USER_ID, include_deleted=True)[0].deleted is True


async def test_sent_log_scales_to_a_thousand_chats(api: Any, emu: BotAPIEmulator) -> None:
    """A broadcast to 1,200 chats is checked "exactly once each, right thread" in one pass."""
    chats = range(10_001, 11_201)
    for user_id in chats:
        emu.user(user_id)
    forum = emu.group(FORUM_ID, "Desk", is_forum=True, bot_status="member")
    thread = forum.create_topic("News")
    limit = asyncio.Semaphore(50)

    async def send(chat_id: int, **extra: Any) -> None:
        async with limit:
            assert (await api("sendMessage", chat_id=chat_id, text="explainer", **extra))[0] == 200

    await asyncio.gather(*(send(c) for c in chats), send(FORUM_ID, message_thread_id=thread))
    started = time.perf_counter()
    counts = Counter(m[:3] for m in emu.sent_messages())
    assert time.perf_counter() - started < 0.5
    expected = {(c, None, "explainer"): 1 for c in chats} | {(FORUM_ID, thread, "explainer"): 1}
    assert counts == expected


# -- lost answers ----------------------------------------------------------------------------


async def test_processed_but_answer_lost(emu: BotAPIEmulator) -> None:
    """With drop_after_processing the message is stored exactly once, yet PTB sees only a
    network error; the record says it was answered ok but not delivered."""
    emu.faults.set_random_faults(drop_rate=1.0, drop_after_processing=True, methods=["sendMessage"])
    async with Bot(TOKEN, base_url=emu.base_url) as bot:
        with pytest.raises(NetworkError):
            await bot.send_message(USER_ID, "ghost")
        emu.faults.clear_random_faults()
        await bot.send_message(USER_ID, "seen")
    assert [m.text for m in emu.sent_messages(USER_ID)] == ["ghost", "seen"]
    lost = emu.calls("sendMessage")[0]
    assert (lost.ok, lost.delivered, lost.result["text"]) == (True, False, "ghost")
