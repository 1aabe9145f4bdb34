"""Update processing: concurrent across chats, in order within a chat.

PTB's ``concurrent_updates=True`` gives no per-chat ordering, so two quick taps on the topic
picker could be handled out of order and leave a stale keyboard. This processor runs updates
of different chats concurrently and updates of the same chat one after another, in arrival
order (asyncio locks are FIFO). The concurrency limit is applied only once an update holds
its chat's turn, so a chat flooding the bot cannot occupy every slot while it waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's own semaphore is acquired before do_process_update; make it wide enough never to
# bind, and limit with our own inside the per-chat turn.
_PTB_SLOTS = 1_000_000


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Serialise updates per chat; run up to ``max_running`` chats' updates at once."""

    def __init__(self, max_running: int = 256) -> None:
        super().__init__(_PTB_SLOTS)
        self._running = asyncio.Semaphore(max_running)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` once earlier updates of the same chat are done."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._running:
                await coroutine
            return
        key = chat.id
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock, self._running:
                await coroutine
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""
