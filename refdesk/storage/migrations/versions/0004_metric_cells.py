"""Metric facts and cells: one row of facts per referral, and each partner's referrals of one local month
counted, so that reports read hundreds of rows instead of a million.

Both tables are derived data: created and filled here from the referrals (40 to 50 s per million
referrals), then kept current by the session hooks in ``refdesk.domain.models.metrics``.

The fill calls the application's ``rebuild_all``, which writes the tables as the models describe them. A
later revision that changes these tables must rebuild them in its own upgrade and turn the call below
into nothing (the tables then stay empty until that later revision, which knows their columns, fills
them).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metric_fact",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("service_line_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("close_reason", sa.String(length=32), nullable=True),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("ack_bucket", sa.Integer(), nullable=True),
        sa.Column("contact_bucket", sa.Integer(), nullable=True),
        sa.Column("appointment_bucket", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_fact")),
    )
    with op.batch_alter_table("metric_fact", schema=None) as batch_op:
        batch_op.create_index("ix_metric_fact_partner_received", ["partner_id", "received_at"], unique=False)
        batch_op.create_index("ix_metric_fact_received_at", ["received_at"], unique=False)
    op.create_table(
        "metric_cell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("contacted", sa.Integer(), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.Column("scheduled", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("no_show", sa.Integer(), nullable=False),
        sa.Column("rescheduled", sa.Integer(), nullable=False),
        sa.Column("ack_measured", sa.Integer(), nullable=False),
        sa.Column("ack_within", sa.Integer(), nullable=False),
        sa.Column("contact_measured", sa.Integer(), nullable=False),
        sa.Column("contact_within", sa.Integer(), nullable=False),
        sa.Column("by_service_line", sa.JSON(), nullable=False),
        sa.Column("by_channel", sa.JSON(), nullable=False),
        sa.Column("close_reasons", sa.JSON(), nullable=False),
        sa.Column("ack_histogram", sa.Text(), nullable=False),
        sa.Column("contact_histogram", sa.Text(), nullable=False),
        sa.Column("appointment_histogram", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_metric_cell_partner_id_partner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_cell")),
        sa.UniqueConstraint("partner_id", "month", name=op.f("uq_metric_cell_partner_id")),
    )
    with op.batch_alter_table("metric_cell", schema=None) as batch_op:
        batch_op.create_index("ix_metric_cell_month", ["month"], unique=False)

    from refdesk.services.metric_cells import rebuild_all

    rebuild_all(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("metric_cell", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_cell_month")
    op.drop_table("metric_cell")
    with op.batch_alter_table("metric_fact", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_fact_received_at")
        batch_op.drop_index("ix_metric_fact_partner_received")
    op.drop_table("metric_fact")
