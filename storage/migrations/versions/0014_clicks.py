"""click tracking and churn: tracked links (the "Read" buttons' /r/<token>), their daily
click counts, and when a chat's status last changed

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 18:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'

down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'tracked_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=True),
        sa.Column('broadcast_id', sa.Integer(), nullable=True),
        sa.Column('url', sa.String(length=2048), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE',
                                name=op.f('fk_tracked_links_article_id_articles')),
        sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], ondelete='CASCADE',
                                name=op.f('fk_tracked_links_broadcast_id_broadcasts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tracked_links')),
        sa.UniqueConstraint('token', name=op.f('uq_tracked_links_token')),
        sa.UniqueConstraint('article_id', name=op.f('uq_tracked_links_article_id')),
    )
    op.create_index(op.f('ix_tracked_links_broadcast_id'), 'tracked_links', ['broadcast_id'])
    op.create_table(
        'link_clicks',
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('clicks', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['link_id'], ['tracked_links.id'], ondelete='CASCADE',
                                name=op.f('fk_link_clicks_link_id_tracked_links')),
        sa.PrimaryKeyConstraint('link_id', 'day', name=op.f('pk_link_clicks')),
    )
    # Plain ALTER TABLE: SQLite adds (and 3.35+ drops) a nullable column in place.
    op.add_column('chats', sa.Column('status_changed_at', sa.DateTime(timezone=True),
                                     nullable=True))


def downgrade() -> None:
    op.drop_column('chats', 'status_changed_at')
    op.drop_table('link_clicks')
    op.drop_index(op.f('ix_tracked_links_broadcast_id'), table_name='tracked_links')
    op.drop_table('tracked_links')
