"""Webhook update ids on real databases: taken in once, shared, forgotten after the window."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.update_dedupe import UpdateDeduplicator
from storage.models import SeenUpdate, utcnow


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


async def test_an_update_id_is_new_once(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """The first sighting is new, a repeat within the window is not, another id is."""
    dedupe = UpdateDeduplicator(session_factory, timedelta(minutes=10))
    assert await dedupe.first_sighting(7) is True
    assert await dedupe.first_sighting(7) is False
    assert await dedupe.first_sighting(8) is True


async def test_concurrent_deduplicators_agree(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Two deduplicators (as two processes would) racing on one id: exactly one takes it."""
    first = UpdateDeduplicator(session_factory, timedelta(minutes=10))
    second = UpdateDeduplicator(session_factory, timedelta(minutes=10))
    results = await asyncio.gather(*(d.first_sighting(99) for d in (first, second) * 3))
    assert sorted(results) == [False] * 5 + [True]


async def test_ids_are_forgotten_after_the_window(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """After the window an id counts as new again, and pruning deletes the old rows."""
    clock = Clock()
    dedupe = UpdateDeduplicator(session_factory, timedelta(minutes=10), clock)
    assert await dedupe.first_sighting(1)
    assert await dedupe.first_sighting(2)
    clock.now += timedelta(minutes=11)
    assert await dedupe.first_sighting(1) is True
    assert await dedupe.prune() == 1
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(SeenUpdate)) == 1
