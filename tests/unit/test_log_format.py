"""Log formats: text with the update suffix, JSON lines, both masked; update labelling."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from telegram import CallbackQuery, Chat, Message, Update, User

from bot.log import (
    JsonFormatter,
    TextFormatter,
    UpdateContextFilter,
    install_masking,
    register_secret,
    update_context,
)
from bot.updates import update_command, update_kind

TOKEN = "7654321:AAFakeSecretTokenValue_json_987654"


def _record(message: str, *, exc: bool = False) -> logging.LogRecord:
    """A record made the way a logger makes it (through the masking factory)."""
    install_masking()
    exc_info = None
    if exc:
        try:
            raise RuntimeError(f"failed at /bot{TOKEN}/getMe")
        except RuntimeError as error:
            exc_info = (type(error), error, error.__traceback__)
    record = logging.getLogRecordFactory()(
        "bot.test", logging.ERROR, __file__, 1, message, (), exc_info
    )
    assert UpdateContextFilter().filter(record)
    return record


def test_json_line_has_fields_update_context_and_masked_traceback() -> None:
    """One JSON object: UTC time, level, logger, message, update/chat ids, masked exception."""
    register_secret(TOKEN)
    with update_context(123, -1001):
        record = _record(f"calling /bot{TOKEN}/getMe\nsecond line", exc=True)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "bot.test"
    assert datetime.fromisoformat(entry["time"]).utcoffset() == UTC.utcoffset(None)
    assert entry["message"].endswith("second line")
    assert (entry["update_id"], entry["chat_id"]) == (123, -1001)
    assert "RuntimeError" in entry["exception"]
    assert TOKEN not in line
    assert TOKEN.split(":")[1] not in line


def test_text_line_appends_update_context_only_inside_an_update() -> None:
    """Text lines end with [update=… chat=…] while an update is handled, and not otherwise."""
    with update_context(42, 7):
        inside = TextFormatter().format(_record("handled"))
    outside = TextFormatter().format(_record("idle"))
    assert inside.endswith("bot.test: handled [update=42 chat=7]")
    assert outside.endswith("bot.test: idle")


def test_json_without_update_has_no_ids() -> None:
    """Outside an update no update_id or chat_id key is written."""
    entry = json.loads(JsonFormatter().format(_record("idle")))
    assert "update_id" not in entry
    assert "chat_id" not in entry
    assert "exception" not in entry


def _message_update(text: str) -> Update:
    chat = Chat(5, "private")
    user = User(5, "Reader", False)
    message = Message(1, datetime.now(UTC), chat, from_user=user, text=text)
    return Update(10, message=message)


@pytest.mark.parametrize(
    ("text", "command"),
    [("/start", "start"), ("/latest@newsbot_bot", "latest"), ("/topic war in ukraine", "topic"),
     ("/nonsense", "unknown"), ("/", "unknown"), ("hello", None)],
)
def test_commands_labelled_within_a_known_set(text: str, command: str | None) -> None:
    """Known commands keep their name; anything else typed cannot grow the label set."""
    update = _message_update(text)
    assert update_kind(update) == "message"
    assert update_command(update, {"start", "latest", "topic"}, {"topic"}) == command


@pytest.mark.parametrize(
    ("data", "label"),
    [("topic:russia", "button:topic"), ("forged:1", "button:unknown"), (None, "button:unknown")],
)
def test_button_presses_labelled_by_kind(data: str | None, label: str) -> None:
    """A button press is labelled by its callback data's kind, never its payload."""
    query = CallbackQuery("q1", User(5, "Reader", False), "instance", data=data)
    update = Update(11, callback_query=query)
    assert update_kind(update) == "callback_query"
    assert update_command(update, {"start"}, {"topic", "comments"}) == label
