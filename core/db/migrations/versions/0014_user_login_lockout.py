"""users: failed password logins in a row, and when they locked the user

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

A migration must keep working with the previous release's code: replicas upgrade one by one.
Both columns have defaults the previous release never needs to write: it inserts users without
them (0 failures, not locked) and never reads them, so it lets a locked user log in until it is
upgraded too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_at")
        batch_op.drop_column("failed_logins")
