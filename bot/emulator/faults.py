"""Fault injection for the Bot API emulator: flood limits, blocked and migrated chats, flaky
transport, and scripted one-off errors. Everything is off until a test turns it on.

Rate limits use a **sliding-window log** per key. A limit of ``R`` requests per ``P`` seconds
allows a burst of ``C = max(1, floor(R))`` requests and then at most ``C`` requests in any
window of ``W = P * C / R`` seconds (so 30/s → 30 per 1 s; 1/s → 1 per 1 s; 20/min → 20 per
60 s; 0.5/s → 1 per 2 s). A request is admitted only if every window that applies to
it has room; admitted requests are recorded in all of them, refused ones in none. A refused
request gets ``retry_after = max(1, ceil(oldest + W - now))`` over the windows that refused it.

Which windows apply (send, edit and copy methods only):

* the overall window (``overall_per_second``) — or, for requests with
  ``allow_paid_broadcast=true``, the separate paid window (``paid_per_second``) instead;
* private chats (positive ids): the per-chat window (``per_chat_per_second``), keyed by chat;
* groups, supergroups and channels (negative ids): the per-group window
  (``per_group_per_minute``), keyed by chat.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["FaultDecision", "FaultStats", "Faults", "ScriptedError", "SlidingWindow"]


@dataclass
class FaultStats:
    """How many injected faults the emulator has served, by kind."""

    rate_limited: int = 0  # 429
    forbidden: int = 0  # 403 from block()
    migrated: int = 0  # 400 with migrate_to_chat_id
    server_errors: int = 0  # 500 / 502
    drops: int = 0  # connections closed without an answer
    slow: int = 0  # answers delayed
    scripted: int = 0  # errors from fail_next()


class SlidingWindow:
    """At most `capacity` events in any window of `window` seconds, per key."""

    def __init__(self, count: float, period: float) -> None:
        if count <= 0 or period <= 0:
            raise ValueError("a rate limit must be positive")
        self.capacity = max(1, math.floor(count))
        self.window = period * self.capacity / count
        self._events: dict[object, deque[float]] = {}

    def retry_after(self, key: object, now: float) -> float:
        """Seconds until `key` has room again (0.0 if it has room now)."""
        events = self._events.get(key)
        if not events:
            return 0.0
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) < self.capacity:
            return 0.0
        return events[0] + self.window - now

    def record(self, key: object, now: float) -> None:
        """Count one admitted event for `key` at `now`."""
        self._events.setdefault(key, deque()).append(now)


@dataclass
class _RateLimits:
    overall: SlidingWindow | None
    per_chat: SlidingWindow | None
    per_group: SlidingWindow | None
    paid: SlidingWindow


@dataclass(frozen=True)
class ScriptedError:
    """An error that `Faults.fail_next` queued for a method."""

    error_code: int
    description: str
    parameters: dict[str, Any] | None = None


@dataclass(frozen=True)
class FaultDecision:
    """What the transport-level faults decided for one request."""

    drop: bool = False
    drop_after_processing: bool = False
    server_error: int | None = None
    delay: float = 0.0


@dataclass
class _RandomFaults:
    server_error_rate: float
    drop_rate: float
    slow_rate: float
    slow_seconds: float
    rng: random.Random
    include_get_updates: bool
    methods: frozenset[str] | None
    drop_after_processing: bool


class Faults:
    """The emulator's fault switches (all off by default) and the counters of faults served.

    `clock` (monotonic seconds) is what the rate limits measure time with.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.stats = FaultStats()
        self.blocked: set[int] = set()
        self.migrations: dict[int, int] = {}
        self._limits: _RateLimits | None = None
        self._random: _RandomFaults | None = None
        self._scripted: dict[str, deque[ScriptedError]] = {}

    # -- rate limits -------------------------------------------------------------------------

    def set_rate_limits(
        self,
        overall_per_second: float | None = 30,
        per_chat_per_second: float | None = 1,
        per_group_per_minute: float | None = 20,
        paid_per_second: float = 1000,
    ) -> None:
        """Enforce flood limits on send/edit/copy methods (``None`` turns one limit off).

        Replaces any earlier limits and forgets their history. See the module docstring for
        the exact algorithm.
        """
        self._limits = _RateLimits(
            overall=SlidingWindow(overall_per_second, 1.0) if overall_per_second else None,
            per_chat=SlidingWindow(per_chat_per_second, 1.0) if per_chat_per_second else None,
            per_group=SlidingWindow(per_group_per_minute, 60.0) if per_group_per_minute else None,
            paid=SlidingWindow(paid_per_second, 1.0),
        )

    def clear_rate_limits(self) -> None:
        """Turn all flood limits off."""
        self._limits = None

    def check_rate(self, chat_id: int, *, paid: bool = False) -> int | None:
        """Admit one send to `chat_id` (recording it) or return the integer retry_after (≥ 1)."""
        limits = self._limits
        if limits is None:
            return None
        now = self.clock()
        windows: list[tuple[SlidingWindow, object]] = []
        overall = limits.paid if paid else limits.overall
        if overall is not None:
            windows.append((overall, "overall"))
        per_chat = limits.per_chat if chat_id > 0 else limits.per_group
        if per_chat is not None:
            windows.append((per_chat, chat_id))
        wait = max((w.retry_after(key, now) for w, key in windows), default=0.0)
        if wait > 0:
            self.stats.rate_limited += 1
            return max(1, math.ceil(wait))
        for window, key in windows:
            window.record(key, now)
        return None

    # -- blocked and migrated chats ----------------------------------------------------------

    def block(self, chat_id: int) -> None:
        """Sends to `chat_id` fail with 403 "Forbidden: bot was blocked by the user"."""
        self.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo `block`."""
        self.blocked.discard(chat_id)

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """Requests to `chat_id` fail with 400 and ``parameters.migrate_to_chat_id``.

        The emulator creates the supergroup `new_chat_id` on first use if it does not exist.
        """
        self.migrations[chat_id] = new_chat_id

    def unmigrate(self, chat_id: int) -> None:
        """Undo `migrate`."""
        self.migrations.pop(chat_id, None)

    # -- random transport faults -------------------------------------------------------------

    def set_random_faults(
        self,
        server_error_rate: float = 0.0,
        drop_rate: float = 0.0,
        slow_rate: float = 0.0,
        slow_seconds: float = 1.0,
        seed: int | None = None,
        *,
        include_get_updates: bool = False,
        methods: Iterable[str] | None = None,
        drop_after_processing: bool = False,
    ) -> None:
        """Make requests fail at random: 500/502 answers, dropped connections, slow answers.

        Each request first rolls for a drop, then (if not dropped) for a server error; the slow
        roll is independent and delays the answer by `slow_seconds`. getUpdates is spared
        unless `include_get_updates`; `methods` (case-insensitive names) limits the faults to
        those methods. With `drop_after_processing` a dropped request is carried out before the
        connection is closed, so the client cannot tell whether it took effect.
        """
        for rate in (server_error_rate, drop_rate, slow_rate):
            if not 0.0 <= rate <= 1.0:
                raise ValueError("fault rates are probabilities between 0 and 1")
        self._random = _RandomFaults(
            server_error_rate=server_error_rate,
            drop_rate=drop_rate,
            slow_rate=slow_rate,
            slow_seconds=slow_seconds,
            rng=random.Random(seed),
            include_get_updates=include_get_updates,
            methods=frozenset(m.lower() for m in methods) if methods is not None else None,
            drop_after_processing=drop_after_processing,
        )

    def clear_random_faults(self) -> None:
        """Turn random transport faults off."""
        self._random = None

    def decide(self, method: str) -> FaultDecision:
        """Roll the random faults for one request to `method` (canonical or any case)."""
        faults = self._random
        name = method.lower()
        if faults is None:
            return FaultDecision()
        if name == "getupdates" and not faults.include_get_updates:
            return FaultDecision()
        if faults.methods is not None and name not in faults.methods:
            return FaultDecision()
        rng = faults.rng
        delay = faults.slow_seconds if rng.random() < faults.slow_rate else 0.0
        if delay:
            self.stats.slow += 1
        if rng.random() < faults.drop_rate:
            self.stats.drops += 1
            return FaultDecision(
                drop=True, drop_after_processing=faults.drop_after_processing, delay=delay
            )
        if rng.random() < faults.server_error_rate:
            self.stats.server_errors += 1
            return FaultDecision(server_error=rng.choice((500, 502)), delay=delay)
        return FaultDecision(delay=delay)

    # -- scripted errors ---------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        parameters: dict[str, Any] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with this error instead of running them."""
        queue = self._scripted.setdefault(method.lower(), deque())
        for _ in range(times):
            queue.append(ScriptedError(error_code, description, parameters))

    def take_scripted(self, method: str) -> ScriptedError | None:
        """Pop the next scripted error for `method`, if any."""
        queue = self._scripted.get(method.lower())
        if not queue:
            return None
        self.stats.scripted += 1
        return queue.popleft()

    def reset(self) -> None:
        """Turn every fault off and zero the counters."""
        self.stats = FaultStats()
        self.blocked.clear()
        self.migrations.clear()
        self._limits = None
        self._random = None
        self._scripted.clear()
