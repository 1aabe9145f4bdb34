"""Channels managed from the private chat: the offer on being made admin, /connect by
@username, by a forwarded post and from the offer's button, the checks (user and bot admins,
the bot allowed to post), /channels with Disconnect, and forged picker data."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.emulator import BotAPIEmulator
from bot.render.admin_replies import error_apology
from storage.models import Chat, Subscription
from tests.support.users import button

CHANNEL = -1008001
ONLY_ADMINS = "Only the channel's admins can change this."


async def _channel_subscriptions(bot: Any) -> int:
    async with bot.sessions() as session:
        return len(list(await session.scalars(
            select(Subscription.id).where(Subscription.chat_id == CHANNEL))))


async def _answers_after(emulator: BotAPIEmulator, before: int, count: int) -> list[str | None]:
    for _ in range(100):
        if len(emulator.callback_answers) >= before + count:
            break
        await asyncio.sleep(0.05)
    return [a.text for a in emulator.callback_answers[before:]]


async def _setup(emulator: BotAPIEmulator) -> tuple[Any, Any, Any]:
    owner, other = emulator.user(801, "Olena"), emulator.user(802, "Max")
    channel = emulator.channel(CHANNEL, "Kyiv News", username="kyivnews")
    await channel.add_bot(by=owner)
    channel.set_member(other, "member")
    return owner, other, channel


async def test_offer_then_connect_by_username_and_pick_topics(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Made a channel admin, the bot offers the adding admin to connect it; /connect
    @channel checks both are admins and shows the channel's picker, whose presses subscribe
    the channel; /channels lists it and Disconnect drops its topics."""
    async with running_bot() as bot:
        owner, _other, _channel = await _setup(emulator)
        [offer] = await emulator.wait_for_sent(801, count=1, timeout=10)
        assert "Kyiv News" in offer["text"]
        await owner.send("/connect @kyivnews")
        picker = (await emulator.wait_for_sent(801, count=2, timeout=10))[-1]
        assert "Kyiv News" in picker["text"]
        await owner.press(picker, button(picker, "War in Ukraine"))
        await emulator.wait_for_calls("editMessageReplyMarkup", count=1, timeout=10)
        assert await _channel_subscriptions(bot) == 1
        async with bot.sessions() as session:
            chat = await session.get(Chat, CHANNEL)
            assert chat is not None
            assert (chat.type, chat.settings["connected_by"]) == ("channel", 801)
        await owner.send("/channels")
        listing = (await emulator.wait_for_sent(801, count=3, timeout=10))[-1]
        assert "Kyiv News — 1 topic" in listing["text"]
        await owner.press(listing, button(listing, "Disconnect"))
        await emulator.wait_for_calls("editMessageText", count=1, timeout=10)
        assert await _channel_subscriptions(bot) == 0


