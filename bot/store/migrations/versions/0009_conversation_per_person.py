"""a conversation per chat and person: people in one group chat each have their own form

Revision ID: 0009
Revises: 0008

Existing rows get their person's account id: a private chat's is the chat's own id; a group
chat's goes to the linked account of the person who wrote last (whose unit the router checks
before showing anything of the form).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# SQLite's unique constraints have no names: the batch copy names them by this convention.
NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
NEW = "uq_conversations_chat_user"

BACKFILL = """
UPDATE conversations SET user_id = COALESCE(
    (SELECT ci.external_id FROM channel_identities ci
     WHERE ci.channel = conversations.channel AND ci.external_id = conversations.chat_id),
    (SELECT MIN(ci.external_id) FROM channel_identities ci
     WHERE ci.channel = conversations.channel AND ci.person_id = conversations.person_id),
    conversations.chat_id)
"""

# Downgrading keeps the newest row of each chat: the old key allows one.
KEEP_ONE_PER_CHAT = """
DELETE FROM conversations WHERE id NOT IN (
    SELECT MAX(id) FROM conversations GROUP BY channel, chat_id)
"""


def _unique_name(columns: list[str], default: str) -> str:
    """The reflected name of the unique constraint over `columns` (PostgreSQL names them
    itself), else the batch convention's name (SQLite)."""
    for found in sa.inspect(op.get_bind()).get_unique_constraints("conversations"):
        if list(found["column_names"]) == columns and found.get("name"):
            return str(found["name"])
    return default


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(
            sa.Column("user_id", sa.String(length=128), nullable=False, server_default="")
        )
    op.execute(BACKFILL)
    old = _unique_name(["channel", "chat_id"], "uq_conversations_channel")
    with op.batch_alter_table("conversations", naming_convention=NAMES) as batch:
        batch.drop_constraint(old, type_="unique")
        batch.create_unique_constraint(NEW, ["channel", "chat_id", "user_id"])


def downgrade() -> None:
    op.execute(KEEP_ONE_PER_CHAT)
    with op.batch_alter_table("conversations", naming_convention=NAMES) as batch:
        batch.drop_constraint(NEW, type_="unique")
        batch.create_unique_constraint("uq_conversations_channel", ["channel", "chat_id"])
        batch.drop_column("user_id")
