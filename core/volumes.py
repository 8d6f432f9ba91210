"""Volume rows that follow their instance: the root disk is born and dies with it, and data
volumes are left available when it goes. Shared by the instance jobs and the storage service."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import Volume
from core.enums import VolumeState, VolumeType
from core.states import VOLUMES, VolumeTransition


def volumes_of(session: Session, instance_id: uuid.UUID) -> list[Volume]:
    return list(
        session.scalars(
            select(Volume).where(
                Volume.instance_id == instance_id, Volume.state != VolumeState.DELETED
            )
        )
    )


def root_bytes(session: Session, instance_id: uuid.UUID, minimum: int) -> int:
    """The size of the instance's root disk: its volume row says, once it has one."""
    sizes = [
        v.size_bytes for v in volumes_of(session, instance_id) if v.volume_type is VolumeType.ROOT
    ]
    return max([minimum, *sizes])


def root_in_use(session: Session, instance_id: uuid.UUID) -> None:
    for volume in volumes_of(session, instance_id):
        if volume.volume_type is VolumeType.ROOT:
            volume.state = VOLUMES.next_state(volume.state, VolumeTransition.LAUNCH, ref=volume.ref)
            volume.attached_at = volume.attached_at or utcnow()


def root_failed(session: Session, instance_id: uuid.UUID, reason: str) -> None:
    for volume in volumes_of(session, instance_id):
        if volume.volume_type is VolumeType.ROOT:
            volume.state = VOLUMES.next_state(volume.state, VolumeTransition.FAIL, ref=volume.ref)
            volume.state_reason = reason


def release(session: Session, instance_id: uuid.UUID) -> None:
    """The instance is gone: its root volume with it, its data volumes detached."""
    for volume in volumes_of(session, instance_id):
        if volume.volume_type is VolumeType.ROOT:
            volume.state = VOLUMES.next_state(volume.state, VolumeTransition.RETIRE, ref=volume.ref)
            volume.deleted_at = utcnow()
        else:
            volume.state = VOLUMES.next_state(
                volume.state, VolumeTransition.RELEASE, ref=volume.ref
            )
            volume.instance_id = None
            volume.device = None
            volume.attached_at = None
