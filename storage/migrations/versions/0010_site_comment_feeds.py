"""site comment feeds: the comment feed an explainer's entry links (wfw:commentRss), the
polling state of each explainer's comment feed, and a key keeping each website comment once

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-02 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE and a unique index (no batch copy, as in 0007: a batch copy would
    # reflect articles, whose expression index it cannot read).
    op.add_column('articles', sa.Column('comment_feed_url', sa.String(length=2048),
                                        nullable=True))
    op.add_column('comments', sa.Column('site_key', sa.String(length=64), nullable=True))
    op.create_index('uq_comments_article_id_site_key', 'comments', ['article_id', 'site_key'],
                    unique=True)
    op.create_table(
        'site_comment_feeds',
        sa.Column('article_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('url', sa.String(length=2048), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('etag', sa.String(length=500), nullable=True),
        sa.Column('last_modified', sa.String(length=100), nullable=True),
        sa.Column('consecutive_failures', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_poll_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'],
                                name=op.f('fk_site_comment_feeds_article_id_articles'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('article_id', name=op.f('pk_site_comment_feeds')),
    )
    op.create_index(op.f('ix_site_comment_feeds_next_poll_at'), 'site_comment_feeds',
                    ['next_poll_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_site_comment_feeds_next_poll_at'), table_name='site_comment_feeds')
    op.drop_table('site_comment_feeds')
    op.drop_index('uq_comments_article_id_site_key', table_name='comments')
    op.drop_column('comments', 'site_key')
    op.drop_column('articles', 'comment_feed_url')
