"""SSH key pairs: generation, parsing and the fingerprints of a key.

Each fingerprint is named by what it digests; which one an API shows is that API's rule
(``translations``). Clients compare them byte for byte:

* ``ssh_md5`` and ``ssh_sha256``: of the OpenSSH key blob, as ``ssh-keygen -l`` prints them
  (``-E md5`` in colon hex, ``-E sha256`` as unpadded base64 after ``SHA256:``).
* ``public_der_md5``: MD5 of the DER SubjectPublicKeyInfo, in colon hex.
* ``private_key_sha1``: SHA-1 of the DER PKCS#8 private key, in colon hex; known only for a
  key generated here, since the private key is never stored.

The ``cryptography`` package does the key math; only the formatting lives here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Final, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from core.errors import InvalidArgument

KeyType = Literal["rsa", "ed25519"]
_SSH_TYPES: Final[dict[str, KeyType]] = {"ssh-rsa": "rsa", "ssh-ed25519": "ed25519"}
MIN_RSA_BITS: Final = 2048


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A validated OpenSSH public key line, normalised to ``type base64 [comment]``."""

    key_type: KeyType
    openssh: str
    blob: bytes


@dataclass(frozen=True, slots=True)
class GeneratedKey:
    public: PublicKey
    private_pem: str
    private_key_sha1: str


def _colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def ssh_md5(key: PublicKey) -> str:
    return _colon_hex(hashlib.md5(key.blob, usedforsecurity=False).digest())


def ssh_sha256(key: PublicKey) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.blob).digest()).decode().rstrip("=")


def public_der_md5(key: PublicKey) -> str:
    """MD5 of the key's DER SubjectPublicKeyInfo."""
    loaded = serialization.load_ssh_public_key(key.openssh.encode())
    der = loaded.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _colon_hex(hashlib.md5(der, usedforsecurity=False).digest())


def private_key_sha1(private_pem: str) -> str:
    """SHA-1 of the DER PKCS#8 form of a private key in PEM (traditional or PKCS#8) or in
    OpenSSH's own format, as ``generate`` writes ed25519 keys."""
    data = private_pem.encode()
    private = (
        serialization.load_ssh_private_key(data, password=None)
        if private_pem.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
        else serialization.load_pem_private_key(data, password=None)
    )
    pkcs8 = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _colon_hex(hashlib.sha1(pkcs8, usedforsecurity=False).digest())


def parse_public_key(text: str | bytes) -> PublicKey:
    """An OpenSSH public key line (``ssh-rsa AAAA... comment``), checked by really loading it.

    AWS and CloudStack both accept the key base64-encoded once more (ImportKeyPair's blob arrives
    base64 in the query), so a caller passes the decoded bytes.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidArgument("public_key", "is not an OpenSSH public key") from None
    fields = text.strip().split(None, 2)
    if len(fields) < 2 or fields[0] not in _SSH_TYPES:
        raise InvalidArgument(
            "public_key", "is not an OpenSSH public key of type ssh-rsa or ssh-ed25519"
        )
    try:
        blob = base64.b64decode(fields[1], validate=True)
        loaded = serialization.load_ssh_public_key(f"{fields[0]} {fields[1]}".encode())
    except (binascii.Error, ValueError, TypeError):
        raise InvalidArgument("public_key", "the key data does not decode") from None
    if isinstance(loaded, rsa.RSAPublicKey) and loaded.key_size < MIN_RSA_BITS:
        raise InvalidArgument("public_key", f"RSA keys need at least {MIN_RSA_BITS} bits")
    return PublicKey(_SSH_TYPES[fields[0]], " ".join(fields), blob)


def generate(key_type: KeyType, comment: str) -> GeneratedKey:
    """A new key pair; the private key is returned once and never stored."""
    private: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    if key_type == "rsa":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_format = serialization.PrivateFormat.TraditionalOpenSSL
    else:
        private = ed25519.Ed25519PrivateKey.generate()
        private_format = serialization.PrivateFormat.OpenSSH
    pem = private.private_bytes(
        serialization.Encoding.PEM, private_format, serialization.NoEncryption()
    ).decode()
    line = (
        private.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    public = parse_public_key(f"{line} {comment}")
    return GeneratedKey(public, pem, private_key_sha1(pem))
