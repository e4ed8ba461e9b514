"""Intake items get a key that lasts across script versions; appointments get a note.

A reworded intake item keeps its key, so a referral's answer to the earlier wording still counts; the
answer row itself is never touched (it keeps pointing at the item version it answered). Items written
before this revision each get a key of their own.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=40), nullable=True))
    # Portable SQL (SQLite and PostgreSQL): one key per existing item.
    op.execute("UPDATE intake_item SET key = 'item-' || CAST(id AS VARCHAR(20)) WHERE key IS NULL")
    with op.batch_alter_table("intake_item", schema=None) as batch_op:
        batch_op.alter_column("key", existing_type=sa.String(length=40), nullable=False)
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("note")
    with op.batch_alter_table("intake_item", schema=None) as batch_op:
        batch_op.drop_column("key")
