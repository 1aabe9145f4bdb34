"""feed pause: an admin's /feeds pause keeps a feed from being polled until /feeds resume

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A separate flag, not ``enabled``: the config sync re-enables config feeds at each start,
    # and a pause must survive restarts.
    with op.batch_alter_table('feeds') as batch_op:
        batch_op.add_column(sa.Column('paused', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('feeds') as batch_op:
        batch_op.drop_column('paused')
