"""Shared fixtures: real databases (SQLite and PostgreSQL) and the Bot API emulator.

PostgreSQL: set ``NEWSBOT_TEST_POSTGRES_URL`` (CI does) and the PostgreSQL variants become
mandatory — an unreachable server fails them. Without it, the default local server is tried
and, if it does not answer, those variants are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import create_engine, create_session_factory, upgrade_schema

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _postgres_base_url() -> tuple[str, bool]:
    explicit = os.environ.get("NEWSBOT_TEST_POSTGRES_URL", "").strip()
    return (explicit or DEFAULT_POSTGRES_URL), bool(explicit)


async def _try_connect(url: str) -> str | None:
    import asyncpg  # type: ignore[import-untyped]

    u = make_url(url)
    try:
        conn = await asyncpg.connect(
            host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
            password=u.password, database=u.database or "postgres", timeout=3,
        )
    except Exception as exc:
        return f"{exc.__class__.__name__}: {exc}"
    await conn.close()
    return None


_pg_status: dict[str, str | None] = {}


def _postgres_available() -> str | None:
    """Return None if PostgreSQL answers, else the reason it does not (cached)."""
    url, _ = _postgres_base_url()
    if url not in _pg_status:
        _pg_status[url] = asyncio.run(_try_connect(url))
    return _pg_status[url]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A dedicated PostgreSQL database for this test run, dropped afterwards."""
    base, mandatory = _postgres_base_url()
    reason = _postgres_available()
    if reason is not None:
        if mandatory or os.environ.get("NEWSBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unreachable at {base}: {reason}")
        pytest.skip(f"PostgreSQL not reachable at {base} ({reason}); "
                    "set NEWSBOT_TEST_POSTGRES_URL to require it")
    import asyncpg

    u = make_url(base)
    name = f"newsbot_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username,
                                     password=u.password, database=u.database, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield u.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _reset_postgres(url: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username,
                                 password=u.password, database=u.database, timeout=5)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL: a SQLite file, or a freshly emptied PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}"
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(_reset_postgres(url))
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated engine on each database backend."""
    eng = create_engine(database_url)
    await upgrade_schema(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The session factory the application would build."""
    return create_session_factory(engine)
