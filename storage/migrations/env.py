"""Alembic environment: migrations always run on a connection handed in by storage.db."""

from __future__ import annotations

from alembic import context

from storage.models import Base
from storage.search import include_object

target_metadata = Base.metadata


def run_migrations() -> None:
    """Run migrations on the connection given in ``config.attributes['connection']``."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "newsbot migrations run through `newsbot migrate` (storage.db.upgrade_schema)"
        )
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,  # the search index is dialect-specific SQL
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations()
