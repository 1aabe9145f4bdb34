"""Alembic migrations on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from storage.db import (
    create_engine,
    downgrade_schema,
    upgrade_schema,
)
from storage.health import schema_revision
from storage.models import Base
from storage.search import include_object, is_search_object


async def _tables(url: str, *, search_index: bool = False) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    # The search index (FTS5 tables on SQLite) is created by SQL outside the models.
    return {name for name in names if search_index or not is_search_object(name)} - {
        "alembic_version"}


async def test_stairway_upgrade_downgrade_upgrade(database_url: str) -> None:
    """Upgrade → downgrade → upgrade works and leaves exactly the models' tables."""
    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        assert await schema_revision(engine, 10) is not None
        assert await _tables(database_url) == set(Base.metadata.tables)
        await downgrade_schema(engine)
        assert await schema_revision(engine, 10) is None
        assert await _tables(database_url, search_index=True) == set()
        await upgrade_schema(engine)
        assert await _tables(database_url) == set(Base.metadata.tables)
    finally:
        await engine.dispose()


# SQLAlchemy cannot reflect SQLite's expression indexes (ix_articles_newest, migration 0006) and
# says so; PostgreSQL reflects and compares it.
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index ix_articles_newest")
@pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index 'ix_articles_newest'")
async def test_models_match_migrations(database_url: str) -> None:
    """Autogenerate finds no difference between the models and the migrated schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"include_object": include_object}),
                    Base.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert diff == []
