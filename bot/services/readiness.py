"""Readiness: whether this process can do its job right now, check by check.

Every check is a small object with ``async check() -> str | None`` (None when fine, else the
reason in one line). :class:`Readiness` runs them together and reports each. Nothing here
knows Telegram: the Bot API check gets plain callables from the wiring.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.log import mask_secrets
from bot.render.admin_notices import (
    DatabaseFileProblem,
    database_problem_notice,
    database_recovered_notice,
)
from storage.db import DatabaseError
from storage.health import (
    FileIdentity,
    file_identity,
    head_revision,
    oldest_overdue_delivery,
    schema_revision,
)
from storage.models import utcnow

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0  # seconds any one check may take before it counts as failing

#: Tells the admins: the plain text, or a function rendering it in the current language
#: (called once per admin, in that admin's language).
AdminNotifier = Callable[[str | Callable[[], str]], Awaitable[None]]


class ReadinessCheck(Protocol):
    """One named condition of readiness."""

    async def check(self) -> str | None:
        """Return None when the condition holds, else why it does not."""


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    """Each check's outcome: ``"ok"`` or the reason it failed."""

    results: Mapping[str, str]

    @property
    def ready(self) -> bool:
        """True when every check passed."""
        return all(result == "ok" for result in self.results.values())

    def as_json(self) -> dict[str, object]:
        """The body /readyz answers with."""
        failing = {name: reason for name, reason in self.results.items() if reason != "ok"}
        return {
            "status": "ready" if not failing else "not ready",
            "checks": dict(self.results),
            "failing": failing,
        }


class Readiness:
    """Runs named checks concurrently, each bounded by :data:`CHECK_TIMEOUT`."""

    def __init__(self, checks: Mapping[str, ReadinessCheck], timeout: float = CHECK_TIMEOUT):
        self._checks = dict(checks)
        self._timeout = timeout

    async def report(self) -> ReadinessReport:
        """Run every check and collect the outcomes."""
        names = list(self._checks)
        outcomes = await asyncio.gather(*(self._run(self._checks[name]) for name in names))
        return ReadinessReport(dict(zip(names, outcomes, strict=True)))

    async def _run(self, check: ReadinessCheck) -> str:
        try:
            async with asyncio.timeout(self._timeout):
                reason = await check.check()
        except TimeoutError:
            return f"no answer within {self._timeout:g}s"
        except Exception as exc:  # a broken check reports, it never breaks /readyz
            return mask_secrets(f"{exc.__class__.__name__}: {exc}".splitlines()[0])
        return "ok" if reason is None else reason


class DatabaseFileWatch:
    """Notices when the SQLite file opened at start is deleted or replaced.

    The open connections keep using the old file (an unlinked inode), so queries still
    succeed while everything written is lost with it; comparing ``(st_dev, st_ino)`` with
    the one recorded at start catches both. Recovery is the same file back at its path
    (e.g. moved back); a different file there needs a restart, which opens it afresh.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._identity: FileIdentity | None = file_identity(path) if path else None
        self._problem: str | None = None

    def state(self) -> DatabaseFileProblem | None:
        """What is wrong with the file: missing, or replaced by another; None when it is the
        one opened at start (or when the database is not a SQLite file)."""
        if self.path is None or self._identity is None:
            return None
        identity = file_identity(self.path)
        if identity is None:
            return "missing"
        if identity != self._identity:
            return "replaced"
        return None

    def problem(self) -> str | None:
        """Why the file is not the one opened at start (for /readyz and the log, in English),
        or None when it still is."""
        return self._describe(self.state())

    def _describe(self, state: DatabaseFileProblem | None) -> str | None:
        if state == "missing":
            return f"database file {self.path} is missing (deleted or moved)"
        if state == "replaced":
            return (f"database file {self.path} was replaced by another file; "
                    "restart to open it")
        return None

    async def check(self) -> str | None:
        """The readiness check: :meth:`problem`."""
        return self.problem()

    async def watch(self, notify_admins: AdminNotifier) -> None:
        """Log and tell admins once when the file goes wrong, and once when it is back."""
        state = self.state()
        problem = self._describe(state)
        if state is not None and self._problem is None:
            log.error("%s; the bot is not ready until it is back", problem)
            await notify_admins(partial(database_problem_notice, state, str(self.path)))
        elif problem is None and self._problem is not None:
            log.warning("database file %s is back", self.path)
            await notify_admins(partial(database_recovered_notice, str(self.path)))
        self._problem = problem


class DatabaseCheck:
    """The database answers and its schema is at our newest migration."""

    def __init__(self, engine: AsyncEngine, timeout: float = CHECK_TIMEOUT) -> None:
        self._engine = engine
        self._timeout = timeout
        self._expected = head_revision()

    async def check(self) -> str | None:
        """Read the schema revision (one small query) and compare."""
        try:
            revision = await schema_revision(self._engine, self._timeout)
        except DatabaseError as exc:
            return f"unreachable: {mask_secrets(str(exc))}"
        if revision != self._expected:
            return f"schema at revision {revision}, expected {self._expected}"
        return None


class OutboxCheck:
    """No pending delivery has been due for longer than ``stuck_after``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        stuck_after: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._stuck_after = stuck_after
        self._clock = clock

    async def check(self) -> str | None:
        """Look up the oldest overdue pending delivery."""
        now = self._clock()
        async with self._sessions() as session:
            since = await oldest_overdue_delivery(session, now - self._stuck_after)
        if since is None:
            return None
        minutes = (now - since).total_seconds() / 60
        return f"a pending delivery has been due for {minutes:.0f} min (since {since:%H:%M} UTC)"


@dataclass
class RecentSuccessCheck:
    """An API answered successfully within ``max_age`` seconds; if not, ``refresh`` (a
    cheap call such as getMe) is tried, at most once per ``refresh_every`` seconds."""

    last_success: Callable[[], float | None]
    refresh: Callable[[], Awaitable[object]]
    max_age: float
    refresh_every: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _last_refresh: float | None = field(default=None, init=False)
    _last_error: str | None = field(default=None, init=False)

    def _fresh(self) -> bool:
        last = self.last_success()
        return last is not None and self.clock() - last <= self.max_age

    async def check(self) -> str | None:
        """Fresh enough, or refreshed now, or the reason."""
        if self._fresh():
            return None
        now = self.clock()
        if self._last_refresh is None or now - self._last_refresh >= self.refresh_every:
            self._last_refresh = now
            try:
                await self.refresh()
                self._last_error = None
            except Exception as exc:
                self._last_error = mask_secrets(f"{exc.__class__.__name__}: {exc}")
            if self._fresh():
                return None
        last = self.last_success()
        age = "never" if last is None else f"{(self.clock() - last) / 60:.1f} min ago"
        reason = f"last successful Bot API call: {age}"
        if self._last_error:
            reason += f"; last check failed: {self._last_error}"
        return reason


@dataclass(frozen=True)
class FlagCheck:
    """A condition the wiring can read synchronously (e.g. the scheduler is running)."""

    holds: Callable[[], bool]
    reason: str

    async def check(self) -> str | None:
        """The flag, or the fixed reason."""
        return None if self.holds() else self.reason
