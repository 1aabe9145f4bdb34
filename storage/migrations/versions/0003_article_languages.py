"""article languages and stories (language versions)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('story_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('story_key', sa.String(length=2048), nullable=True))
        batch_op.create_index(batch_op.f('ix_articles_story_id'), ['story_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_articles_story_key'), ['story_key'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_articles_story_id_articles'), 'articles', ['story_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('story_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_deliveries_chat_id_story_id'), ['chat_id', 'story_id'])

    # Every article stored so far is a story of its own, and so is every delivery's article.
    op.execute('UPDATE articles SET story_id = id')
    op.execute('UPDATE deliveries SET story_id = article_id WHERE article_id IS NOT NULL')


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_deliveries_chat_id_story_id'), type_='unique')
        batch_op.drop_column('story_id')

    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_articles_story_id_articles'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_articles_story_key'))
        batch_op.drop_index(batch_op.f('ix_articles_story_id'))
        batch_op.drop_column('story_key')
        batch_op.drop_column('story_id')
        batch_op.drop_column('language')
