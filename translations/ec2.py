"""Core vocabulary in EC2's words: id prefixes, error codes, volume and image states, and which
of a key pair's fingerprints EC2 shows. Only data and pure rules.

EC2 ids are ``<prefix>-<ref>``, where the ref is core's 17-hex ref (DESIGN rule 3). A text that
does not look like an id of the right kind is ``Invalid<X>.Malformed``; a well-formed id nobody
owns is ``.NotFound``. AWS still has 8-hex ids in the wild, so 8 hex digits are well-formed too
(they simply never exist here).

Error codes for core errors are looked up by (kind of error, kind of resource); the HTTP status
follows AWS: client errors 400, server-side capacity and internal errors 5xx.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from core.enums import ImageState, Protocol, SnapshotState, VolumeState
from core.views import KeyPairView


@dataclass(frozen=True, slots=True)
class IdKind:
    """One kind of EC2 id: its prefix, how its errors are named, and what messages call it."""

    prefix: str
    malformed: str
    not_found: str
    noun: str

    def render(self, ref: str) -> str:
        return f"{self.prefix}-{ref}"


_ID_BODY: Final = re.compile(r"(?:[0-9a-f]{8}|[0-9a-f]{17})")

INSTANCE: Final = IdKind(
    "i", "InvalidInstanceID.Malformed", "InvalidInstanceID.NotFound", "instance ID"
)
RESERVATION: Final = IdKind(
    "r", "InvalidReservationID.Malformed", "InvalidReservationID.NotFound", "reservation ID"
)
IMAGE: Final = IdKind("ami", "InvalidAMIID.Malformed", "InvalidAMIID.NotFound", "image id")
VOLUME: Final = IdKind("vol", "InvalidVolumeID.Malformed", "InvalidVolume.NotFound", "volume")
SNAPSHOT: Final = IdKind(
    "snap", "InvalidSnapshotID.Malformed", "InvalidSnapshot.NotFound", "snapshot"
)
SECURITY_GROUP: Final = IdKind(
    "sg", "InvalidGroupId.Malformed", "InvalidGroup.NotFound", "security group"
)
SECURITY_GROUP_RULE: Final = IdKind(
    "sgr",
    "InvalidSecurityGroupRuleId.Malformed",
    "InvalidSecurityGroupRuleId.NotFound",
    "security group rule",
)
KEY_PAIR: Final = IdKind("key", "InvalidKeyPair.Format", "InvalidKeyPair.NotFound", "key pair")
ALLOCATION: Final = IdKind(
    "eipalloc", "InvalidAllocationID.Malformed", "InvalidAllocationID.NotFound", "allocation ID"
)
ASSOCIATION: Final = IdKind(
    "eipassoc", "InvalidAssociationID.Malformed", "InvalidAssociationID.NotFound", "association ID"
)
VPC: Final = IdKind("vpc", "InvalidVpcID.Malformed", "InvalidVpcID.NotFound", "vpc ID")
SUBNET: Final = IdKind(
    "subnet", "InvalidSubnetID.Malformed", "InvalidSubnetID.NotFound", "subnet ID"
)
NETWORK_INTERFACE: Final = IdKind(
    "eni",
    "InvalidNetworkInterfaceID.Malformed",
    "InvalidNetworkInterfaceID.NotFound",
    "network interface ID",
)


def ref_of(kind: IdKind, text: str) -> str | None:
    """The ref inside ``text`` when it is a well-formed id of ``kind``, else None."""
    prefix, _, body = text.partition("-")
    return body if prefix == kind.prefix and _ID_BODY.fullmatch(body) else None


# Which id kind names a core resource kind, for NotFound and the like.
KIND_IDS: Final[Mapping[str, IdKind]] = MappingProxyType(
    {
        "instance": INSTANCE,
        "image": IMAGE,
        "volume": VOLUME,
        "snapshot": SNAPSHOT,
        "security-group": SECURITY_GROUP,
        "security-group-rule": SECURITY_GROUP_RULE,
        "key-pair": KEY_PAIR,
        "address": ALLOCATION,
        "network": SUBNET,
        "vpc": VPC,
    }
)


VOLUME_STATES: Final[Mapping[VolumeState, str]] = MappingProxyType(
    {
        VolumeState.CREATING: "creating",
        VolumeState.AVAILABLE: "available",
        VolumeState.ATTACHING: "in-use",
        VolumeState.IN_USE: "in-use",
        VolumeState.DETACHING: "in-use",
        VolumeState.DELETING: "deleting",
        VolumeState.DELETED: "deleted",
        VolumeState.ERROR: "error",
    }
)

# The attachment's own state, shown while a volume is attached or on its way.
ATTACHMENT_STATES: Final[Mapping[VolumeState, str]] = MappingProxyType(
    {
        VolumeState.ATTACHING: "attaching",
        VolumeState.IN_USE: "attached",
        VolumeState.DETACHING: "detaching",
    }
)

SNAPSHOT_STATES: Final[Mapping[SnapshotState, str]] = MappingProxyType(
    {
        SnapshotState.PENDING: "pending",
        SnapshotState.COMPLETED: "completed",
        SnapshotState.DELETING: "pending",
        SnapshotState.DELETED: "completed",
        SnapshotState.ERROR: "error",
    }
)

IMAGE_STATES: Final[Mapping[ImageState, str]] = MappingProxyType(
    {
        ImageState.PENDING: "pending",
        ImageState.AVAILABLE: "available",
        ImageState.FAILED: "failed",
        ImageState.DEREGISTERED: "deregistered",
    }
)


# EC2 writes "all protocols" as -1 (it accepts "all" too); the others by name.
PROTOCOLS: Final[Mapping[Protocol, str]] = MappingProxyType(
    {
        Protocol.TCP: "tcp",
        Protocol.UDP: "udp",
        Protocol.ICMP: "icmp",
        Protocol.ALL: "-1",
    }
)


def key_fingerprint(pair: KeyPairView) -> str:
    """The fingerprint AWS shows for a key pair (its 'Verify your key pair' page): an ed25519
    key's SHA-256 in padded base64; for an RSA key it generated, the SHA-1 of the PKCS#8
    private key; for an RSA key it imported, the MD5 of the DER public key."""
    if pair.key_type == "ed25519":
        return pair.fingerprint_sha256.removeprefix("SHA256:") + "="
    return pair.private_key_sha1 or pair.public_der_md5
