"""account state, instance destroyed_at

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

A migration must keep working with the previous release's code: replicas upgrade one by one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=32), nullable=False, server_default="enabled")
        )
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("destroyed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_column("destroyed_at")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("state")
