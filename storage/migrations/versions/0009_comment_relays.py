"""comment relays: deliveries.comment_id (a relayed comment's copy in a chat, once per chat)
and comment_follows (chats that get an explainer's new comments)

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy), as in 0007: a nullable column and an index.
    op.add_column('deliveries', sa.Column('comment_id', sa.Integer(), nullable=True))
    op.create_index('uq_deliveries_chat_comment', 'deliveries', ['chat_id', 'comment_id'],
                    unique=True)
    op.create_table(
        'comment_follows',
        sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('story_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], onupdate='CASCADE',
                                ondelete='CASCADE',
                                name=op.f('fk_comment_follows_chat_id_chats')),
        sa.PrimaryKeyConstraint('chat_id', 'story_id', name=op.f('pk_comment_follows')),
    )
    op.create_index(op.f('ix_comment_follows_story_id'), 'comment_follows', ['story_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_comment_follows_story_id'), table_name='comment_follows')
    op.drop_table('comment_follows')
    op.drop_index('uq_deliveries_chat_comment', table_name='deliveries')
    op.drop_column('deliveries', 'comment_id')
