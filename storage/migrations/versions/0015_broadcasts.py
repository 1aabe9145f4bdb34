"""broadcasts from Telegram and the CLI: what is sent (photo, link button), to whom
(audience, topic), when (scheduled_at) and where its progress is shown

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 18:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'

down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ('scheduled_at', lambda: sa.DateTime(timezone=True)),
    ('photo', lambda: sa.String(length=300)),
    ('button_text', lambda: sa.String(length=64)),
    ('button_url', lambda: sa.String(length=2048)),
    ('audience', lambda: sa.String(length=16)),
    ('topic_id', lambda: sa.Integer()),
    ('topic_ids', lambda: sa.JSON()),
    ('progress_chat_id', lambda: sa.BigInteger()),
    ('progress_message_id', lambda: sa.BigInteger()),
)


def upgrade() -> None:
    # Plain ALTER TABLE: nullable columns are added in place on SQLite too.
    for name, kind in _COLUMNS:
        op.add_column('broadcasts', sa.Column(name, kind(), nullable=True))
    op.create_index(op.f('ix_broadcasts_status'), 'broadcasts', ['status'])
    # A broadcast's progress counts and its pause, resume and cancel read only its own rows.
    op.create_index('ix_deliveries_broadcast', 'deliveries', ['broadcast_id', 'status'])


def downgrade() -> None:
    op.drop_index('ix_deliveries_broadcast', table_name='deliveries')
    op.drop_index(op.f('ix_broadcasts_status'), table_name='broadcasts')
    for name, _ in reversed(_COLUMNS):
        op.drop_column('broadcasts', name)
