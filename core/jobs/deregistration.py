"""Deregistering an image's row: one path for its owner's or an admin's call (``ImageService``)
and for its account's deletion (``DeleteAccount``), below both so that neither imports the other.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import events
from core.db.models import Image, Instance, Job
from core.enums import EventState, EventType, JobStatus, ResourceKind
from core.states import IMAGES, ImageTransition, InstanceState


def image_file_needed(session: Session, image_id: uuid.UUID) -> bool:
    """Whether an image's file (and its base volumes on the hosts) may still be read: a job on
    the image is not over, or an instance launched from it is not terminated."""
    busy = select(Job.id).where(
        Job.resource_id == image_id, Job.status.in_((JobStatus.PENDING, JobStatus.RUNNING))
    )
    used = select(Instance.id).where(
        Instance.image_id == image_id, Instance.state != InstanceState.TERMINATED
    )
    return session.scalar(busy.limit(1)) is not None or session.scalar(used.limit(1)) is not None


def deregister_row(
    session: Session, image: Image, *, user_id: uuid.UUID | None, why: str
) -> Path | None:
    """The one way an image is deregistered, by its owner, an admin or its account's deletion:
    its state, its name freed for reuse (the row stays, for the events and instances that name
    it), its event. Returns the store file to remove once this commits, or None while something
    still needs it (``remove_unneeded_files`` removes it later)."""
    name = image.name
    image.state = IMAGES.next_state(image.state, ImageTransition.DEREGISTER, ref=image.ref)
    image.state_reason = why
    image.name = f"{name} (deregistered {image.ref})"
    events.record(
        session,
        account_id=image.account_id,
        user_id=user_id,
        type=EventType.TEMPLATE_DELETE,
        state=EventState.COMPLETED,
        description=f"image {name} {why}",
        resource=(ResourceKind.IMAGE, image.id),
    )
    return None if image_file_needed(session, image.id) else Path(image.path)
