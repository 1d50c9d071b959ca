"""lease owners (inbox, outbox); an inbox update's first failure, dead letter and last error

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("last_error", sa.String(length=500), nullable=False, server_default="")
        )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("lease_owner")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("last_error")
        batch.drop_column("dead_at")
        batch.drop_column("failing_since")
        batch.drop_column("lease_owner")
