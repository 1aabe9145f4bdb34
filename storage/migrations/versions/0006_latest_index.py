"""latest index: /latest reads the newest explainers from an index on
coalesce(published_at, created_at), id instead of scanning and sorting every article

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An expression index: both SQLite (3.9+) and PostgreSQL use it for
    # ORDER BY coalesce(published_at, created_at) DESC, id DESC (scanned backwards).
    op.create_index(
        'ix_articles_newest', 'articles',
        [sa.text('coalesce(published_at, created_at)'), 'id'], unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_articles_newest', table_name='articles')
