"""Unanswered questions log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("best_chunk_id", sa.String(255), nullable=False, server_default=""),
    )
    op.create_index("ix_unanswered_questions_asked_at", "unanswered_questions", ["asked_at"])


def downgrade() -> None:
    op.drop_index("ix_unanswered_questions_asked_at", "unanswered_questions")
    op.drop_table("unanswered_questions")
