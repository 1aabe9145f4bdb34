"""admin console: admins added from Telegram (bot_admins) and the audit log's target

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-02 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
# Other branches add 0009 and 0010; the merge re-chains this one onto the last of them.
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'bot_admins',
        sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('added_by', sa.BigInteger(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_bot_admins')),
    )
    # Plain ALTER TABLE: SQLite adds (and 3.35+ drops) a nullable column in place.
    op.add_column('admin_audit_log', sa.Column('target', sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column('admin_audit_log', 'target')
    op.drop_table('bot_admins')
