"""Key pairs (spec §2.11): the fingerprints AWS shows, computed here with ``cryptography``, a
duplicate name refused, a malformed public key refused, and deletion.

* ``CreateKeyPair`` (RSA): SHA-1 of the private key as DER PKCS#8, 20 colon-separated bytes.
* ``ImportKeyPair`` (RSA): MD5 of the public key as DER SubjectPublicKeyInfo, 16 bytes.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conformance.ec2.checks import colon_hex, id_pattern, refused, until_not_found
from conformance.ec2.client import Ec2, Resources

SHA1_FINGERPRINT: Final = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){19}")
MD5_FINGERPRINT: Final = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){15}")
KEY_PAIR_ID: Final = id_pattern("key")


def test_created_key_pair_fingerprint_is_sha1_of_the_private_key(
    ec2: Ec2, resources: Resources, unique: str
) -> None:
    created = resources.key_pair(unique)
    assert created["KeyName"] == unique
    fingerprint = created["KeyFingerprint"]
    assert SHA1_FINGERPRINT.fullmatch(fingerprint), fingerprint
    private = serialization.load_pem_private_key(created["KeyMaterial"].encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey), type(private)
    pkcs8 = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert fingerprint == colon_hex(hashlib.sha1(pkcs8).digest())
    [described] = ec2.describe_key_pairs(KeyNames=[unique])["KeyPairs"]
    assert described["KeyFingerprint"] == fingerprint
    assert "KeyMaterial" not in described
    if "KeyPairId" in created:  # added to the API in 2020; older servers omit it
        assert KEY_PAIR_ID.fullmatch(created["KeyPairId"]), created["KeyPairId"]
        assert described["KeyPairId"] == created["KeyPairId"]


def test_imported_key_pair_fingerprint_is_md5_of_the_public_key(
    ec2: Ec2, resources: Resources, unique: str
) -> None:
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    openssh = public.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    imported = ec2.import_key_pair(KeyName=unique, PublicKeyMaterial=openssh)
    resources.track("key-pair", unique)
    assert imported["KeyName"] == unique
    spki = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert MD5_FINGERPRINT.fullmatch(imported["KeyFingerprint"]), imported["KeyFingerprint"]
    assert imported["KeyFingerprint"] == colon_hex(hashlib.md5(spki).digest())
    [described] = ec2.describe_key_pairs(KeyNames=[unique])["KeyPairs"]
    assert described["KeyFingerprint"] == imported["KeyFingerprint"]


def test_duplicate_name_is_refused(ec2: Ec2, resources: Resources, unique: str) -> None:
    first = resources.key_pair(unique)
    assert refused(lambda: ec2.create_key_pair(KeyName=unique)) == (
        "InvalidKeyPair.Duplicate",
        400,
    )
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    openssh = public.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    assert refused(lambda: ec2.import_key_pair(KeyName=unique, PublicKeyMaterial=openssh)) == (
        "InvalidKeyPair.Duplicate",
        400,
    )
    [kept] = ec2.describe_key_pairs(KeyNames=[unique])["KeyPairs"]
    assert kept["KeyFingerprint"] == first["KeyFingerprint"], "the first key pair was replaced"


def test_malformed_public_key_is_refused(ec2: Ec2, resources: Resources, unique: str) -> None:
    answer = refused(
        lambda: ec2.import_key_pair(KeyName=unique, PublicKeyMaterial=b"ssh-rsa not-a-key"),
        resources.adopt,
    )
    assert answer == ("InvalidKeyPair.Format", 400)


def test_deleted_key_pair_is_gone(ec2: Ec2, resources: Resources, unique: str) -> None:
    resources.key_pair(unique)
    ec2.delete_key_pair(KeyName=unique)
    until_not_found(lambda: ec2.describe_key_pairs(KeyNames=[unique]), "InvalidKeyPair.NotFound")
