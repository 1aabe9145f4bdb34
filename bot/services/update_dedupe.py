"""Webhook redelivery: each update id is taken in once within a time window.

Telegram resends an update it did not see acknowledged (a timeout, a restart half-way); the
record lives in the database, so on PostgreSQL several processes behind one webhook share it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import write_session
from storage.models import utcnow
from storage.seen_updates import claim_update, forget_seen_before


class UpdateDeduplicator:
    """Says whether an update id is new within ``window``; forgets older ids."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        window: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._window = window
        self._clock = clock

    async def first_sighting(self, update_id: int) -> bool:
        """Record ``update_id``; True if it was not seen within the window."""
        now = self._clock()
        async with write_session(self._sessions) as session:
            return await claim_update(session, update_id, now, now - self._window)

    async def prune(self) -> int:
        """Forget the ids seen before the window; return how many."""
        async with write_session(self._sessions) as session:
            return await forget_seen_before(session, self._clock() - self._window)
