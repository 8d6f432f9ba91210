"""launch templates: named launch parameters an account keeps (CIMI MachineTemplate)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

A migration must keep working with the previous release's code: replicas upgrade one by one.
This one only adds a table, which the previous release never reads. Its one reference that
another release could trip over is the key pair: deleting a key pair (which that release does
as before) sets the templates' ``key_pair_id`` to NULL through ``ON DELETE SET NULL``, so
neither release's DeleteKeyPair is refused. Deleting an account in that release leaves the
account's templates behind, naming its deregistered images, until this release runs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXED = ("account_id", "created_at", "flavor_id", "image_id", "key_pair_id", "network_id")


def upgrade() -> None:
    op.create_table(
        "launch_templates",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("image_id", sa.Uuid(), nullable=False),
        sa.Column("flavor_id", sa.Uuid(), nullable=False),
        sa.Column("key_pair_id", sa.Uuid(), nullable=True),
        sa.Column("user_data", sa.LargeBinary(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=True),
        sa.Column("start", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=17), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_launch_templates_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["flavor_id"], ["flavors.id"], name=op.f("fk_launch_templates_flavor_id_flavors")
        ),
        sa.ForeignKeyConstraint(
            ["image_id"], ["images.id"], name=op.f("fk_launch_templates_image_id_images")
        ),
        sa.ForeignKeyConstraint(
            ["key_pair_id"],
            ["key_pairs.id"],
            name=op.f("fk_launch_templates_key_pair_id_key_pairs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_launch_templates_network_id_networks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_templates")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_launch_templates_account_id")),
        sa.UniqueConstraint("ref", name=op.f("uq_launch_templates_ref")),
    )
    with op.batch_alter_table("launch_templates", schema=None) as batch_op:
        for column in _INDEXED:
            batch_op.create_index(batch_op.f(f"ix_launch_templates_{column}"), [column])


def downgrade() -> None:
    with op.batch_alter_table("launch_templates", schema=None) as batch_op:
        for column in reversed(_INDEXED):
            batch_op.drop_index(batch_op.f(f"ix_launch_templates_{column}"))
    op.drop_table("launch_templates")
