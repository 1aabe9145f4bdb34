"""Telegram objects → plain values, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Bot, Chat, Message, Update, User

from bot.mapping import chat_info, incoming_message, user_info

BOT = User(id=777, first_name="Newsbot", is_bot=True)
READER = User(id=5, first_name="Olena", is_bot=False, username="olena", language_code="uk")
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def _message(chat: Chat, text: str, reply_to: Message | None = None) -> Message:
    message = Message(message_id=10, date=NOW, chat=chat, from_user=READER, text=text,
                      reply_to_message=reply_to)
    message.set_bot(Bot("777:TOKEN-for-mapping-tests"))
    message._bot._bot_user = BOT  # type: ignore[union-attr]
    return message


def test_chat_types_and_titles() -> None:
    """Private chats take the user's name as title; groups keep theirs; unknown → private."""
    assert chat_info(Chat(1, "private", first_name="Olena", last_name="K")).title == "Olena K"
    group = chat_info(Chat(-5, "supergroup", title="Readers", is_forum=True))
    assert (group.type, group.title, group.is_forum) == ("supergroup", "Readers", True)
    assert chat_info(Chat(2, "sender")).type == "private"


def test_user_display_name_falls_back() -> None:
    """A user without a first name is shown by @username, else by id."""
    assert user_info(READER).display_name == "Olena"
    assert user_info(User(9, "", False, username="kat")).display_name == "@kat"
    assert user_info(User(9, "", False)).display_name == "9"


def test_incoming_reply_to_bot_message() -> None:
    """A reply to one of the bot's messages is marked as such, with the replied id."""
    chat = Chat(5, "private", first_name="Olena")
    explainer = Message(message_id=3, date=NOW, chat=chat, from_user=BOT, text="explainer")
    update = Update(1, message=_message(chat, "my comment", reply_to=explainer))
    incoming = incoming_message(update)
    assert incoming is not None
    assert (incoming.text, incoming.reply_to_message_id, incoming.reply_to_bot) == (
        "my comment", 3, True)
    assert incoming.user is not None
    assert incoming.user.language_code == "uk"


def test_incoming_reply_to_someone_else() -> None:
    """A reply to another member's message is not a reply to the bot."""
    chat = Chat(-7, "group", title="Club")
    other = Message(message_id=4, date=NOW, chat=chat, from_user=READER, text="hi")
    incoming = incoming_message(Update(2, message=_message(chat, "hello", reply_to=other)))
    assert incoming is not None
    assert incoming.reply_to_bot is False


def test_update_without_message_maps_to_none() -> None:
    """An update with no message (e.g. a poll) gives None."""
    assert incoming_message(Update(3)) is None
