"""outbox rows by chat: a chat's oldest open message found without scanning the others

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_chat", "outbox", ["chat_id", "channel", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_chat", "outbox")
