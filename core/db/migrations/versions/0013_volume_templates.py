"""volume templates: named volumes an account keeps (CIMI VolumeTemplate)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

A migration must keep working with the previous release's code: replicas upgrade one by one.
This one only adds a table, which the previous release never reads. Its references cannot
trip that release: snapshots are deleted by state, so no snapshot row goes (and one that did
would leave its templates without it, through ``ON DELETE SET NULL``), and disk offerings are
never deleted. Deleting an account in that release leaves the account's templates behind
until this release runs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXED = ("account_id", "created_at", "disk_offering_id", "snapshot_id")


def upgrade() -> None:
    op.create_table(
        "volume_templates",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("disk_offering_id", sa.Uuid(), nullable=True),
        sa.Column("size_gib", sa.Integer(), nullable=True),
        sa.Column("snapshot_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=17), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_volume_templates_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["disk_offering_id"],
            ["disk_offerings.id"],
            name=op.f("fk_volume_templates_disk_offering_id_disk_offerings"),
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["snapshots.id"],
            name=op.f("fk_volume_templates_snapshot_id_snapshots"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume_templates")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_volume_templates_account_id")),
        sa.UniqueConstraint("ref", name=op.f("uq_volume_templates_ref")),
    )
    with op.batch_alter_table("volume_templates", schema=None) as batch_op:
        for column in _INDEXED:
            batch_op.create_index(batch_op.f(f"ix_volume_templates_{column}"), [column])


def downgrade() -> None:
    with op.batch_alter_table("volume_templates", schema=None) as batch_op:
        for column in reversed(_INDEXED):
            batch_op.drop_index(batch_op.f(f"ix_volume_templates_{column}"))
    op.drop_table("volume_templates")
