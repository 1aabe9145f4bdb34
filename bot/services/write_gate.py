"""Write transactions for ingestion, queued one at a time on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import write_session


class WriteGate:
    """Opens write transactions. SQLite has one writer: there the writes queue here (FIFO, no
    timeout) instead of letting dozens of concurrent pollers spin on SQLite's busy handler
    until it gives up. Other databases take them concurrently.

    Only one of ingestion's writers at a time goes on to the process-wide queue of
    :func:`storage.db.write_session`, so the outbox's and the handlers' writes wait behind at
    most one ingestion transaction, not behind every poller of a big poll."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._gate: contextlib.AbstractAsyncContextManager[object] = (
            asyncio.Lock() if _is_sqlite(session_factory) else contextlib.nullcontext()
        )

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction (through the gate); commits when the block ends."""
        async with self._gate, write_session(self._session_factory) as session:
            yield session


def _is_sqlite(session_factory: async_sessionmaker[AsyncSession]) -> bool:
    bind = session_factory.kw.get("bind")
    return bool(bind is not None and bind.dialect.name == "sqlite")
