"""`BotAPIEmulator`: an aiohttp server that speaks the Telegram Bot API over HTTP.

Point python-telegram-bot at it with ``base_url=emu.base_url``; act as users and chats with
`BotAPIEmulator.user`, `.group` and `.channel`; inspect what the bot did with `.sent`,
`.sent_messages` (compact, across all chats), `.sent_by_destination`, `.wait_for_sent`,
`.requests` and `.callback_answers`; break things with `.faults`.

Routes: ``/bot{token}/{method}`` (`bot.emulator.endpoint`) and, for the standalone runner, a
small control API under ``/_emulator/`` (`bot.emulator.control`). Every accepted token
authenticates the same emulated bot, whose id is the number before ``:`` in the first token.
After setWebhook, updates are POSTed to the bot (`bot.emulator.webhook`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from aiohttp import web

from bot.emulator.api import BotApi
from bot.emulator.client import ChatHandle, UserHandle
from bot.emulator.control import add_control_routes
from bot.emulator.endpoint import BotEndpoint, RecordedRequest
from bot.emulator.faults import Faults
from bot.emulator.state import CallbackAnswer, EmulatorState, SentMessage, Signal, StoredFile
from bot.emulator.webhook import SECRET_TOKEN_HEADER, WebhookSender

__all__ = ["SECRET_TOKEN_HEADER", "BotAPIEmulator", "RecordedRequest"]

JSON = dict[str, Any]
_Found = TypeVar("_Found")


def _bot_id(tokens: list[str]) -> int:
    prefix = tokens[0].split(":", 1)[0] if tokens else ""
    return int(prefix) if prefix.isdigit() else 123456


class BotAPIEmulator:
    """An emulated Telegram Bot API server for one bot, with users, chats and faults."""

    def __init__(
        self,
        tokens: Iterable[str] = ("123456:TEST-TOKEN",),
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "newsbot_demo_bot",
        *,
        bot_first_name: str = "Newsbot Demo",
        auto_create_chats: bool = False,
        webhook_max_attempts: int = 8,
        webhook_timeout: float = 5.0,
    ) -> None:
        self.tokens = list(tokens)
        if not self.tokens:
            raise ValueError("at least one token is needed")
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        bot_user: JSON = {
            "id": _bot_id(self.tokens),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.state = EmulatorState(bot_user, auto_create_chats=auto_create_chats)
        self.faults = Faults()
        self.api = BotApi(self.state, self.faults)
        self.requests: list[RecordedRequest] = []
        self._webhook = WebhookSender(
            self.state,
            self._sleep,
            max_attempts=webhook_max_attempts,
            timeout=webhook_timeout,
        )
        self._endpoint = BotEndpoint(
            self.tokens, self.api, self.faults, record=self._record, sleep=self._sleep
        )
        self._runner: web.AppRunner | None = None
        self._stop_event: asyncio.Event | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving (on a free port if `port` was 0)."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        self.state.stopping = False
        self._stop_event = asyncio.Event()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._endpoint.handle_bot)
        add_control_routes(app.router, self)
        app.router.add_route("*", "/{tail:.*}", self._endpoint.handle_unknown)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._webhook.start()

    async def stop(self) -> None:
        """Stop serving; pending long polls return at once with what they have."""
        self.state.stopping = True
        self.state.updates_signal.fire()
        if self._stop_event is not None:
            self._stop_event.set()
        await self._webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotAPIEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port being served."""
        if self._port is None:
            raise RuntimeError("the emulator is not running; await emu.start() first")
        return self._port

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:8081``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """PTB's ``base_url``: ``http://127.0.0.1:PORT/bot`` (the token and method follow)."""
        return f"{self.url}/bot"

    @property
    def bot(self) -> JSON:
        """The bot's User dict."""
        return copy.deepcopy(self.state.bot_user)

    @property
    def webhook_deliveries(self) -> list[JSON]:
        """The updates POSTed to the webhook and accepted by it, in order."""
        return self._webhook.delivered

    @property
    def webhook_dropped(self) -> list[JSON]:
        """The updates given up on after ``webhook_max_attempts`` failed deliveries."""
        return self._webhook.dropped

    # -- client side -------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Reader",
        username: str | None = None,
        language_code: str = "en",
        *,
        last_name: str | None = None,
    ) -> UserHandle:
        """Create a user and their private chat with the bot (chat id == user id)."""
        user = self.state.add_user(user_id, first_name, username, language_code, last_name)
        return UserHandle(self.state, self.faults, user)

    def group(
        self,
        chat_id: int,
        title: str,
        type: str = "supergroup",
        is_forum: bool = False,
        *,
        username: str | None = None,
        bot_status: str = "left",
    ) -> ChatHandle:
        """Create a group or supergroup (negative id). The bot is not in it until
        ``await group.add_bot(by=user)`` unless `bot_status` says otherwise."""
        self.state.add_chat(
            chat_id, title, type, is_forum=is_forum, username=username, bot_status=bot_status
        )
        return ChatHandle(self.state, self.faults, chat_id)

    def channel(
        self, chat_id: int, title: str, username: str | None = None, *, bot_status: str = "left"
    ) -> ChatHandle:
        """Create a channel (negative id); ``await channel.add_bot(by=user)`` makes the bot an
        administrator."""
        self.state.add_chat(chat_id, title, "channel", username=username, bot_status=bot_status)
        return ChatHandle(self.state, self.faults, chat_id)

    def chat(self, chat_id: int) -> ChatHandle:
        """A handle for an existing group, supergroup or channel."""
        chat = self.state.chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise KeyError(f"no group or channel {chat_id}")
        return ChatHandle(self.state, self.faults, chat_id)

    # -- inspection --------------------------------------------------------------------------

    def sent(self, chat_id: int, *, include_deleted: bool = False) -> list[JSON]:
        """The bot's messages in `chat_id`, oldest first, as they are now (edits applied).

        Deleted messages are left out unless `include_deleted`.
        """
        return self.state.bot_messages(chat_id, include_deleted=include_deleted)

    def sent_messages(
        self, chat_id: int | None = None, *, include_deleted: bool = False
    ) -> list[SentMessage]:
        """The bot's messages as compact `SentMessage` tuples — ``(chat_id, thread_id, text,
        disable_notification, message_id, paid_broadcast, deleted)`` — in send order, in
        `chat_id` or in every chat. Text (or caption) is current; `thread_id` is None outside
        threads and in a forum's General topic. Deleted ones are left out unless
        `include_deleted`.
        """
        return self.state.sent_messages(chat_id, include_deleted=include_deleted)

    def sent_by_destination(
        self, *, include_deleted: bool = False
    ) -> dict[tuple[int, int | None], list[SentMessage]]:
        """`sent_messages` grouped by ``(chat_id, thread_id)``, each list in send order."""
        grouped: dict[tuple[int, int | None], list[SentMessage]] = {}
        for message in self.sent_messages(include_deleted=include_deleted):
            grouped.setdefault((message.chat_id, message.thread_id), []).append(message)
        return grouped

    def history(self, chat_id: int) -> list[JSON]:
        """Every live message in `chat_id` (users' and the bot's), oldest first."""
        chat = self.state.chats.get(chat_id)
        if chat is None:
            return []
        return [copy.deepcopy(m.data) for m in chat.messages.values() if not m.deleted]

    async def wait_for_sent(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[JSON]:
        """Wait until the bot has at least `count` live messages in `chat_id`; return them all.

        Raises TimeoutError listing what was sent there and the recent failed calls for it.
        """
        return await self._wait_for(
            lambda: self.sent(chat_id),
            count,
            timeout,
            self.state.messages_signal,
            lambda messages: self._wait_failure(chat_id, count, timeout, messages),
        )

    async def _wait_for(
        self,
        probe: Callable[[], list[_Found]],
        count: int,
        timeout: float,
        signal: Signal,
        failure: Callable[[list[_Found]], str],
    ) -> list[_Found]:
        """Re-run `probe` at each `signal` until it finds `count` items or `timeout` passes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = probe()
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(failure(found))
            await signal.wait(remaining)

    def _wait_failure(self, chat_id: int, count: int, timeout: float, messages: list[JSON]) -> str:
        shown = [
            m.get("text") or m.get("caption") or ("<photo>" if "photo" in m else "<message>")
            for m in messages
        ]
        failures = [
            f"{r.method} → {r.error_code} {r.description}" if r.delivered else f"{r.method} → drop"
            for r in self.requests
            if (not r.ok or not r.delivered) and str(r.params.get("chat_id")) == str(chat_id)
        ][-5:]
        text = (
            f"expected at least {count} bot message(s) in chat {chat_id} within {timeout}s, "
            f"found {len(messages)}: {shown!r}"
        )
        if failures:
            text += f"; recent failed calls for this chat: {failures!r}"
        return text

    def calls(self, method: str) -> list[RecordedRequest]:
        """The recorded calls of `method` (case-insensitive)."""
        wanted = method.lower()
        return [r for r in self.requests if r.method.lower() == wanted]

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[RecordedRequest]:
        """Wait until `method` has been called at least `count` times; return those calls."""

        def failure(found: list[RecordedRequest]) -> str:
            seen = sorted({r.method for r in self.requests})
            return (
                f"expected {count} call(s) of {method} within {timeout}s, got {len(found)}; "
                f"methods called: {seen}"
            )

        return await self._wait_for(
            lambda: self.calls(method), count, timeout, self.state.requests_signal, failure
        )

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self.requests.clear()

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """Every answerCallbackQuery call, in order."""
        return self.state.callback_answers

    @property
    def pending_updates(self) -> list[JSON]:
        """Copies of the updates queued and not yet confirmed (or delivered to the webhook)."""
        return copy.deepcopy(self.state.updates)

    def file(self, file_id: str) -> StoredFile:
        """A file the bot sent, by any of its file ids."""
        return self.state.files[file_id]

    def _record(self, record: RecordedRequest) -> None:
        self.requests.append(record)
        self.state.requests_signal.fire()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up at once when the emulator stops."""
        if self._stop_event is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), seconds)
