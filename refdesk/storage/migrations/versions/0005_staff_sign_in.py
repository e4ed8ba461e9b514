"""Staff sign-in: an account can be told to choose a new password, and remembers its last sign-in.

Existing accounts need neither: nobody is asked to change a password they never had, and nobody has
signed in yet.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("last_sign_in_at", sa.DateTime(), nullable=True))
    # The default was only for the rows already there; the model gives new rows theirs.
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.alter_column("must_change_password", existing_type=sa.Boolean(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("last_sign_in_at")
        batch_op.drop_column("must_change_password")
