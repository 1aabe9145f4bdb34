"""comments moderation: the reader's formatted body, why a comment is held and who reviewed
it, an index for per-user rate limits, and the commenters table (consent, bans, flood notices)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): SQLite adds and (3.35+) drops nullable columns in
    # place, and a batch copy would reflect articles, whose expression index it cannot read.
    op.add_column('comments', sa.Column('body_html', sa.Text(), nullable=True))
    op.add_column('comments', sa.Column('held_reason', sa.String(length=32), nullable=True))
    op.add_column('comments', sa.Column('reviewed_by', sa.BigInteger(), nullable=True))
    op.create_index('ix_comments_user_created', 'comments', ['user_id', 'created_at'],
                    unique=False)

    op.create_table(
        'commenters',
        sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('consent', sa.String(length=16), nullable=True),
        sa.Column('banned', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('banned_by', sa.BigInteger(), nullable=True),
        sa.Column('slowed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_commenters')),
    )


def downgrade() -> None:
    op.drop_table('commenters')
    op.drop_index('ix_comments_user_created', table_name='comments')
    op.drop_column('comments', 'reviewed_by')
    op.drop_column('comments', 'held_reason')
    op.drop_column('comments', 'body_html')
