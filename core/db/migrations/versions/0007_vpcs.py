"""vpcs, and the vpc each network belongs to

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

A migration must keep working with the previous release's code: replicas upgrade one by one.
Existing networks keep no VPC of their own, which means the zone's default VPC.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vpcs",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.Column("cidr", sa.String(length=18), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=17), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_vpcs_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_vpcs_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vpcs")),
        sa.UniqueConstraint("ref", name=op.f("uq_vpcs_ref")),
    )
    with op.batch_alter_table("vpcs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vpcs_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vpcs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_vpcs_state"), ["state"], unique=False)
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vpc_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_networks_vpc_id"), ["vpc_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_networks_vpc_id_vpcs"), "vpcs", ["vpc_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_networks_vpc_id_vpcs"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_networks_vpc_id"))
        batch_op.drop_column("vpc_id")
    with op.batch_alter_table("vpcs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vpcs_state"))
        batch_op.drop_index(batch_op.f("ix_vpcs_created_at"))
        batch_op.drop_index(batch_op.f("ix_vpcs_account_id"))
    op.drop_table("vpcs")
