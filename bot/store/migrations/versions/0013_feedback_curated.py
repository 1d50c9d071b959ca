"""feedback and curated answers: answers given and their 👍/👎, the office's own answers,
repeats of an unanswered question grouped by a folded key

Revision ID: 0013
Revises: 0012

Existing unanswered questions get their key here, folded as bot.store.unanswered does it.
"""

import sqlalchemy as sa
from alembic import op

from bot.store.unanswered import question_key

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unanswered_questions") as batch:
        batch.add_column(
            sa.Column("question_key", sa.String(255), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("answered_by", sa.Integer(), nullable=True))
    op.create_index(
        "ix_unanswered_questions_question_key", "unanswered_questions", ["question_key"]
    )
    table = sa.table(
        "unanswered_questions",
        sa.column("id", sa.Integer()),
        sa.column("question", sa.Text()),
        sa.column("question_key", sa.String()),
    )
    bind = op.get_bind()
    for row_id, question in bind.execute(sa.select(table.c.id, table.c.question)).all():
        bind.execute(
            table.update().where(table.c.id == row_id).values(question_key=question_key(question))
        )

    op.create_table(
        "answer_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("question_key", sa.String(255), nullable=False, server_default=""),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("curated_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.String(8), nullable=False, server_default=""),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
    )
    op.create_index(
        "ix_answer_log_asker", "answer_log", ["channel", "chat_id", "user_id", "asked_at"]
    )
    op.create_index("ix_answer_log_rated_at", "answer_log", ["rated_at"])

    op.create_table(
        "curated_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("review_note", sa.String(500), nullable=False, server_default=""),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "curated_questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "curated_id",
            sa.Integer(),
            sa.ForeignKey("curated_answers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("model_id", sa.String(255), nullable=False, server_default=""),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("folded_vector", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_curated_questions_curated_id", "curated_questions", ["curated_id"])
    op.create_index("ix_curated_questions_key", "curated_questions", ["key"])


def downgrade() -> None:
    op.drop_index("ix_curated_questions_key", "curated_questions")
    op.drop_index("ix_curated_questions_curated_id", "curated_questions")
    op.drop_table("curated_questions")
    op.drop_table("curated_answers")
    op.drop_index("ix_answer_log_rated_at", "answer_log")
    op.drop_index("ix_answer_log_asker", "answer_log")
    op.drop_table("answer_log")
    op.drop_index("ix_unanswered_questions_question_key", "unanswered_questions")
    with op.batch_alter_table("unanswered_questions") as batch:
        batch.drop_column("answered_by")
        batch.drop_column("question_key")
