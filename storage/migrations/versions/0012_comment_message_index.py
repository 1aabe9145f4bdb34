"""comment message index: an edited comment message (or /delete replying to it) finds its
comment by (chat_id, telegram_message_id) through an index, not a scan of every comment

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-02 18:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'  # the lead re-chains it after the other branches' ones
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_comments_chat_message', 'comments', ['chat_id', 'telegram_message_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_comments_chat_message', table_name='comments')
