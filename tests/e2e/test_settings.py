"""/settings through the real Application and the emulator: buttons edited in place, text
forms, bad input, forged presses, and the admin check's plug."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.emulator import BotAPIEmulator
from bot.services.schedule import DeliveryPrefs
from storage.models import Chat
from tests.support.users import button


async def _chat(bot: Any, chat_id: int) -> Chat:
    async with bot.sessions() as session:
        chat = await session.get(Chat, chat_id)
    assert chat is not None
    return chat


def _choices(chat: Chat) -> dict[str, Any]:
    """The chat's stored settings other than its interface language (which every chat gets
    on first contact)."""
    return {k: v for k, v in (chat.settings or {}).items() if k != "interface_language"}


async def _answers(emulator: BotAPIEmulator, count: int) -> list[Any]:
    for _ in range(200):
        if len(emulator.callback_answers) >= count:
            break
        await asyncio.sleep(0.05)
    return emulator.callback_answers


def _current(emulator: BotAPIEmulator, message: dict[str, Any]) -> dict[str, Any]:
    chat_id = message["chat"]["id"]
    return next(m for m in emulator.sent(chat_id) if m["message_id"] == message["message_id"])


async def test_settings_buttons_edit_in_place(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """Each preset press is answered, stored as the delivery engine reads it, and redraws the
    settings in the same message with ✅ on the choice."""
    async with running_bot() as bot:
        reader = emulator.user(71)
        await reader.send("/settings")
        [shown] = await emulator.wait_for_sent(71, count=1, timeout=10)
        assert "Delivery: instant" in shown["text"]
        datas = [b["callback_data"] for row in shown["reply_markup"]["inline_keyboard"]
                 for b in row]
        assert all(len(d.encode()) <= 64 for d in datas)
        for step, label in enumerate(("Digest 08:00 + 19:00", "22:00–07:00",
                                      "Link previews: on", "Images: on", "Digest 19:00"), 1):
            current = _current(emulator, shown)
            await reader.press(current, button(current, label))
            await emulator.wait_for_calls("editMessageText", count=step, timeout=10)
            assert (await _answers(emulator, step))[-1].text == "Saved."
        final = _current(emulator, shown)
        assert len(emulator.sent(71)) == 1
        assert "Delivery: a digest at 19:00" in final["text"]
        assert "Quiet hours: 22:00–07:00" in final["text"]
        assert "Link previews: off · Images: off" in final["text"]
        assert button(final, "✅ Digest 19:00")
        chat = await _chat(bot, 71)
        assert _choices(chat) == {"delivery": "digest", "digest_times": ["19:00"],
                                 "quiet_hours": ["22:00", "07:00"], "previews": False,
                                 "images": False}
        prefs = DeliveryPrefs.from_chat(chat.timezone, chat.settings)
        assert prefs.mode == "digest"
        assert [t.hour for t in prefs.digest_times] == [19]
        await reader.press(final, button(final, "Instant"))
        await reader.press(_current(emulator, shown), button(final, "No quiet hours"))
        await emulator.wait_for_calls("editMessageText", count=7, timeout=10)
        chat = await _chat(bot, 71)
        assert chat.settings["delivery"] == "instant"
        assert "quiet_hours" not in chat.settings


async def test_settings_text_forms(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """Every text form is applied and stored under its key."""
    async with running_bot() as bot:
        reader = emulator.user(72)
        commands = [
            "/settings timezone Europe/Kyiv", "/settings digest 8:00 19:00",
            "/settings quiet 23:00 07:00", "/settings mute Football, celebrity gossip",
            "/settings only ukraine energy", "/settings previews off", "/settings images off",
            "/settings images on", "/settings content uk",
        ]
        for number, command in enumerate(commands, 1):
            await reader.send(command)
            await emulator.wait_for_sent(72, count=number, timeout=10)
        last = emulator.sent(72)[-1]["text"]
        assert "Settings (saved)" in last
        assert "Time zone: Europe/Kyiv" in last
        assert "Muted words: football, celebrity gossip" in last
        chat = await _chat(bot, 72)
        assert chat.timezone == "Europe/Kyiv"
        assert chat.language == "uk"
        assert _choices(chat) == {
            "delivery": "digest", "digest_times": ["08:00", "19:00"],
            "quiet_hours": ["23:00", "07:00"], "mute_words": ["football", "celebrity gossip"],
            "only_words": ["ukraine", "energy"], "previews": False, "images": True,
            "content_language": "uk",
        }
        for number, command in enumerate(
                ("/settings quiet off", "/settings mute off", "/settings only off",
                 "/settings instant", "/settings content all"), len(commands) + 1):
            await reader.send(command)
            await emulator.wait_for_sent(72, count=number, timeout=10)
        chat = await _chat(bot, 72)
        assert _choices(chat) == {"delivery": "instant", "digest_times": ["08:00", "19:00"],
                                 "previews": False, "images": True, "content_language": "all"}
        assert chat.language is None


BAD = {
    "/settings timezone Mars/Base": "is not a time zone I know",
    "/settings timezone ../../etc/passwd": "is not a time zone I know",
    "/settings digest 25:00": "Digest times are HH:MM",
    "/settings quiet 23:00": "Quiet hours are a start and an end",
    "/settings previews maybe": "/settings previews on or /settings previews off",
    "/settings content fr": "The explainers' language is en, uk or all",
    "/settings language all": "The bot speaks en or uk",
    "/settings colour <b>red</b>": "Unknown setting “colour”",
    "/settings 🔥🔥 שלום": "Unknown setting “🔥🔥”",
    "/settings mute " + "x" * 5000: "That is too long",
}


async def test_bad_settings_get_a_helpful_reply_and_change_nothing(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Each bad argument is answered with what to type instead; nothing is stored."""
    async with running_bot() as bot:
        reader = emulator.user(73)
        await reader.send("/settings")
        await emulator.wait_for_sent(73, count=1, timeout=10)
        for number, command in enumerate(BAD, 2):
            await reader.send(command)
            await emulator.wait_for_sent(73, count=number, timeout=10)
        replies = [m["text"] for m in emulator.sent(73)][1:]
        for reply, expected in zip(replies, BAD.values(), strict=True):
            assert expected in reply
            assert "Nothing was changed." in reply
        assert "Europe/Kyiv" in replies[0]
        chat = await _chat(bot, 73)
        assert (_choices(chat), chat.timezone) == ({}, "UTC")


