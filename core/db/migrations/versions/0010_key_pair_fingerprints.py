"""key pairs: fingerprints named by what they digest, not by the API that shows them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

A migration must keep working with the previous release's code: replicas upgrade one by one.
So this is the first half of the change. ``fingerprint_aws`` stays, nullable: a replica of the
previous release still reads it (a key pair this release makes has none, and that replica shows
no fingerprint for it) and still writes it, leaving the new columns empty; this release reads
such a row's fingerprints from its public key (``core/services/keypairs.py``). The second half,
a later revision once no replica of the previous release runs, moves a generated RSA key's
SHA-1 from ``fingerprint_aws`` where the new column is empty, makes the new columns NOT NULL
and drops ``fingerprint_aws``.

``fingerprint_aws`` held whichever fingerprint AWS shows: for an ed25519 key the SHA-256 of its
blob, for an RSA key generated here the SHA-1 of its PKCS#8 private key, for an imported RSA key
the MD5 of its DER public key. The first and last are computed again from the public key; an RSA
row whose value is not its DER MD5 was generated here, and that value is its private key's SHA-1
(which nothing else can recompute: private keys are never stored, so an ed25519 key generated
before this revision has none). The math is written out here
rather than imported from ``core.keys``, so that this revision keeps meaning what it meant.
"""

import base64
import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives import serialization

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY_PAIRS = sa.table(
    "key_pairs",
    sa.column("id", sa.Uuid()),
    sa.column("key_type", sa.String()),
    sa.column("public_key", sa.Text()),
    sa.column("fingerprint_aws", sa.String()),
    sa.column("fingerprint_sha256", sa.String()),
    sa.column("public_der_md5", sa.String()),
    sa.column("private_key_sha1", sa.String()),
)


def _colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def _sha256(public_key: str) -> str:
    """``ssh-keygen -E sha256`` of the OpenSSH blob."""
    blob = base64.b64decode(public_key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _der_md5(public_key: str) -> str:
    loaded = serialization.load_ssh_public_key(" ".join(public_key.split()[:2]).encode())
    der = loaded.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _colon_hex(hashlib.md5(der, usedforsecurity=False).digest())


def upgrade() -> None:
    with op.batch_alter_table("key_pairs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("public_der_md5", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("private_key_sha1", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            _KEY_PAIRS.c.id,
            _KEY_PAIRS.c.key_type,
            _KEY_PAIRS.c.public_key,
            _KEY_PAIRS.c.fingerprint_aws,
        )
    ).all()
    for row in rows:
        der_md5 = _der_md5(row.public_key)
        generated = row.key_type == "rsa" and row.fingerprint_aws != der_md5
        connection.execute(
            _KEY_PAIRS.update()
            .where(_KEY_PAIRS.c.id == row.id)
            .values(
                fingerprint_sha256=_sha256(row.public_key),
                public_der_md5=der_md5,
                private_key_sha1=row.fingerprint_aws if generated else None,
            )
        )
    with op.batch_alter_table("key_pairs", schema=None) as batch_op:
        batch_op.alter_column("fingerprint_aws", existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    """Gives the key pairs this release made the ``fingerprint_aws`` they lack."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            _KEY_PAIRS.c.id,
            _KEY_PAIRS.c.key_type,
            _KEY_PAIRS.c.public_key,
            _KEY_PAIRS.c.private_key_sha1,
        ).where(_KEY_PAIRS.c.fingerprint_aws.is_(None))
    ).all()
    for row in rows:
        shown = (
            _sha256(row.public_key).removeprefix("SHA256:") + "="
            if row.key_type == "ed25519"
            else row.private_key_sha1 or _der_md5(row.public_key)
        )
        connection.execute(
            _KEY_PAIRS.update().where(_KEY_PAIRS.c.id == row.id).values(fingerprint_aws=shown)
        )
    with op.batch_alter_table("key_pairs", schema=None) as batch_op:
        batch_op.alter_column("fingerprint_aws", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("private_key_sha1")
        batch_op.drop_column("public_der_md5")
        batch_op.drop_column("fingerprint_sha256")
