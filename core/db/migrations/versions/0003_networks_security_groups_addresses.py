"""networks security groups addresses

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

A migration must keep working with the previous release's code: replicas upgrade one by one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "networks",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cidr", sa.String(length=18), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=17), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_networks_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_networks_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_networks")),
        sa.UniqueConstraint("ref", name=op.f("uq_networks_ref")),
    )
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_networks_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_networks_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_networks_state"), ["state"], unique=False)

    op.create_table(
        "security_groups",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=17), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_security_groups_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_groups")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_security_groups_account_id")),
        sa.UniqueConstraint("ref", name=op.f("uq_security_groups_ref")),
    )
    with op.batch_alter_table("security_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_security_groups_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_security_groups_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "security_group_rules",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("from_port", sa.Integer(), nullable=True),
        sa.Column("to_port", sa.Integer(), nullable=True),
        sa.Column("cidr", sa.String(length=18), nullable=True),
        sa.Column("source_group_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=17), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["security_groups.id"],
            name=op.f("fk_security_group_rules_group_id_security_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["source_group_id"],
            ["security_groups.id"],
            name=op.f("fk_security_group_rules_source_group_id_security_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_group_rules")),
        sa.UniqueConstraint("ref", name=op.f("uq_security_group_rules_ref")),
    )
    with op.batch_alter_table("security_group_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_security_group_rules_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_security_group_rules_group_id"), ["group_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_security_group_rules_source_group_id"), ["source_group_id"], unique=False
        )

    op.create_table(
        "addresses",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.Column("ip", sa.String(length=15), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=True),
        sa.Column("associated_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=17), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_addresses_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["instances.id"], name=op.f("fk_addresses_instance_id_instances")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_addresses_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
        sa.UniqueConstraint("ip", name=op.f("uq_addresses_ip")),
        sa.UniqueConstraint("ref", name=op.f("uq_addresses_ref")),
    )
    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_addresses_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_addresses_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_addresses_instance_id"), ["instance_id"], unique=False)

    op.create_table(
        "instance_security_groups",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["security_groups.id"],
            name=op.f("fk_instance_security_groups_group_id_security_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["instances.id"],
            name=op.f("fk_instance_security_groups_instance_id_instances"),
        ),
        sa.PrimaryKeyConstraint(
            "instance_id", "group_id", name=op.f("pk_instance_security_groups")
        ),
    )
    with op.batch_alter_table("instance_security_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_instance_security_groups_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "nics",
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("device_index", sa.Integer(), nullable=False),
        sa.Column("mac", sa.String(length=17), nullable=False),
        sa.Column("ip", sa.String(length=15), nullable=False),
        sa.Column("lease_ip", sa.String(length=15), nullable=True),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=17), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["instances.id"], name=op.f("fk_nics_instance_id_instances")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_nics_network_id_networks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nics")),
        sa.UniqueConstraint("mac", name=op.f("uq_nics_mac")),
        sa.UniqueConstraint("ref", name=op.f("uq_nics_ref")),
    )
    with op.batch_alter_table("nics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nics_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_nics_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nics_network_id"), ["network_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("nics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nics_network_id"))
        batch_op.drop_index(batch_op.f("ix_nics_instance_id"))
        batch_op.drop_index(batch_op.f("ix_nics_created_at"))

    op.drop_table("nics")
    with op.batch_alter_table("instance_security_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instance_security_groups_group_id"))

    op.drop_table("instance_security_groups")
    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_addresses_instance_id"))
        batch_op.drop_index(batch_op.f("ix_addresses_created_at"))
        batch_op.drop_index(batch_op.f("ix_addresses_account_id"))

    op.drop_table("addresses")
    with op.batch_alter_table("security_group_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_group_rules_source_group_id"))
        batch_op.drop_index(batch_op.f("ix_security_group_rules_group_id"))
        batch_op.drop_index(batch_op.f("ix_security_group_rules_created_at"))

    op.drop_table("security_group_rules")
    with op.batch_alter_table("security_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_groups_created_at"))
        batch_op.drop_index(batch_op.f("ix_security_groups_account_id"))

    op.drop_table("security_groups")
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_networks_state"))
        batch_op.drop_index(batch_op.f("ix_networks_created_at"))
        batch_op.drop_index(batch_op.f("ix_networks_account_id"))

    op.drop_table("networks")
