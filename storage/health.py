"""Cheap probes of the database for readiness: reachability with the schema revision, the
SQLite file's identity, and the oldest overdue outbox row. Nothing here changes data."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.db import DatabaseError, alembic_config, read_revision, sqlite_path
from storage.models import Delivery

FileIdentity = tuple[int, int]


def head_revision() -> str | None:
    """The newest revision of our migrations (what the schema should be at)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def schema_revision(engine: AsyncEngine, timeout: float) -> str | None:
    """Connect and read the schema's revision; raise :class:`DatabaseError` when the database
    does not answer within ``timeout`` seconds or refuses."""

    try:
        async with asyncio.timeout(timeout), engine.connect() as conn:
            return await conn.run_sync(read_revision)
    except TimeoutError:
        raise DatabaseError(f"no answer within {timeout:g}s") from None
    except Exception as exc:  # drivers raise many unrelated types (OSError, asyncpg errors…)
        message = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise DatabaseError(f"cannot query: {message}") from None


def sqlite_file(engine: AsyncEngine) -> Path | None:
    """The file of a SQLite database; None for other databases and in-memory ones."""
    return sqlite_path(engine.url)


def file_identity(path: Path) -> FileIdentity | None:
    """``(st_dev, st_ino)`` of ``path``, or None when there is no file there."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


async def oldest_overdue_delivery(session: AsyncSession, due_before: datetime) -> datetime | None:
    """When the longest-waiting pending delivery became due, if that is before
    ``due_before``; None when no pending delivery is that late (uses ix_deliveries_due)."""
    return await session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.status == "pending", Delivery.next_attempt_at < due_before
        )
    )
