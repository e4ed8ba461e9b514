"""Indexes for the Today worklist: open referrals by next action and due time, referrals still waiting
for their first contact attempt, and required records that have not arrived.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen at this revision, like 0001's: a later change of the lifecycle needs a revision of its own.
OPEN_STATES_SQL = (
    "state IN ('received', 'contact_attempted', 'reached', 'scheduled', 'no_show', 'appointment_cancelled')"
)
NOT_CONTACTED_SQL = "state = 'received' AND first_attempt_at IS NULL"
MISSING_SQL = "received_on IS NULL"


def upgrade() -> None:
    # Plain CREATE INDEX: no table rebuild, so the search index's triggers on referral are untouched.
    op.create_index(
        "ix_referral_open_action_due",
        "referral",
        ["next_action", "next_action_at", "id"],
        unique=False,
        sqlite_where=sa.text(OPEN_STATES_SQL),
        postgresql_where=sa.text(OPEN_STATES_SQL),
    )
    op.create_index(
        "ix_referral_first_contact_due",
        "referral",
        ["first_contact_due_at", "id"],
        unique=False,
        sqlite_where=sa.text(NOT_CONTACTED_SQL),
        postgresql_where=sa.text(NOT_CONTACTED_SQL),
    )
    op.create_index(
        "ix_referral_record_missing",
        "referral_record",
        ["requested_on", "referral_id"],
        unique=False,
        sqlite_where=sa.text(MISSING_SQL),
        postgresql_where=sa.text(MISSING_SQL),
    )


def downgrade() -> None:
    op.drop_index("ix_referral_record_missing", table_name="referral_record")
    op.drop_index("ix_referral_first_contact_due", table_name="referral")
    op.drop_index("ix_referral_open_action_due", table_name="referral")