async def test_forged_settings_presses_are_answered_and_change_nothing(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Data no /settings button carries is answered "no longer available"; nothing changes
    and the message stays as it was."""
    async with running_bot() as bot:
        reader = emulator.user(74)
        await reader.send("/settings")
        [shown] = await emulator.wait_for_sent(74, count=1, timeout=10)
        forged = ("set:delivery:nuclear", "set:quiet:0000-2359", "set:digest:0800-1900:x",
                  "set:timezone:Mars/Base", "set:", "set:images")
        for data in forged:
            await reader.press(shown, data, forged=True)
        answers = await _answers(emulator, len(forged))
        assert [a.text for a in answers] == ["That button is no longer available."] * len(forged)
        assert not emulator.calls("editMessageText")
        assert _choices(await _chat(bot, 74)) == {}


async def test_group_members_cannot_change_settings(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A group member (getChatMember: member) gets "only admins" for a text change and for a
    button, and nothing changes; an administrator's change is applied."""
    async with running_bot() as bot:
        group = emulator.group(-7501, "Club", bot_status="member")
        admin, member = emulator.user(81), emulator.user(82)
        group.set_member(admin, "administrator")
        group.set_member(member, "member")
        await member.send("/settings", chat_id=-7501)
        [shown] = await emulator.wait_for_sent(-7501, count=1, timeout=10)
        await member.send("/settings instant", chat_id=-7501)
        await member.send("/subscribe russia", chat_id=-7501)
        await member.send("/stop", chat_id=-7501)
        replies = await emulator.wait_for_sent(-7501, count=4, timeout=10)
        assert all("Only the group's admins" in m["text"] for m in replies[1:])
        await member.press(shown, button(shown, "Digest 19:00"))
        [answer] = await _answers(emulator, 1)
        assert answer.text == "Only the group's admins can change this."
        assert _choices(await _chat(bot, -7501)) == {}
        await admin.send("/settings quiet 22:00 07:00", chat_id=-7501)
        await emulator.wait_for_sent(-7501, count=5, timeout=10)
        assert _choices(await _chat(bot, -7501)) == {"quiet_hours": ["22:00", "07:00"]}


async def test_interface_language_is_chosen_in_settings(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A Ukrainian user's /settings is Ukrainian; the English button switches the bot's
    language and the edited settings (and the toast) are already English; the text form
    switches back. The explainers' (content) language is a separate setting, untouched."""
    async with running_bot() as bot:
        reader = emulator.user(75, language_code="uk")
        await reader.send("/settings")
        [shown] = await emulator.wait_for_sent(75, count=1, timeout=10)
        assert shown["text"].startswith("Налаштування\n")
        assert "Надсилання: одразу" in shown["text"]
        assert "Мова бота (Language / Мова): Українська" in shown["text"]
        assert "Мова пояснень: Мова оригіналу" in shown["text"]
        assert button(shown, "✅ Українська")
        await reader.press(shown, button(shown, "English"))
        await emulator.wait_for_calls("editMessageText", count=1, timeout=10)
        assert (await _answers(emulator, 1))[-1].text == "Saved."
        edited = _current(emulator, shown)
        assert edited["text"].startswith("Settings (saved)\n")
        assert "Bot's language (Language / Мова): English" in edited["text"]
        assert button(edited, "✅ English")
        chat = await _chat(bot, 75)
        assert chat.settings["interface_language"] == "en"
        assert chat.language is None
        await reader.send("/settings instant")
        reply = (await emulator.wait_for_sent(75, count=2, timeout=10))[-1]
        assert "Delivery: instant" in reply["text"]
        await reader.send("/settings language uk")
        reply = (await emulator.wait_for_sent(75, count=3, timeout=10))[-1]
        assert reply["text"].startswith("Налаштування (збережено)\n")
        assert "Мова бота (Language / Мова): Українська" in reply["text"]
        await reader.send("/settings language fr")
        reply = (await emulator.wait_for_sent(75, count=4, timeout=10))[-1]
        assert "Бот розмовляє мовами en або uk" in reply["text"]
        assert "Нічого не змінено." in reply["text"]
        await reader.send("/settings content en")
        reply = (await emulator.wait_for_sent(75, count=5, timeout=10))[-1]
        assert "Мова пояснень: Англійська" in reply["text"]
        chat = await _chat(bot, 75)
        assert (chat.settings["interface_language"], chat.language) == ("uk", "en")


async def test_group_language_is_for_admins_and_switches_the_group(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """In a group, a member's press of a language button is refused; an admin's switches the
    group's language (the reply is in it)."""
    async with running_bot() as bot:
        group = emulator.group(-7502, "Клуб", bot_status="member")
        admin, member = emulator.user(83, language_code="uk"), emulator.user(84)
        group.set_member(admin, "administrator")
        group.set_member(member, "member")
        await admin.send("/settings", chat_id=-7502)
        [shown] = await emulator.wait_for_sent(-7502, count=1, timeout=10)
        assert shown["text"].startswith("Налаштування\n")
        await member.press(shown, button(shown, "English"))
        [answer] = await _answers(emulator, 1)
        assert answer.text is not None
        assert (await _chat(bot, -7502)).settings.get("interface_language") != "en"
        await admin.send("/settings language en", chat_id=-7502)
        reply = (await emulator.wait_for_sent(-7502, count=2, timeout=10))[-1]
        assert reply["text"].startswith("Settings (saved)\n")
        assert (await _chat(bot, -7502)).settings.get("interface_language") == "en"
