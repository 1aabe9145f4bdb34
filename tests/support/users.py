"""What readers do in Telegram, against the Bot API emulator: follow topics, find buttons,
read formatted text."""

from __future__ import annotations

from typing import Any

from bot.emulator import BotAPIEmulator


def button(message: dict[str, Any], label: str) -> str:
    """The callback_data of the button whose text contains ``label``."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            if label in b["text"]:
                return str(b["callback_data"])
    raise AssertionError(f"no button {label!r} in {message['reply_markup']}")


def entity_texts(message: dict[str, Any], kind: str) -> list[str]:
    """The substrings covered by entities of ``kind`` (UTF-16 offsets)."""
    text = message.get("text") or message.get("caption") or ""
    raw = text.encode("utf-16-le")
    return [raw[e["offset"] * 2:(e["offset"] + e["length"]) * 2].decode("utf-16-le")
            for e in message.get("entities") or message.get("caption_entities") or []
            if e["type"] == kind]


async def subscribe(
    emulator: BotAPIEmulator, user_id: int, *labels: str, language_code: str = "en"
) -> None:
    """/start as a user whose Telegram language is ``language_code``, then tap each topic;
    wait until the picker is edited each time."""
    reader = emulator.user(user_id, language_code=language_code)
    await reader.send("/start")
    sent = await emulator.wait_for_sent(user_id, count=1, timeout=10)
    welcome = sent[-1]
    edits = len(emulator.calls("editMessageReplyMarkup"))
    for number, label in enumerate(labels, 1):
        current = next(m for m in emulator.sent(user_id) if m["message_id"] ==
                       welcome["message_id"])
        await reader.press(current, button(current, label))
        await emulator.wait_for_calls("editMessageReplyMarkup", count=edits + number,
                                      timeout=10)


async def follow_after_first_poll(
    bot: Any, emulator: BotAPIEmulator, label: str, *user_ids: int
) -> None:
    """The bot polls its feeds once (a baseline, pushed to nobody); then each reader follows
    the topic ``label``."""
    await bot.poll_all_feeds()
    for user_id in user_ids:
        await subscribe(emulator, user_id, label)
