"""Inline keyboards and callback queries: `reply_markup` validation and answerCallbackQuery.

A button URL must be ``http(s)``, ``tg`` or ``ton``, or scheme-less like ``t.me/x``.
"""

from __future__ import annotations

import re
from typing import Any

from bot.emulator.api.base import MethodFamily
from bot.emulator.api.params import JSON, Params, bad_request
from bot.emulator.records import CallbackAnswer

__all__ = ["CALLBACK_DATA_LIMIT", "CallbackMethods", "reply_markup"]

CALLBACK_DATA_LIMIT = 64

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


class CallbackMethods(MethodFamily):
    """answerCallbackQuery."""

    METHODS = ("answerCallbackQuery",)

    async def answer_callback_query(self, p: Params) -> Any:
        query_id = p.get_str("callback_query_id", required=True)
        assert query_id is not None
        record = self.state.callback_queries.get(query_id)
        if record is None or record.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = p.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answered = True
        self.state.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=text,
                show_alert=p.get_bool("show_alert"),
                url=p.get_str("url"),
                cache_time=p.get_int("cache_time") or 0,
            )
        )
        return True


def reply_markup(p: Params) -> JSON | None:
    """Validate the reply_markup; return the inline keyboard to show on the message, or None."""
    raw = p.get_json("reply_markup")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in raw:
        if any(key in raw for key in ("keyboard", "remove_keyboard", "force_reply")):
            return None  # accepted; reply keyboards do not appear on the Message object
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = raw["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    keyboard: list[list[JSON]] = []
    for row in rows:
        buttons = [_checked_button(button) for button in row]
        if buttons:
            keyboard.append(buttons)
    if not keyboard:
        return None
    return {"inline_keyboard": keyboard}


def _checked_button(button: Any) -> JSON:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button JSON object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [key for key in _BUTTON_ACTIONS if button.get(key) is not None]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if data is not None and (
        not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and (not isinstance(url, str) or not _valid_button_url(url)):
        raise bad_request("BUTTON_URL_INVALID")
    return {k: v for k, v in button.items() if v is not None}


def _valid_button_url(url: str) -> bool:
    if not url or any(ch.isspace() for ch in url):
        return False
    scheme = _URL_SCHEME.match(url)
    if scheme is None or "." in scheme.group(1):
        return "." in url.split("/", 1)[0]
    return scheme.group(1).lower() in ("http", "https", "tg", "ton") and len(url) > len(
        scheme.group(0)
    )
