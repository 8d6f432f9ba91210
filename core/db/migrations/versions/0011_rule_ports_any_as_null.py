"""security group rules: an ICMP rule's "any" type or code is NULL, not EC2's -1

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

A migration must keep working with the previous release's code: replicas upgrade one by one.
The previous release reads NULL ICMP ports as "any" already (its host filters, event texts and
native rendering do); until it is upgraded, its EC2 rendering of such a rule lacks the -1 and it
does not see a new "any" ICMP rule as a duplicate of a migrated one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RULES = sa.table(
    "security_group_rules",
    sa.column("protocol", sa.String()),
    sa.column("from_port", sa.Integer()),
    sa.column("to_port", sa.Integer()),
)
_ANY = -1


def upgrade() -> None:
    icmp = _RULES.c.protocol == "icmp"
    for port in (_RULES.c.from_port, _RULES.c.to_port):
        op.execute(_RULES.update().where(icmp, port == _ANY).values({port.name: None}))


def downgrade() -> None:
    icmp = _RULES.c.protocol == "icmp"
    for port in (_RULES.c.from_port, _RULES.c.to_port):
        op.execute(_RULES.update().where(icmp, port.is_(None)).values({port.name: _ANY}))
