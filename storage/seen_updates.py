"""Data access for webhook update ids already taken in. Functions take a session and never
commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import dialect_insert
from storage.models import SeenUpdate


async def claim_update(
    session: AsyncSession, update_id: int, now: datetime, forget_before: datetime
) -> bool:
    """Record ``update_id`` as seen at ``now``; True if it is new.

    A row older than ``forget_before`` counts as not seen (Telegram may start update ids
    again after a quiet week), so it is taken over instead of waiting for the pruning job.
    One ``INSERT … ON CONFLICT`` statement: of concurrent processes exactly one gets True."""
    statement = dialect_insert(session, SeenUpdate).values(update_id=update_id, seen_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[SeenUpdate.update_id],
        set_={"seen_at": now},
        where=SeenUpdate.seen_at < forget_before,
    )
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0) > 0


async def forget_seen_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete the update ids seen before ``cutoff``; return how many."""
    result = await session.execute(delete(SeenUpdate).where(SeenUpdate.seen_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
