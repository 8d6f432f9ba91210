"""login sessions, disk offerings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

A migration must keep working with the previous release's code: replicas upgrade one by one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disk_offerings",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("size_gib", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=17), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disk_offerings")),
        sa.UniqueConstraint("name", name=op.f("uq_disk_offerings_name")),
        sa.UniqueConstraint("ref", name=op.f("uq_disk_offerings_ref")),
    )
    with op.batch_alter_table("disk_offerings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disk_offerings_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "login_sessions",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_login_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_login_sessions")),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_sessions_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_login_sessions_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_login_sessions_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("volumes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disk_offering_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_volumes_disk_offering_id_disk_offerings"),
            "disk_offerings",
            ["disk_offering_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("volumes", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_volumes_disk_offering_id_disk_offerings"), type_="foreignkey"
        )
        batch_op.drop_column("disk_offering_id")

    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_sessions_user_id"))
        batch_op.drop_index(batch_op.f("ix_login_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_login_sessions_created_at"))

    op.drop_table("login_sessions")
    with op.batch_alter_table("disk_offerings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disk_offerings_created_at"))

    op.drop_table("disk_offerings")
