"""image copies: their source image and client token

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22

A migration must keep working with the previous release's code: replicas upgrade one by one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_image_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("client_token", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_column("client_token")
        batch_op.drop_column("source_image_id")
