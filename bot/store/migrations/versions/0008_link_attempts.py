"""link attempts: wrong invite codes per chat and per account, for the invite throttle

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_link_attempts_chat", "link_attempts", ["channel", "chat_id", "at"])
    op.create_index("ix_link_attempts_user", "link_attempts", ["channel", "user_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_link_attempts_user", "link_attempts")
    op.drop_index("ix_link_attempts_chat", "link_attempts")
    op.drop_table("link_attempts")
