"""volumes and snapshots

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

A migration must keep working with the previous release's code: replicas upgrade one by one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "volumes",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "volume_type",
            sa.String(length=32),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.String(length=32),
            nullable=False,
        ),
        sa.Column("state_reason", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=True),
        sa.Column("device", sa.String(length=16), nullable=True),
        sa.Column("snapshot_id", sa.Uuid(), nullable=True),
        sa.Column("attached_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=17), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_volumes_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["host_id"], ["hosts.id"], name=op.f("fk_volumes_host_id_hosts")),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["instances.id"], name=op.f("fk_volumes_instance_id_instances")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_volumes_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volumes")),
        sa.UniqueConstraint("ref", name=op.f("uq_volumes_ref")),
    )
    with op.batch_alter_table("volumes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volumes_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volumes_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_volumes_host_id"), ["host_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volumes_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volumes_state"), ["state"], unique=False)

    op.create_table(
        "snapshots",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("volume_id", sa.Uuid(), nullable=False),
        sa.Column("host_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.String(length=32),
            nullable=False,
        ),
        sa.Column("state_reason", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=17), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_snapshots_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["host_id"], ["hosts.id"], name=op.f("fk_snapshots_host_id_hosts")),
        sa.ForeignKeyConstraint(
            ["volume_id"], ["volumes.id"], name=op.f("fk_snapshots_volume_id_volumes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
        sa.UniqueConstraint("ref", name=op.f("uq_snapshots_ref")),
    )
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_snapshots_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_snapshots_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_snapshots_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_snapshots_volume_id"), ["volume_id"], unique=False)

    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("source_instance_id", sa.Uuid(), nullable=True))
        batch_op.alter_column(
            "virtual_size",
            existing_type=sa.INTEGER(),
            type_=sa.BigInteger(),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.alter_column(
            "virtual_size",
            existing_type=sa.BigInteger(),
            type_=sa.INTEGER(),
            existing_nullable=False,
        )
        batch_op.drop_column("source_instance_id")
        batch_op.drop_column("state_reason")

    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_snapshots_volume_id"))
        batch_op.drop_index(batch_op.f("ix_snapshots_state"))
        batch_op.drop_index(batch_op.f("ix_snapshots_created_at"))
        batch_op.drop_index(batch_op.f("ix_snapshots_account_id"))

    op.drop_table("snapshots")
    with op.batch_alter_table("volumes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volumes_state"))
        batch_op.drop_index(batch_op.f("ix_volumes_instance_id"))
        batch_op.drop_index(batch_op.f("ix_volumes_host_id"))
        batch_op.drop_index(batch_op.f("ix_volumes_created_at"))
        batch_op.drop_index(batch_op.f("ix_volumes_account_id"))

    op.drop_table("volumes")
