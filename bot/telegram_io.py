"""Sending rendered messages through PTB: the one place that turns
:class:`bot.render.OutgoingMessage` into Bot API calls."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBUserWarning

from bot.render import Button, OutgoingMessage
from bot.services.outbox import SendOutcome
from bot.transport import AiohttpRequest


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Build PTB's inline keyboard from rendered buttons (None when there are none)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.text, url=b.url)
                if b.url
                else InlineKeyboardButton(b.text, callback_data=b.callback_data)
                for b in row
            ]
            for row in rows
        ]
    )


async def edit_keyboard(query: CallbackQuery, rows: tuple[tuple[Button, ...], ...]) -> None:
    """Replace the pressed message's keyboard; an unchanged keyboard is not an error."""
    try:
        await query.edit_message_reply_markup(keyboard(rows))
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def edit_rendered(query: CallbackQuery, message: OutgoingMessage) -> None:
    """Replace the pressed message's text and keyboard; an unchanged one is not an error."""
    try:
        await query.edit_message_text(
            message.text or "", parse_mode=ParseMode.HTML, reply_markup=keyboard(message.buttons),
            link_preview_options=LinkPreviewOptions(is_disabled=True)
            if message.disable_preview else None,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def send_rendered(
    bot: Bot,
    chat_id: int,
    message: OutgoingMessage,
    *,
    thread_id: int | None = None,
    reply_to: int | None = None,
    silent: bool = False,
    paid: bool = False,
) -> Message:
    """Send one rendered message; a rejected photo falls back to its text version.
    ``silent`` sends without a notification sound; ``paid`` with ``allow_paid_broadcast``."""
    markup = keyboard(message.buttons)
    options: dict[str, Any] = {}
    if silent:
        options["disable_notification"] = True
    if paid:
        options["allow_paid_broadcast"] = True
    if message.method == "sendPhoto" and message.photo:
        try:
            return await bot.send_photo(
                chat_id, message.photo, caption=message.caption, parse_mode=ParseMode.HTML,
                reply_markup=markup, message_thread_id=thread_id,
                reply_to_message_id=reply_to, **options,
            )
        except BadRequest as exc:
            if message.fallback is None or "parse entities" in str(exc):
                raise
            message = message.fallback
            markup = keyboard(message.buttons)
    return await bot.send_message(
        chat_id,
        message.text or "",
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        message_thread_id=thread_id,
        reply_to_message_id=reply_to,
        link_preview_options=LinkPreviewOptions(is_disabled=True) if message.disable_preview
        else None,
        **options,
    )


async def send_all(
    bot: Bot, chat_id: int, messages: list[OutgoingMessage], *, thread_id: int | None = None,
    reply_to: int | None = None,
) -> list[Message]:
    """Send several rendered parts in order."""
    sent = []
    for index, part in enumerate(messages):
        sent.append(await send_rendered(bot, chat_id, part, thread_id=thread_id,
                                        reply_to=reply_to if index == 0 else None))
    return sent


class PtbSender:
    """The delivery service's :class:`~bot.services.outbox.MessageSender` over PTB."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        # do_api_request for sendMessage/sendPhoto (another transport than ours) is
        # deliberate (see send): not a warning.
        warnings.filterwarnings("ignore", message=r"Please use 'Bot\.send(Message|Photo)'",
                                category=PTBUserWarning)

    async def send(
        self, chat_id: int, message: OutgoingMessage, thread_id: int | None, *,
        silent: bool = False, paid: bool = False,
    ) -> SendOutcome:
        """Send one message; translate Telegram's answer into an outcome (never raises).

        The outbox's hot path: the rendered parameters go as one JSON body straight through
        our aiohttp transport, and the answer is read for its message id or mapped to the
        error PTB would raise — skipping PTB's Message, keyboard and request objects, which
        cost about half of a send's CPU (docs/performance.md)."""
        try:
            message_id = await self._post(chat_id, message, thread_id, silent, paid)
            if message_id is None and message.fallback is not None:  # photo refused
                message_id = await self._post(chat_id, message.fallback, thread_id, silent,
                                              paid)
        except RetryAfter as exc:
            seconds = exc.retry_after
            delay = seconds.total_seconds() if hasattr(seconds, "total_seconds") else seconds
            return SendOutcome("retry", retry_after=float(delay), error=str(exc))
        except ChatMigrated as exc:
            return SendOutcome("migrated", new_chat_id=exc.new_chat_id, error=str(exc))
        except Forbidden as exc:
            text = str(exc).lower()
            if "not a member of the channel" in text:
                return SendOutcome("paused", paused="channel_left", error=str(exc))
            return SendOutcome("blocked", error=str(exc))
        except BadRequest as exc:
            return _bad_request(exc)
        except TimedOut as exc:  # the request may have been carried out
            return SendOutcome("retry", error=str(exc), unknown=True)
        except NetworkError as exc:
            unknown = "disconnected" in str(exc).lower() or "reset" in str(exc).lower()
            return SendOutcome("retry", error=str(exc), unknown=unknown)
        except TelegramError as exc:
            return SendOutcome("failed", error=str(exc))
        if message_id is None:
            return SendOutcome("failed", error="Telegram answered without a message")
        return SendOutcome("sent", message_id=message_id)

    async def _post(
        self, chat_id: int, message: OutgoingMessage, thread_id: int | None, silent: bool,
        paid: bool,
    ) -> int | None:
        """One send; the message id, or None when a photo was refused and has a fallback."""
        params = {**_base_params(message), "chat_id": chat_id}
        if thread_id:
            params["message_thread_id"] = thread_id
        if silent:
            params["disable_notification"] = True
        if paid:
            params["allow_paid_broadcast"] = True
        try:
            request = self._bot.request
            if isinstance(request, AiohttpRequest):  # ours: one JSON body, one JSON answer
                status, body = await request.post_json(
                    f"{self._bot.base_url}/{message.method}", json.dumps(params).encode())
                result = _result(status, body)
            else:
                result = await self._bot.do_api_request(message.method, api_kwargs=params)
        except BadRequest as exc:
            if (message.method == "sendPhoto" and message.fallback is not None
                    and "parse entities" not in str(exc)):
                return None
            raise
        return int(result["message_id"]) if isinstance(result, dict) else None


def _result(status: int, body: bytes) -> Any:
    """The ``result`` of a Bot API answer, or the error PTB itself would raise for it (the
    order PTB uses: parameters first, then the status)."""
    try:
        answer = json.loads(body)
    except ValueError:
        raise NetworkError(f"unreadable Bot API answer (HTTP {status})") from None
    if answer.get("ok"):
        return answer.get("result")
    description = str(answer.get("description") or f"HTTP {status}")
    parameters = answer.get("parameters") or {}
    if "migrate_to_chat_id" in parameters:
        raise ChatMigrated(int(parameters["migrate_to_chat_id"]))
    if "retry_after" in parameters:
        raise RetryAfter(int(parameters["retry_after"]))
    if status == 403:
        raise Forbidden(description)
    if status == 400:
        raise BadRequest(description)
    if status in (401, 404):
        raise InvalidToken(description)
    if status == 409:
        raise Conflict(description)
    raise NetworkError(f"{description} ({status})")


def _base_params(message: OutgoingMessage) -> dict[str, Any]:
    """A rendered message's Bot API parameters (one push renders a message once and sends it
    to thousands of chats: computed once). Callers copy before adding to them."""
    params: dict[str, Any] = _cached_params(message)
    return params


_cached_params: Callable[[OutgoingMessage], dict[str, Any]] = lru_cache(maxsize=256)(
    OutgoingMessage.api_params)


def _bad_request(exc: BadRequest) -> SendOutcome:
    text = str(exc).lower()
    if "chat not found" in text:
        return SendOutcome("blocked", error=str(exc))
    if "topic_closed" in text or "topic closed" in text:
        return SendOutcome("paused", paused="thread_closed", error=str(exc))
    if "thread not found" in text or "topic_deleted" in text:
        return SendOutcome("paused", paused="thread_gone", error=str(exc))
    if "administrator rights" in text or "chat_write_forbidden" in text or (
        "not enough rights" in text
    ):
        return SendOutcome("paused", paused="channel_rights", error=str(exc))
    return SendOutcome("failed", error=str(exc))
