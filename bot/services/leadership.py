"""Who runs the scheduled work: one leader among the processes sharing a PostgreSQL database
(a session-level advisory lock), and at most one process on a SQLite file (a lock file).

Several ``newsbot run`` processes may share one PostgreSQL database; feed polling and the
scheduled jobs must run in exactly one of them at a time. :class:`LeaderElection` holds
``pg_try_advisory_lock(LEADER_LOCK_KEY)`` on a connection of its own for as long as the process
lives: PostgreSQL releases it when that connection ends, so when the leader dies another
process takes over at its next attempt. On SQLite the process is always the leader, because
:class:`SingleInstanceLock` lets only one process open the file in the first place.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType

import filelock
from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.db import sqlite_path

log = logging.getLogger(__name__)


def _advisory_key(name: str) -> int:
    """A signed 64-bit advisory-lock key (PostgreSQL's bigint) derived from ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


#: The advisory-lock key every newsbot process competes for. Advisory locks are scoped to one
#: database, so bots on different databases of one server never compete.
LEADER_LOCK_KEY = _advisory_key("newsbot-leader")

#: Every running process holds this key in shared mode, so counting its holders tells how many
#: processes share the database (and so Telegram's rate limits: see ``members``).
MEMBER_LOCK_KEY = _advisory_key("newsbot-member")
_JOIN = text("SELECT pg_advisory_lock_shared(:key)").bindparams(key=MEMBER_LOCK_KEY)
# pg_locks shows a bigint advisory key as classid (high 32 bits) and objid (low 32 bits).
_COUNT_MEMBERS = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND classid = :hi AND objid = :lo AND objsubid = 1"
).bindparams(hi=(MEMBER_LOCK_KEY >> 32) & 0xFFFFFFFF, lo=MEMBER_LOCK_KEY & 0xFFFFFFFF)
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)").bindparams(key=LEADER_LOCK_KEY)
_UNLOCK = text("SELECT pg_advisory_unlock(:key)").bindparams(key=LEADER_LOCK_KEY)
_PING = text("SELECT 1")
_KEEPALIVES = text("SELECT set_config('tcp_keepalives_idle', '10', false), "
                   "set_config('tcp_keepalives_interval', '5', false), "
                   "set_config('tcp_keepalives_count', '3', false)")

#: Shortest time a database round trip (connect, lock attempt, ping) may take before it counts
#: as failed; with a longer interval the interval itself is the limit.
MIN_QUERY_TIMEOUT = 2.0

LeadershipCallback = Callable[[bool], Awaitable[None]]


