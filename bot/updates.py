"""Update processing: concurrent across chats, in order within a chat.

PTB's ``concurrent_updates=True`` gives no per-chat ordering, so two quick taps on the topic
picker could be handled out of order and leave a stale keyboard. This processor runs updates
of different chats concurrently and updates of the same chat one after another, in arrival
order (asyncio locks are FIFO). The concurrency limit is applied only once an update holds
its chat's turn, so a chat flooding the bot cannot occupy every slot while it waits.

Every update passes here, so this is also where it is observed: its ``update_id`` and chat
go into the logging context for everything logged while it is handled, and the time its
handlers take and whether they failed (the error handler calls :func:`mark_update_failed`)
go to an :class:`UpdateObserver` (the bot's metrics).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from telegram import Update
from telegram.constants import UpdateType
from telegram.ext import BaseUpdateProcessor

from bot.log import update_context

Outcome = Literal["ok", "error"]


class UpdateObserver(Protocol):
    """Told about every handled update."""

    def observe_update(
        self, kind: str, command: str | None, outcome: Outcome, seconds: float
    ) -> None:
        """``kind`` is the update type (message, callback_query…); ``command`` the command
        name or ``button:<kind>`` for a button press, None for anything else."""


@dataclass
class _Handling:
    failed: bool = False


_handling: ContextVar[_Handling | None] = ContextVar("newsbot_handling", default=None)


def mark_update_failed() -> None:
    """Record that a handler of the update being handled failed (no-op outside one)."""
    handling = _handling.get()
    if handling is not None:
        handling.failed = True


def update_kind(update: object) -> str:
    """The update's type, e.g. ``message`` or ``callback_query`` (``other`` if unknown)."""
    if isinstance(update, Update):
        for kind in UpdateType:
            if getattr(update, kind.value, None) is not None:
                return str(kind.value)
    return "other"


def update_command(
    update: object, commands: Collection[str], button_kinds: Collection[str]
) -> str | None:
    """The command (``start``) or button kind (``button:topic``) an update invokes.

    Names outside ``commands``/``button_kinds`` become ``unknown`` so that what users type
    cannot grow the metrics' label sets."""
    if not isinstance(update, Update):
        return None
    if update.callback_query is not None:
        data = update.callback_query.data
        prefix = data.partition(":")[0] if isinstance(data, str) else ""
        return f"button:{prefix if prefix in button_kinds else 'unknown'}"
    message = update.message
    text = message.text if message is not None else None
    if text is None or not text.startswith("/"):
        return None
    name = text[1:].split(maxsplit=1)[0].partition("@")[0].lower() if len(text) > 1 else ""
    return name if name in commands else "unknown"

FloodVerdict = Literal["ok", "warn", "drop"]


@dataclass
class _Window:
    started: float
    count: int = 0
    warned: bool = False


class FloodGate:
    """Per-user command limit: ``limit`` commands per ``window`` seconds (a fixed window
    starting at the user's first command). The first command past it gets ``warn`` (say
    "slow down" once), the rest of that window ``drop`` (silence). In memory and bounded: past
    ``max_users`` the users whose window started longest ago are forgotten."""

    def __init__(self, limit: int, window: float = 60.0, *, max_users: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._window = window
        self._max_users = max_users
        self._clock = clock
        self._users: OrderedDict[int, _Window] = OrderedDict()

    def __len__(self) -> int:
        return len(self._users)

    def check(self, user_id: int) -> FloodVerdict:
        """Count one command of ``user_id`` and say what to do with it."""
        now = self._clock()
        entry = self._users.get(user_id)
        if entry is None or now - entry.started >= self._window:
            entry = _Window(now)
            self._users[user_id] = entry
            self._users.move_to_end(user_id)
            while len(self._users) > self._max_users:
                self._users.popitem(last=False)
        entry.count += 1
        if entry.count <= self.limit:
            return "ok"
        if not entry.warned:
            entry.warned = True
            return "warn"
        return "drop"


# PTB's own semaphore is acquired before do_process_update; make it wide enough never to
# bind, and limit with our own inside the per-chat turn.
_PTB_SLOTS = 1_000_000


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Serialise updates per chat; run up to ``max_running`` chats' updates at once."""

    def __init__(
        self,
        max_running: int = 256,
        *,
        observer: UpdateObserver | None = None,
        commands: Collection[str] = (),
        button_kinds: Collection[str] = (),
    ) -> None:
        super().__init__(_PTB_SLOTS)
        self._running = asyncio.Semaphore(max_running)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._observer = observer
        self._commands = frozenset(commands)
        self._button_kinds = frozenset(button_kinds)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` once earlier updates of the same chat are done."""
        chat = update.effective_chat if isinstance(update, Update) else None
        update_id = update.update_id if isinstance(update, Update) else None
        with update_context(update_id, chat.id if chat is not None else None):
            if chat is None:
                async with self._running:
                    await self._observed(update, coroutine)
                return
            key = chat.id
            lock = self._locks.setdefault(key, asyncio.Lock())
            self._users[key] = self._users.get(key, 0) + 1
            try:
                async with lock, self._running:
                    await self._observed(update, coroutine)
            finally:
                self._users[key] -= 1
                if self._users[key] == 0:
                    del self._users[key]
                    del self._locks[key]

    async def _observed(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Await the handlers, timing them and noting whether the error handler was called."""
        handling = _Handling()
        token = _handling.set(handling)
        started = time.perf_counter()
        try:
            await coroutine
        except BaseException:
            handling.failed = True
            raise
        finally:
            _handling.reset(token)
            if self._observer is not None:
                self._observer.observe_update(
                    update_kind(update),
                    update_command(update, self._commands, self._button_kinds),
                    "error" if handling.failed else "ok",
                    time.perf_counter() - started,
                )

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""
