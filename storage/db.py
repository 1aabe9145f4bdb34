"""Engine, sessions and schema migrations.

``create_engine`` turns on WAL, a busy timeout and foreign keys for SQLite on every
connection. ``upgrade_schema`` runs Alembic through the async engine (``run_sync``), so the
CLI's ``migrate`` and the bot's start-up share one code path.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseError(Exception):
    """The database cannot be used (bad URL, unreachable, wrong credentials…)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take over transaction control from the driver so that _sqlite_begin can say IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


IMMEDIATE_OPTION = "newsbot_sqlite_immediate"


def _sqlite_begin(connection: Any) -> None:
    """Start SQLite transactions: write transactions take the write lock up front.

    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another connection committed in between (WAL snapshot), and busy_timeout
    does not help; BEGIN IMMEDIATE waits for the lock (up to busy_timeout) instead. Read-only
    sessions stay deferred, so in WAL mode they never wait for writers."""
    immediate = connection.get_execution_options().get(IMMEDIATE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(
    url: str, *, echo: bool = False, pool_size: int = 10, connect_timeout: float = 10.0
) -> AsyncEngine:
    """Create the async engine for ``url`` (sqlite+aiosqlite or postgresql+asyncpg)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseError(f"invalid URL: {exc}") from None
    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    path = sqlite_path(parsed)
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": connect_timeout}
        if path is not None and not path.parent.is_dir():
            raise DatabaseError(f"directory {path.parent} does not exist")
    else:
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = pool_size
        kwargs["connect_args"] = {"timeout": connect_timeout}
    try:
        engine = _create_async_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(str(exc)) from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        if path is not None:
            _refuse_to_recreate(engine, path)
    return engine


def sqlite_path(url: str | URL) -> Path | None:
    """The file a SQLite URL names (absolute); None for other databases, in-memory ones and
    ``file:`` URIs."""
    parsed = make_url(url) if isinstance(url, str) else url
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or \
            database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def _refuse_to_recreate(engine: AsyncEngine, path: Path) -> None:
    """Once the SQLite file exists, a new connection fails when it is gone instead of
    silently creating an empty database at the path (and writing there from then on)."""
    created = False

    def before_connect(*_args: Any) -> None:
        nonlocal created
        if created and not path.exists():
            raise sqlite3.OperationalError(f"database file {path} is missing")

    def after_connect(*_args: Any) -> None:
        nonlocal created
        created = True

    event.listen(engine.sync_engine, "do_connect", before_connect)
    event.listen(engine.sync_engine, "connect", after_connect)


#: One FIFO queue of writers per SQLite engine and event loop (see :func:`write_session`).
_WRITE_LOCKS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, weakref.WeakKeyDictionary[Any, asyncio.Lock]
] = weakref.WeakKeyDictionary()


def _write_queue(
    factory: async_sessionmaker[AsyncSession],
) -> contextlib.AbstractAsyncContextManager[object]:
    bind = factory.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return contextlib.nullcontext()
    per_engine = _WRITE_LOCKS.setdefault(asyncio.get_running_loop(), weakref.WeakKeyDictionary())
    return per_engine.setdefault(bind.sync_engine, asyncio.Lock())


@asynccontextmanager
async def write_session(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session in a write transaction (BEGIN IMMEDIATE on SQLite), committed on success.

    On SQLite the process's writers queue here, first come first served, before they ask
    SQLite for its one write lock: a writer left to SQLite's busy handler (which sleeps and
    retries) rarely catches the lock between the back-to-back transactions of a big poll, so
    the outbox and the handlers would wait seconds for a write. Write sessions never nest."""
    async with _write_queue(factory), factory() as session, session.begin():
        await session.connection(execution_options={IMMEDIATE_OPTION: True})
        yield session


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """One factory per process; callers open one session per update or job run."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def check_connection(engine: AsyncEngine, timeout: float = 10.0) -> None:
    """Open a connection and run ``SELECT 1``; raise :class:`DatabaseError` on failure."""
    try:
        async with asyncio.timeout(timeout), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except TimeoutError:
        raise DatabaseError(f"no answer within {timeout:.0f}s") from None
    except Exception as exc:  # drivers raise many unrelated types (OSError, asyncpg errors…)
        message = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise DatabaseError(f"cannot connect: {message}") from None


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at our migrations; no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


#: Advisory-lock key serializing start-up work between processes sharing one PostgreSQL
#: database ("nbstartu").
STARTUP_LOCK_KEY = 0x6E62737461727475


@asynccontextmanager
async def startup_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold a PostgreSQL advisory lock while start-up work runs (migrations, syncing feeds
    and topics from the config), so processes starting together take turns instead of
    racing on the same rows; waits for a process holding it. SQLite: nothing to do (one
    process per file)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"),
                               {"key": STARTUP_LOCK_KEY})


async def upgrade_schema(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (default: the newest)."""

    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def downgrade_schema(engine: AsyncEngine, revision: str = "base") -> None:
    """Downgrade the schema to ``revision`` (default: empty)."""

    def run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


def read_revision(connection: Connection) -> str | None:
    """The revision in ``alembic_version``, or None if unmigrated.

    A plain query rather than Alembic's MigrationContext, which logs two INFO lines per call
    (readiness asks every 30 s)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return str(value) if value is not None else None


