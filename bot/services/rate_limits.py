"""Telegram's sending limits, kept on our side so the outbox gets no 429s at full speed.

Three limits apply to every send (Bot API FAQ): about 30 messages per second overall (or up
to 1,000/s for sends with ``allow_paid_broadcast``), about one message per second to a private
chat, and 20 messages per minute to a group or channel. Each is an :class:`aiolimiter
.AsyncLimiter` (a leaky bucket). The overall ones allow a burst of 2 % of the rate (at least
one send) and leak at 95 % of the rate minus that burst, so no one-second window sees more
than 95 % of Telegram's count: 190 of 200, 950 of 1,000, 28 of 30. The slack — 50 ms of
sends at any rate — absorbs the jitter between leaving the limiter and reaching Telegram on
a busy event loop. (A 2 % burst on top of a 97 % leak got 1–2 429s in 2,000 sends; burst
plus leak at 97 % still got one now and then with the emulator on the bot's own loop;
strictly spaced sends cost a timer per send and reached only 85 % of the rate.) Per-chat
limiters are strictly spaced.

A 429 that gets through anyway (another bot on the token, a limit lower than documented)
calls :meth:`SendLimiter.pause`: nobody sends until ``retry_after`` has passed. Processes
sharing one bot token split the overall rate (:meth:`SendLimiter.share`).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from aiolimiter import AsyncLimiter

HEADROOM = 0.95  # most of a configured rate any one-second window may see from us
MAX_CHAT_LIMITERS = 20_000  # idle per-chat limiters are dropped beyond this many


def _bucket(rate_per_second: float) -> AsyncLimiter:
    """A leaky bucket whose burst plus one second's leak stays within HEADROOM of the rate:
    a burst of 2 % (at least 1) spares the event loop a timer per send at high rates."""
    burst = max(1, math.floor(rate_per_second * 0.02))
    leak = max(rate_per_second * HEADROOM - burst, rate_per_second * 0.5)
    return AsyncLimiter(burst, burst / leak)


class SendLimiter:
    """Waits until a send to a chat is within every limit; :meth:`pause` on a 429."""

    def __init__(
        self,
        rate_per_second: float = 30.0,
        *,
        paid_rate_per_second: float = 1000.0,
        private_chat_interval: float = 1.05,
        group_chat_interval: float = 3.15,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate_per_second
        self._paid_rate = paid_rate_per_second
        self._share = 1
        self._overall = _bucket(rate_per_second)
        self._paid = _bucket(paid_rate_per_second)
        self._private_interval = private_chat_interval
        self._group_interval = group_chat_interval
        self._chats: dict[int, AsyncLimiter] = {}
        self._resume_at = 0.0
        self._clock = clock
        self.pauses = 0

    def share(self, processes: int) -> None:
        """Several processes send for the same bot token: each keeps to 1/``processes`` of
        the overall (and paid) rate. Per-chat limits need no share: a chat's rows are
        claimed by one process at a time."""
        processes = max(1, processes)
        if processes != self._share:
            self._share = processes
            self._overall = _bucket(self._rate / processes)
            self._paid = _bucket(self._paid_rate / processes)

    def pause(self, seconds: float) -> None:
        """Telegram answered 429: hold every send for ``seconds``."""
        self.pauses += 1
        self._resume_at = max(self._resume_at, self._clock() + max(0.0, seconds))

    @property
    def paused_for(self) -> float:
        """Seconds left of the current pause (0 when sending may go on)."""
        return max(0.0, self._resume_at - self._clock())

    async def acquire(self, chat_id: int, *, paid: bool = False) -> float:
        """Wait until a message to ``chat_id`` may go; return the seconds waited."""
        started = self._clock()
        await self._wait_pause()
        chat_limiter = self._chat_limiter(chat_id)
        if chat_limiter is not None:
            await chat_limiter.acquire()
        await (self._paid if paid else self._overall).acquire()
        await self._wait_pause()
        return self._clock() - started

    async def _wait_pause(self) -> None:
        # A loop, not an Event: another 429 may extend the pause while we sleep.
        while (left := self._resume_at - self._clock()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(left)

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter | None:
        interval = self._private_interval if chat_id > 0 else self._group_interval
        if interval <= 0:
            return None
        limiter = self._chats.get(chat_id)
        if limiter is None:
            if len(self._chats) >= MAX_CHAT_LIMITERS:
                self._prune()
            limiter = self._chats[chat_id] = AsyncLimiter(1, interval)
        return limiter

    def _prune(self) -> None:
        """Forget limiters of chats that could send right now (nothing to remember)."""
        for chat_id in [cid for cid, lim in self._chats.items() if lim.has_capacity()]:
            del self._chats[chat_id]