async def test_connect_from_the_offer_button_and_by_forward(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """The offer's Connect button and a forwarded channel post both connect the channel."""
    async with running_bot():
        owner, _other, _channel = await _setup(emulator)
        [offer] = await emulator.wait_for_sent(801, count=1, timeout=10)
        await owner.press(offer, button(offer, "Connect"))
        picker = (await emulator.wait_for_sent(801, count=2, timeout=10))[-1]
        assert "is connected" in picker["text"]
        state = emulator.state
        chat = state.chats[801]
        forwarded = state.new_message(chat, owner.user, {"text": "Today's post", "forward_origin": {
            "type": "channel", "chat": state.chats[CHANNEL].chat, "message_id": 5,
            "date": 1_700_000_000}})
        state.store_message(chat, forwarded, from_bot=False)
        state.push_update("message", forwarded)
        picker = (await emulator.wait_for_sent(801, count=3, timeout=10))[-1]
        assert "is connected" in picker["text"]


async def test_non_admin_cannot_connect_or_change_a_channel(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A member who is not the channel's admin cannot connect it, and forged picker data for
    the channel changes nothing; malformed data is answered as stale."""
    async with running_bot() as bot:
        owner, other, _channel = await _setup(emulator)
        await other.send("/connect @kyivnews")
        [refused] = await emulator.wait_for_sent(802, count=1, timeout=10)
        assert refused["text"] == "Only the channel's admins can connect it."
        async with bot.sessions() as session:
            chat = await session.get(Chat, CHANNEL)
            assert chat is None or "connected_by" not in chat.settings
        await owner.send("/connect @kyivnews")
        picker = (await emulator.wait_for_sent(801, count=2, timeout=10))[-1]
        data = button(picker, "War in Ukraine")
        before = len(emulator.callback_answers)
        await other.press(refused, data, forged=True)
        await other.press(refused, "chan:off:1008001", forged=True)
        await other.press(refused, "ctopic:12ab:war", forged=True)
        answers = await _answers_after(emulator, before, 3)
        assert answers[:2] == [ONLY_ADMINS, ONLY_ADMINS]
        assert answers[2] is not None
        assert "no longer active" in answers[2]
        assert await _channel_subscriptions(bot) == 0
        async with bot.sessions() as session:
            chat = await session.get(Chat, CHANNEL)
            assert chat is not None
            assert chat.settings["connected_by"] == 801


async def test_connect_needs_the_bot_to_post_and_a_real_channel(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Without the right to post, or for an unknown name, /connect says what to do."""
    async with running_bot():
        owner, _other, channel = await _setup(emulator)
        await emulator.wait_for_sent(801, count=1, timeout=10)
        await channel.set_bot_rights(by=owner, can_post_messages=False)
        await owner.send("/connect @kyivnews")
        reply = (await emulator.wait_for_sent(801, count=2, timeout=10))[-1]
        assert "can post messages" in reply["text"]
        await owner.send("/connect @nosuchchannel")
        reply = (await emulator.wait_for_sent(801, count=3, timeout=10))[-1]
        assert "can't see that channel" in reply["text"]
        await owner.send("/connect")
        reply = (await emulator.wait_for_sent(801, count=4, timeout=10))[-1]
        assert "/connect @yourchannel" in reply["text"]


async def _channel_row(bot: Any) -> Chat:
    async with bot.sessions() as session:
        chat = await session.get(Chat, CHANNEL)
    assert chat is not None
    return chat


async def test_channel_settings_from_the_private_chat(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/channels has a Settings button per channel: it shows the channel's settings in the
    private chat, whose buttons (carrying the channel id) change the channel's schedule; the
    text form /settings @channel … sets its time zone, quiet hours, words and content
    language. The channel stays connected."""
    async with running_bot() as bot:
        owner, _other, _channel = await _setup(emulator)
        await emulator.wait_for_sent(801, count=1, timeout=10)
        await owner.send("/connect @kyivnews")
        await emulator.wait_for_sent(801, count=2, timeout=10)
        await owner.send("/channels")
        listing = (await emulator.wait_for_sent(801, count=3, timeout=10))[-1]
        assert all(len(b["callback_data"].encode()) <= 64
                   for row in listing["reply_markup"]["inline_keyboard"] for b in row)
        await owner.press(listing, button(listing, "Settings"))
        shown = (await emulator.wait_for_sent(801, count=4, timeout=10))[-1]
        assert shown["text"].startswith("Settings of Kyiv News\n")
        assert "/settings @kyivnews timezone Europe/Kyiv" in shown["text"]
        assert all(b["callback_data"].startswith("cset:1008001:")
                   for row in shown["reply_markup"]["inline_keyboard"] for b in row)
        await owner.press(shown, button(shown, "Digest 19:00"))
        await emulator.wait_for_calls("editMessageText", count=1, timeout=10)
        edited = next(m for m in emulator.sent(801) if m["message_id"] == shown["message_id"])
        assert edited["text"].startswith("Settings of Kyiv News (saved)\n")
        assert "Delivery: a digest at 19:00" in edited["text"]
        for number, command in enumerate((
                "/settings @kyivnews timezone Europe/Kyiv", "/settings @KyivNews quiet 23:00 07:00",
                "/settings -1008001 mute football", "/settings @kyivnews content uk"), 5):
            await owner.send(command)
            reply = (await emulator.wait_for_sent(801, count=number, timeout=10))[-1]
            assert reply["text"].startswith("Settings of Kyiv News (saved)\n")
        chat = await _channel_row(bot)
        assert chat.timezone == "Europe/Kyiv"
        assert chat.language == "uk"
        assert {k: v for k, v in chat.settings.items() if k != "connected_by"} == {
            "delivery": "digest", "digest_times": ["19:00"], "quiet_hours": ["23:00", "07:00"],
            "mute_words": ["football"], "content_language": "uk",
            "interface_language": "en"}  # the adding admin's, on first contact
        assert chat.settings["connected_by"] == 801
        private = await _chat_settings(bot, 801)
        assert not {"delivery", "quiet_hours"} & set(private)
        await owner.send("/settings @kyivnews previews maybe")
        reply = (await emulator.wait_for_sent(801, count=9, timeout=10))[-1]
        assert "Nothing was changed." in reply["text"]
        await owner.send("/settings @nosuchchannel instant")
        reply = (await emulator.wait_for_sent(801, count=10, timeout=10))[-1]
        assert "not one of your connected channels" in reply["text"]


async def _chat_settings(bot: Any, chat_id: int) -> dict[str, Any]:
    async with bot.sessions() as session:
        chat = await session.get(Chat, chat_id)
    return dict(chat.settings) if chat is not None else {}


async def test_channel_settings_refuse_non_admins_and_forged_data(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A user who does not administer the channel gets "only admins" for forged settings
    buttons and for the text form, and nothing changes; an admin demoted since the settings
    were shown is refused on the next press; malformed data is answered as stale."""
    async with running_bot() as bot:
        owner, other, channel = await _setup(emulator)
        await emulator.wait_for_sent(801, count=1, timeout=10)
        await owner.send("/connect @kyivnews")
        await emulator.wait_for_sent(801, count=2, timeout=10)
        await other.send("/settings @kyivnews instant")
        [refused] = await emulator.wait_for_sent(802, count=1, timeout=10)
        assert refused["text"] == ONLY_ADMINS
        before = len(emulator.callback_answers)
        for data in ("cset:1008001:delivery:digest", "cset:1008001:show:-",
                     "cset:1008001:lang:uk", "cset:1008001:quiet:2200-0700"):
            await other.press(refused, data, forged=True)
        await other.press(refused, "cset:12ab:delivery:digest", forged=True)
        answers = await _answers_after(emulator, before, 5)
        assert answers[:4] == [ONLY_ADMINS] * 4
        assert answers[4] == "That button is no longer available."
        assert len(emulator.sent(802)) == 1
        chat = await _channel_row(bot)
        assert set(chat.settings) == {"connected_by", "interface_language"}
        assert chat.timezone == "UTC"

        await owner.send("/settings @kyivnews")
        shown = (await emulator.wait_for_sent(801, count=3, timeout=10))[-1]
        assert shown["text"].startswith("Settings of Kyiv News\n")
        channel.set_member(owner, "member")
        before = len(emulator.callback_answers)
        await owner.press(shown, button(shown, "Digest 19:00"))
        assert await _answers_after(emulator, before, 1) == [ONLY_ADMINS]
        assert set((await _channel_row(bot)).settings) == {"connected_by", "interface_language"}


async def test_channels_in_ukrainian(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """A Ukrainian admin's /channels and the channel's settings are in Ukrainian (three plural
    forms of "topic")."""
    async with running_bot():
        owner = emulator.user(803, "Олена", language_code="uk")
        channel = emulator.channel(-1008003, "Новини", username="novyny")
        await channel.add_bot(by=owner)
        [offer] = await emulator.wait_for_sent(803, count=1, timeout=10)
        assert "Ви зробили мене адміністратором каналу" in offer["text"]
        await owner.send("/connect @novyny")
        picker = (await emulator.wait_for_sent(803, count=2, timeout=10))[-1]
        assert "Канал Новини підключено." in picker["text"]
        await owner.send("/channels")
        listing = (await emulator.wait_for_sent(803, count=3, timeout=10))[-1]
        assert listing["text"].startswith("Ваші канали\n")
        assert "Новини — 0 тем" in listing["text"]
        await owner.press(listing, button(listing, "Налаштування"))
        shown = (await emulator.wait_for_sent(803, count=4, timeout=10))[-1]
        assert shown["text"].startswith("Налаштування каналу Новини\n")
        assert button(shown, "Добірка 19:00")


async def test_connect_with_non_ascii_digits_gets_an_answer_not_an_error(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """`/connect -²` or `/connect ٣` (digits Python's isdigit accepts but int() may not) is
    taken as a name that matches no channel: a plain answer, not the error apology."""
    async with running_bot():
        owner = emulator.user(801, "Olena")
        for number, argument in enumerate(("-²", "٣"), 1):
            await owner.send(f"/connect {argument}")
            reply = (await emulator.wait_for_sent(801, count=number, timeout=10))[-1]
            assert reply["text"] != error_apology()
