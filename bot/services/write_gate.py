"""Database sessions for ingestion: write transactions queued one at a time on SQLite, and
on other databases a bound on the connections a big poll may hold at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import write_session

#: Ingestion's share of the connection pool on databases with concurrent writers: at most
#: this fraction of the pool's connections, so the outbox and the handlers always find one.
POOL_SHARE = 0.5


class WriteGate:
    """Opens ingestion's sessions. SQLite has one writer: there the writes queue here (FIFO,
    no timeout) instead of letting dozens of concurrent pollers spin on SQLite's busy handler
    until it gives up. Other databases take them concurrently, but a poll of thousands of
    feeds (64 at once) holds at most half of the connection pool here, reads included;
    without the bound the outbox's claims waited up to 1.6 s for a connection.

    Only one of ingestion's writers at a time goes on to the process-wide queue of
    :func:`storage.db.write_session`, so the outbox's and the handlers' writes wait behind at
    most one ingestion transaction, not behind every poller of a big poll."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        sqlite = _is_sqlite(session_factory)
        self._gate: contextlib.AbstractAsyncContextManager[object] = (
            asyncio.Lock() if sqlite else asyncio.Semaphore(_pool_share(session_factory))
        )
        self._readers: contextlib.AbstractAsyncContextManager[object] = (
            contextlib.nullcontext() if sqlite else self._gate
        )

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction (through the gate); commits when the block ends."""
        async with self._gate, write_session(self._session_factory) as session:
            yield session

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads (no write lock; bounded like writes outside SQLite)."""
        async with self._readers, self._session_factory() as session:
            yield session


def _is_sqlite(session_factory: async_sessionmaker[AsyncSession]) -> bool:
    bind = session_factory.kw.get("bind")
    return bool(bind is not None and bind.dialect.name == "sqlite")


def _pool_share(session_factory: async_sessionmaker[AsyncSession]) -> int:
    bind = session_factory.kw.get("bind")
    size = getattr(getattr(bind, "pool", None), "size", None)
    connections = size() if callable(size) else 10
    return max(1, int(connections * POOL_SHARE))
