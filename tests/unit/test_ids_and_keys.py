"""Id formats, and key fingerprints against vectors made by ssh-keygen and openssl."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from core import ids, keys
from core.errors import InvalidArgument
from core.views import KeyPairView
from translations.ec2 import key_fingerprint

DATA = Path(__file__).parent / "data"


def _vectors() -> dict[tuple[str, str], str]:
    lines = (DATA / "fingerprints.txt").read_text().splitlines()
    rows = [line.split() for line in lines if line and not line.startswith("#")]
    return {(name, kind): value for name, kind, value in rows}


VECTORS = _vectors()


def test_ref_is_17_lowercase_hex_and_random() -> None:
    refs = {ids.new_ref() for _ in range(2000)}
    assert len(refs) == 2000
    assert all(re.fullmatch(r"[0-9a-f]{17}", ref) for ref in refs)


@pytest.mark.parametrize(
    ("text", "is_ref"),
    [
        ("0123456789abcdef0", True),
        ("0123456789ABCDEF0", False),
        ("0123456789abcdef", False),
        ("0123456789abcdef01", False),
        ("i-0123456789abcdef0", False),
    ],
)
def test_is_ref(text: str, is_ref: bool) -> None:
    assert ids.is_ref(text) is is_ref


def test_parse_uuid() -> None:
    value = uuid.uuid4()
    assert ids.parse_uuid(str(value)) == value
    assert ids.parse_uuid(str(value).upper()) == value
    assert ids.parse_uuid("0123456789abcdef0") is None
    assert ids.parse_uuid("") is None


@pytest.mark.parametrize("name", ["rsa.pub", "ed25519.pub"])
def test_ssh_fingerprints_match_ssh_keygen(name: str) -> None:
    key = keys.parse_public_key((DATA / name).read_text())
    assert keys.ssh_md5(key) == VECTORS[(name, "ssh-md5")]
    assert keys.ssh_sha256(key) == VECTORS[(name, "ssh-sha256")]


def test_public_der_md5_is_what_aws_shows_for_an_imported_rsa_key() -> None:
    key = keys.parse_public_key((DATA / "rsa.pub").read_text())
    assert keys.public_der_md5(key) == VECTORS[("rsa.pub", "aws-imported")]


def test_private_key_sha1_is_what_aws_shows_for_an_rsa_key_it_made() -> None:
    pem = (DATA / "rsa.pem").read_text()
    assert keys.private_key_sha1(pem) == VECTORS[("rsa.pem", "aws-created")]


def _view(name: str, *, private_key_sha1: str | None = None) -> KeyPairView:
    key = keys.parse_public_key((DATA / name).read_text())
    return KeyPairView(
        uuid.uuid4(),
        ids.new_ref(),
        uuid.uuid4(),
        "acct",
        name,
        key.key_type,
        key.openssh,
        keys.ssh_md5(key),
        keys.ssh_sha256(key),
        keys.public_der_md5(key),
        private_key_sha1,
        dt.datetime(2026, 12, 3),
    )


@pytest.mark.parametrize(
    ("view", "shown"),
    [
        pytest.param(_view("rsa.pub"), VECTORS[("rsa.pub", "aws-imported")], id="rsa-imported"),
        pytest.param(
            _view("rsa.pub", private_key_sha1=VECTORS[("rsa.pem", "aws-created")]),
            VECTORS[("rsa.pem", "aws-created")],
            id="rsa-made-here",
        ),
        pytest.param(
            _view("ed25519.pub"),
            VECTORS[("ed25519.pub", "ssh-sha256")].removeprefix("SHA256:") + "=",
            id="ed25519-padded-base64-sha256",
        ),
    ],
)
def test_ec2_shows_the_fingerprint_aws_shows(view: KeyPairView, shown: str) -> None:
    assert key_fingerprint(view) == shown


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_generated_key_pairs_are_consistent(key_type: keys.KeyType) -> None:
    generated = keys.generate(key_type, comment="made-here")
    private = (
        serialization.load_pem_private_key(generated.private_pem.encode(), password=None)
        if key_type == "rsa"
        else serialization.load_ssh_private_key(generated.private_pem.encode(), password=None)
    )
    line = (
        private.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    assert generated.public.openssh == f"{line} made-here"
    assert generated.private_key_sha1 == keys.private_key_sha1(generated.private_pem)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("ssh-rsa", id="no-blob"),
        pytest.param("ssh-dss AAAAB3NzaC1kc3MAAACBAP", id="dsa"),
        pytest.param("ssh-rsa !!!notbase64", id="bad-base64"),
        pytest.param("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA==", id="truncated"),
        pytest.param(b"\xff\xfe", id="not-ascii"),
    ],
)
def test_bad_public_keys_are_refused(text: str | bytes) -> None:
    with pytest.raises(InvalidArgument):
        keys.parse_public_key(text)


def test_short_rsa_keys_are_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    line = small.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    with pytest.raises(InvalidArgument, match="2048"):
        keys.parse_public_key(line)
