"""nominations: đề nghị khen thưởng with attachments and versions, a movement's nomination
settings, award results (per person or unit, per year), the clusters' year-end rankings

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nominations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("movement_id", sa.Integer(), sa.ForeignKey("movements.id"), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("nominee_kind", sa.String(16), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("nominee_name", sa.String(255), nullable=False, server_default=""),
        sa.Column("nominee_key", sa.String(300), nullable=False),
        sa.Column("award_code", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("drafted_by", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("submitted_by", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("year", "unit_id", "nominee_key", "award_code"),
    )
    op.create_index("ix_nominations_year", "nominations", ["year"])
    op.create_index("ix_nominations_unit_id", "nominations", ["unit_id"])
    op.create_table(
        "nomination_attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "nomination_id",
            sa.Integer(),
            sa.ForeignKey("nominations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
    )
    op.create_table(
        "nomination_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "nomination_id",
            sa.Integer(),
            sa.ForeignKey("nominations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.UniqueConstraint("nomination_id", "version"),
    )
    op.create_table(
        "nomination_settings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "movement_id",
            sa.Integer(),
            sa.ForeignKey("movements.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("quotas", sa.JSON(), nullable=False),
    )
    op.create_table(
        "award_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("award_code", sa.String(32), nullable=False),
        sa.Column("nominee_kind", sa.String(16), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("nominee_name", sa.String(255), nullable=False, server_default=""),
        sa.Column("nominee_key", sa.String(300), nullable=False),
        sa.Column("decision_number", sa.String(64), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=False),
        sa.Column("issuer", sa.String(255), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("year", "award_code", "nominee_key"),
    )
    op.create_index("ix_award_results_year", "award_results", ["year"])
    op.create_index("ix_award_results_unit_id", "award_results", ["unit_id"])
    op.create_index("ix_award_results_nominee_key", "award_results", ["nominee_key"])
    op.create_table(
        "cluster_rankings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "cluster_id",
            sa.Integer(),
            sa.ForeignKey("clusters.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("cluster_id", "unit_id"),
    )


def downgrade() -> None:
    op.drop_table("cluster_rankings")
    op.drop_index("ix_award_results_nominee_key", "award_results")
    op.drop_index("ix_award_results_unit_id", "award_results")
    op.drop_index("ix_award_results_year", "award_results")
    op.drop_table("award_results")
    op.drop_table("nomination_settings")
    op.drop_table("nomination_versions")
    op.drop_table("nomination_attachments")
    op.drop_index("ix_nominations_unit_id", "nominations")
    op.drop_index("ix_nominations_year", "nominations")
    op.drop_table("nominations")
