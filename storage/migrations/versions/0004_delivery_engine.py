"""delivery engine: claim leases, schedules, forum threads as destinations, paused subscriptions

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('schedule', sa.String(length=16), nullable=False, server_default='now'))
        batch_op.add_column(sa.Column('silent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('parts_sent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_constraint(batch_op.f('uq_deliveries_chat_id_article_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_deliveries_chat_id_story_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_deliveries_chat_id_thread_id_article_id'), ['chat_id', 'thread_id', 'article_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_deliveries_chat_id_thread_id_story_id'), ['chat_id', 'thread_id', 'story_id'])
        batch_op.create_index('ix_deliveries_chat_sent', ['chat_id', 'sent_at'], unique=False)
        batch_op.create_index('ix_deliveries_chat_message', ['chat_id', 'message_id'], unique=False)
        batch_op.create_index('ix_deliveries_article', ['article_id'], unique=False)

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_reason', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('paused_reason')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_article')
        batch_op.drop_index('ix_deliveries_chat_message')
        batch_op.drop_index('ix_deliveries_chat_sent')
        batch_op.drop_constraint(batch_op.f('uq_deliveries_chat_id_thread_id_story_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_deliveries_chat_id_thread_id_article_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_deliveries_chat_id_story_id'), ['chat_id', 'story_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_deliveries_chat_id_article_id'), ['chat_id', 'article_id'])
        batch_op.drop_column('parts_sent')
        batch_op.drop_column('silent')
        batch_op.drop_column('schedule')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claimed_by')