class LeaderElection:
    """Keeps trying to become the leader, and notices when it stops being one.

    Not leader: every ``interval`` seconds try the advisory lock. Leader: every ``interval``
    seconds ``SELECT 1`` on the lock's connection, and at once when the driver reports that
    connection closed (asyncpg's termination listener: a terminated backend, a restarted
    server, a reset socket). When that fails the lock may already be someone else's, so
    leadership is dropped at once (``on_change(False)``), the connection thrown away, and the
    process competes again from a fresh connection after stepping back for one more interval
    (so a healthy peer, rather than the process that just failed, takes over).

    ``on_change`` is awaited on every change, from ``start()``, ``stop()`` or the election's
    own task; its exceptions are logged, never raised.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        interval: float = 5.0,
        on_change: LeadershipCallback | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        dialect = engine.dialect.name
        if dialect not in ("postgresql", "sqlite"):
            raise ValueError(f"leader election needs PostgreSQL or SQLite, not {dialect}")
        self._engine = engine
        self._interval = interval
        self._on_change = on_change
        self._sqlite = dialect == "sqlite"
        self._is_leader = False
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = False
        self._wake = asyncio.Event()  # the leader's connection was reported closed
        self._last_error: str | None = None
        self._members = 1

    @property
    def is_leader(self) -> bool:
        """Whether this process is the leader now (as of the last check)."""
        return self._is_leader

    @property
    def members(self) -> int:
        """How many newsbot processes share the database (as of the last check; at least 1).
        They share Telegram's limits for the one bot token, so each sends at 1/members of
        the configured rate."""
        return self._members

    @property
    def _timeout(self) -> float:
        return max(self._interval, MIN_QUERY_TIMEOUT)

    async def start(self) -> None:
        """Try once now (a lone process is the leader when this returns), then keep trying
        in the background. Never raises for an unreachable database: it retries."""
        if self._started:
            raise RuntimeError("leader election already started")
        self._started = True
        if self._sqlite:
            await self._set_leader(True, "the only process on its SQLite file")
            return
        await self._attempt()
        self._task = asyncio.create_task(self._run(), name="leader-election")

    async def stop(self) -> None:
        """Stop competing; release the lock and close its connection (``on_change(False)``
        when this process was the leader)."""
        self._started = False
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Leadership ends here before the lock is let go, so no peer leads while this
        # process still believes it does.
        held = self._is_leader and not self._sqlite
        await self._set_leader(False, "stopped")
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._release(conn, unlock=held)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self._step()
                await self._count_members()
            except Exception:  # a bug here must not freeze is_leader for the process's life
                log.exception("leader election step failed")
                await self._set_leader(False, "the election failed")
                await self._discard_connection()

    async def _step(self) -> None:
        if not self._is_leader:
            await self._attempt()
        elif not await self._alive():
            await self._set_leader(False, "its database connection failed")
            await self._discard_connection()
            await asyncio.sleep(self._interval)  # step back: let a healthy peer win
            await self._attempt()

    async def _attempt(self) -> None:
        """One try at the lock, on the kept connection (opened when there is none)."""
        try:
            async with asyncio.timeout(self._timeout):
                if self._conn is None:
                    conn = await self._engine.connect()
                    # Autocommit: the connection never sits idle in a transaction (which
                    # would hold back vacuum, and trip idle_in_transaction_session_timeout).
                    self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await self._watch(self._conn)
                    # If the leader's machine or network dies (no FIN), the server notices
                    # within about 25 s through TCP keepalives and frees the lock.
                    await self._conn.execute(_KEEPALIVES)
                    await self._conn.execute(_JOIN)
                got = bool(await self._conn.scalar(_TRY_LOCK))
        except Exception as exc:  # drivers raise many unrelated types (OSError, asyncpg…)
            self._note_error("cannot try the leader lock", exc)
            await self._discard_connection()
            return
        self._note_recovered()
        if got:
            await self._set_leader(True, "took the advisory lock")
        await self._count_members()

    async def _count_members(self) -> None:
        if self._conn is None:
            return
        try:
            async with asyncio.timeout(self._timeout):
                count = int(await self._conn.scalar(_COUNT_MEMBERS) or 0)
        except Exception as exc:
            self._note_error("cannot count the processes sharing the database", exc)
            return
        if max(1, count) != self._members:
            log.info("%d newsbot processes share the database", max(1, count))
        self._members = max(1, count)

    async def _watch(self, conn: AsyncConnection) -> None:
        """Wake the loop as soon as the driver sees ``conn`` closed while it holds the lock,
        instead of at the next check (only asyncpg offers this; others wait for the check)."""
        raw = await conn.get_raw_connection()
        add_listener = getattr(raw.driver_connection, "add_termination_listener", None)
        if add_listener is None:
            return

        def closed(_connection: object) -> None:
            if self._is_leader and self._conn is conn:
                self._wake.set()

        add_listener(closed)

    async def _alive(self) -> bool:
        """Whether the lock's connection still answers."""
        if self._conn is None:
            return False
        try:
            async with asyncio.timeout(self._timeout):
                await self._conn.execute(_PING)
        except Exception as exc:  # a dead socket, a terminated backend, a timeout…
            self._note_error("leader connection failed", exc)
            return False
        return True

    async def _release(self, conn: AsyncConnection, *, unlock: bool) -> None:
        """Unlock (when held), then close the connection for good rather than return it to
        the pool: a stop that interrupted a lock attempt may have left the lock taken on it,
        and PostgreSQL releases a session's locks when the session ends."""
        if unlock:
            try:
                async with asyncio.timeout(self._timeout):
                    await conn.execute(_UNLOCK)
            except Exception as exc:
                log.warning("leader lock: unlock failed (%s); closing its connection releases it",
                            _describe(exc))
        await _invalidate(conn)

    async def _discard_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await _invalidate(conn)

    async def _set_leader(self, leader: bool, reason: str) -> None:
        if leader == self._is_leader:
            return
        self._is_leader = leader
        if leader:
            log.info("became the leader: %s", reason)
        else:
            log.info("no longer the leader: %s", reason)
        if self._on_change is not None:
            try:
                await self._on_change(leader)
            except Exception:
                log.exception("leadership change callback failed")

    def _note_error(self, what: str, exc: BaseException) -> None:
        message = f"{what}: {_describe(exc)}"
        if message != self._last_error:  # once per distinct failure, not every interval
            log.warning("%s (retrying every %gs)", message, self._interval)
        self._last_error = message

    def _note_recovered(self) -> None:
        if self._last_error is not None:
            log.info("leader lock: database reachable again")
            self._last_error = None


async def _invalidate(conn: AsyncConnection) -> None:
    """Close a connection without returning it to the pool."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    first = str(exc).splitlines()[0] if str(exc) else ""
    return first or exc.__class__.__name__


class AnotherInstanceRunning(Exception):
    """Another process holds the SQLite file's instance lock."""

    def __init__(self, database: Path, lock_file: Path) -> None:
        super().__init__(
            f"another newsbot is already running on {database} (lock file {lock_file}); "
            "stop it first or point database.url at another file"
        )
        self.database = database
        self.lock_file = lock_file


class SingleInstanceLock:
    """At most one process on a SQLite file: an OS file lock on ``<database>.lock``, released
    by the OS if the process dies. Non-blocking: :meth:`acquire` fails at once."""

    def __init__(self, sqlite_path: Path) -> None:
        self.database = sqlite_path
        self.lock_file = sqlite_path.with_name(sqlite_path.name + ".lock")
        self._lock = filelock.FileLock(self.lock_file, timeout=0, thread_local=False)

    @classmethod
    def for_database(cls, url: str | URL) -> SingleInstanceLock | None:
        """The lock for a SQLite database file; None for other databases and in-memory ones
        (nothing else can open those)."""
        path = sqlite_path(url)
        return None if path is None else cls(path)

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._lock.is_locked

    def acquire(self) -> None:
        """Take the lock; raise :class:`AnotherInstanceRunning` when another process has it."""
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise AnotherInstanceRunning(self.database, self.lock_file) from None

    def release(self) -> None:
        """Let go of the lock (nothing happens when it is not held)."""
        if self._lock.is_locked:
            self._lock.release()

    def __enter__(self) -> SingleInstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
