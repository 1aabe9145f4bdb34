"""`BotAPIEmulator`: an aiohttp server that speaks the Telegram Bot API over HTTP.

Point python-telegram-bot at it with ``base_url=emu.base_url``; act as users and chats with
`BotAPIEmulator.user`, `.group` and `.channel`; inspect what the bot did with `.sent`,
`.wait_for_sent`, `.requests` and `.callback_answers`; break things with `.faults`.

Routes: ``/bot{token}/{method}`` (GET or POST; query string, JSON, form or multipart bodies;
method names case-insensitive) and, for the standalone runner, a small control API under
``/_emulator/`` (see `bot.emulator.__main__`). Every accepted token authenticates the same
emulated bot, whose id is the number before ``:`` in the first token.

Webhooks: after setWebhook, a background task POSTs each pending update (oldest first, one at
a time) to the URL with ``X-Telegram-Bot-Api-Secret-Token`` when a secret was set. A non-2xx
answer or a connection error is retried with backoff (0.1 s, 0.2 s, 0.4 s … capped at 2 s);
after ``webhook_max_attempts`` failures the update is dropped and recorded in
`BotAPIEmulator.webhook_dropped`. Unlike Telegram, plain ``http://`` URLs are accepted, and a
method call in the webhook's answer is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from bot.emulator.api import ApiError, BotApi, UploadedFile, normalize_params
from bot.emulator.client import ChatHandle, UserHandle
from bot.emulator.faults import Faults
from bot.emulator.state import CallbackAnswer, EmulatorState, StoredFile, now

__all__ = ["SECRET_TOKEN_HEADER", "BotAPIEmulator", "RecordedRequest"]

JSON = dict[str, Any]

SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


@dataclass(frozen=True)
class RecordedRequest:
    """One Bot API call as the emulator saw it.

    `params` are decoded (ints, booleans and JSON fields parsed; uploads as `UploadedFile`);
    `response` is the JSON body that was (or, if not `delivered`, would have been) sent; it is
    empty for a connection dropped before processing.
    """

    method: str
    params: JSON
    response: JSON
    delivered: bool = True

    @property
    def ok(self) -> bool:
        """Whether Telegram would have said ``"ok": true``."""
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call (None otherwise)."""
        return self.response.get("result")

    @property
    def error_code(self) -> int | None:
        """The ``error_code`` of a failed call."""
        code = self.response.get("error_code")
        return int(code) if code is not None else None

    @property
    def description(self) -> str | None:
        """The ``description`` of a failed call."""
        text = self.response.get("description")
        return str(text) if text is not None else None


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
        self.webhook_deliveries: list[JSON] = []
        self.webhook_dropped: list[JSON] = []
        self._webhook_max_attempts = max(1, webhook_max_attempts)
        self._webhook_timeout = webhook_timeout
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None
        self._stop_event: asyncio.Event | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving (on a free port if `port` was 0)."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        self.state.stopping = False
        self._stop_event = asyncio.Event()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot)
        app.router.add_post("/_emulator/users/{user_id}/send", self._control_send)
        app.router.add_post("/_emulator/users/{user_id}/press", self._control_press)
        app.router.add_get("/_emulator/chats/{chat_id}/sent", self._control_sent)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
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
        self._session = aiohttp.ClientSession()
        self._worker = asyncio.create_task(self._webhook_worker(), name="emulator-webhook")

    async def stop(self) -> None:
        """Stop serving; pending long polls return at once with what they have."""
        self.state.stopping = True
        self.state.updates_signal.fire()
        if self._stop_event is not None:
            self._stop_event.set()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotAPIEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
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
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            messages = self.sent(chat_id)
            if len(messages) >= count:
                return messages
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._wait_failure(chat_id, count, timeout, messages))
            await self.state.messages_signal.wait(remaining)

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
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self.calls(method)
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = sorted({r.method for r in self.requests})
                raise TimeoutError(
                    f"expected {count} call(s) of {method} within {timeout}s, got {len(found)}; "
                    f"methods called: {seen}"
                )
            await self.state.requests_signal.wait(remaining)

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

    # -- HTTP: Bot API -----------------------------------------------------------------------

    async def _handle_unknown(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(ApiError(404, "Not Found").to_json(), status=404)

    async def _handle_bot(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        method = request.match_info["method"]
        if token not in self.tokens:
            return self._answer(method, {}, ApiError(401, "Unauthorized").to_json())
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            return self._answer(method, {}, exc.to_json())
        canonical = self.api.canonical_name(method)
        if canonical is None:
            return self._answer(method, params, ApiError(404, "Not Found").to_json())
        decision = self.faults.decide(canonical)
        if decision.delay:
            await self._sleep(decision.delay)
        if decision.drop and not decision.drop_after_processing:
            return self._drop(request, canonical, params, {})
        if decision.server_error is not None:
            phrase = "Internal Server Error" if decision.server_error == 500 else "Bad Gateway"
            error = ApiError(decision.server_error, phrase)
            return self._answer(canonical, params, error.to_json())
        try:
            body: JSON = {"ok": True, "result": await self.api.call(canonical, params)}
        except ApiError as exc:
            body = exc.to_json()
        if decision.drop:
            return self._drop(request, canonical, params, body)
        return self._answer(canonical, params, body)

    def _record(self, record: RecordedRequest) -> None:
        self.requests.append(record)
        self.state.requests_signal.fire()

    def _answer(self, method: str, params: JSON, body: JSON) -> web.Response:
        self._record(RecordedRequest(method, params, body))
        status = 200 if body.get("ok") else int(body.get("error_code", 500))
        return web.json_response(body, status=status)

    def _drop(self, request: web.Request, method: str, params: JSON, body: JSON) -> web.Response:
        self._record(RecordedRequest(method, params, body, delivered=False))
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)

    async def _read_params(self, request: web.Request) -> JSON:
        raw: JSON = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise ApiError(400, "Bad Request: can't parse JSON body") from None
                if not isinstance(body, dict):
                    raise ApiError(400, "Bad Request: request body must be a JSON object")
                raw.update(body)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[key] = UploadedFile(
                            value.filename, value.content_type, value.file.read()
                        )
                    else:
                        raw[key] = value
        return normalize_params(raw)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up at once when the emulator stops."""
        if self._stop_event is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), seconds)

    # -- HTTP: control API for the standalone runner -----------------------------------------

    async def _control_json(self, request: web.Request) -> JSON:
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="expected a JSON object") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="expected a JSON object")
        return body

    async def _control_send(self, request: web.Request) -> web.StreamResponse:
        body = await self._control_json(request)
        user_id = int(request.match_info["user_id"])
        if user_id in self.state.users and "first_name" not in body:
            user = UserHandle(self.state, self.faults, self.state.users[user_id])
        else:
            user = self.user(
                user_id,
                str(body.get("first_name", "Reader")),
                body.get("username"),
                str(body.get("language_code", "en")),
            )
        try:
            message = await user.send(str(body.get("text", "")), chat_id=body.get("chat_id"))
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response(message)

    async def _control_press(self, request: web.Request) -> web.StreamResponse:
        body = await self._control_json(request)
        user_id = int(request.match_info["user_id"])
        if user_id not in self.state.users:
            raise web.HTTPNotFound(text=f"no user {user_id}")
        user = UserHandle(self.state, self.faults, self.state.users[user_id])
        chat_id = int(body.get("chat_id", user_id))
        message = {"chat": {"id": chat_id}, "message_id": int(body["message_id"])}
        try:
            query = await user.press(message, str(body["callback_data"]))
        except (ValueError, KeyError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response(query)

    async def _control_sent(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.sent(int(request.match_info["chat_id"])))

    # -- webhook delivery --------------------------------------------------------------------

    async def _webhook_worker(self) -> None:
        attempts = 0
        while not self.state.stopping:
            hook = self.state.webhook
            if hook is None or not self.state.updates:
                await self.state.updates_signal.wait(1.0)
                continue
            update = self.state.updates[0]
            error = await self._post_update(hook.url, hook.secret_token, update)
            if self.state.webhook is not hook:
                attempts = 0
                continue
            if error is None:
                attempts = 0
                self._forget(update)
                self.webhook_deliveries.append(update)
                continue
            hook.last_error_date = now()
            hook.last_error_message = error
            attempts += 1
            if attempts >= self._webhook_max_attempts:
                attempts = 0
                self._forget(update)
                self.webhook_dropped.append(update)
                continue
            await self._sleep(min(2.0, 0.1 * 2 ** (attempts - 1)))

    def _forget(self, update: JSON) -> None:
        if self.state.updates and self.state.updates[0] is update:
            self.state.updates.pop(0)

    async def _post_update(self, url: str, secret: str | None, update: JSON) -> str | None:
        """POST one update; return None on success or Telegram-style error text."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SECRET_TOKEN_HEADER] = secret
        try:
            async with self._session.post(
                url,
                data=json.dumps(update),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self._webhook_timeout),
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as exc:
            return f"Connection failed: {exc}"
