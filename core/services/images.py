"""Images: registering a user's qcow2/raw file, and listing what a caller may launch.

A registered file is inspected with ``qemu-img info`` (format, virtual size, and no backing
file: a qcow2 pointing at another file would let a user read the host's disk), then copied into
the installation's image store so the user's copy can move or change without breaking guests.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from core import events, tags
from core.db.database import Database
from core.db.models import Image, Instance
from core.enums import DiskFormat, EventState, EventType, ImageState, JobKind, ResourceKind
from core.errors import Conflict, InvalidArgument, InvalidState, NotFound
from core.jobs import queue
from core.services.lookup import identity_clause
from core.states import InstanceState
from core.views import Accepted, Caller, ImageView

_FORMATS: Final = {"qcow2": DiskFormat.QCOW2, "raw": DiskFormat.RAW}
_HASH_CHUNK: Final = 1024 * 1024


def to_view(image: Image) -> ImageView:
    return ImageView(
        image.id,
        image.ref,
        image.name,
        image.description,
        image.account_id,
        image.is_public,
        image.disk_format,
        image.virtual_size,
        image.checksum,
        image.state,
        image.created_at,
        image.state_reason,
        image.source_instance_id,
    )


def inspect(path: Path) -> tuple[DiskFormat, int]:
    if not path.is_file():
        raise InvalidArgument("file", f"{path} is not a readable file")
    try:
        done = subprocess.run(
            ["qemu-img", "info", "--output=json", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        raise InvalidArgument(
            "file", "qemu-img is not installed (run scripts/setup-host.sh)"
        ) from None
    except subprocess.CalledProcessError as exc:
        raise InvalidArgument("file", f"not a disk image: {exc.stderr.strip()}") from None
    info = json.loads(done.stdout)
    disk_format = _FORMATS.get(info.get("format", ""))
    if disk_format is None:
        raise InvalidArgument("file", f"format {info.get('format')!r}; qcow2 or raw expected")
    if info.get("backing-filename"):
        raise InvalidArgument("file", "images with a backing file are refused")
    return disk_format, int(info["virtual-size"])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


#: What a listing shows: an image being captured, or whose capture failed, is still the
#: caller's to see; only available ones can be launched.
LISTED_STATES: Final = (ImageState.PENDING, ImageState.AVAILABLE, ImageState.FAILED)


def visible_images(
    caller: Caller, states: tuple[ImageState, ...] = (ImageState.AVAILABLE,)
) -> Select[Image]:
    """Images the caller may see: public ones and its own (admins: all)."""
    query = select(Image).where(Image.state.in_(states))
    if not caller.is_admin:
        query = query.where(or_(Image.is_public, Image.account_id == caller.account_id))
    return query


def find_image(
    session: Session,
    caller: Caller,
    text: str,
    states: tuple[ImageState, ...] = (ImageState.AVAILABLE,),
) -> Image:
    """By UUID, ref, or name; a name matches the caller's own image before a public one."""
    clause = identity_clause(Image, text)
    rows = session.scalars(
        visible_images(caller, states).where(clause if clause is not None else Image.name == text)
    ).all()
    if not rows:
        raise NotFound("image", text)
    own = [image for image in rows if image.account_id == caller.account_id]
    return (own or rows)[0]


class ImageService:
    def __init__(
        self, db: Database, images_dir: Path, wake_workers: Callable[[], None] = lambda: None
    ) -> None:
        self._db = db
        self._images_dir = images_dir
        self._wake = wake_workers

    @staticmethod
    def _check_name(session: Session, caller: Caller, name: str) -> None:
        if not name.strip() or len(name) > 128:
            raise InvalidArgument("name", "1-128 characters")
        taken = select(Image.id).where(Image.account_id == caller.account_id, Image.name == name)
        if session.scalar(taken) is not None:
            raise Conflict("image", name, "this account has an image with that name")

    def capture(
        self,
        caller: Caller,
        instance_ref: str,
        *,
        name: str,
        description: str = "",
        public: bool = False,
    ) -> Accepted[ImageView]:
        """A new image from an instance's root disk (EC2 CreateImage, CloudStack
        createTemplate, CIMI capture, OCCI save). A running instance is copied as it runs:
        the copy is crash-consistent, like EC2's NoReboot."""
        with self._db.transaction() as session:
            self._check_name(session, caller, name)
            clause = identity_clause(Instance, instance_ref)
            query = select(Instance).where(clause if clause is not None else false())
            if not caller.is_admin:
                query = query.where(Instance.account_id == caller.account_id)
            instance = session.scalars(query.with_for_update()).first()
            if instance is None:
                raise NotFound("instance", instance_ref)
            if instance.state not in (InstanceState.RUNNING, InstanceState.STOPPED):
                raise InvalidState("instance", instance.ref, instance.state.value, "capture")
            image_id = uuid.uuid4()
            image = Image(
                id=image_id,
                account_id=instance.account_id,
                name=name,
                description=description,
                is_public=public and caller.is_admin,
                disk_format=DiskFormat.QCOW2,
                path=str(self._images_dir / f"{image_id}.qcow2"),
                virtual_size=0,
                checksum="",
                state=ImageState.PENDING,
                source_instance_id=instance.id,
            )
            session.add(image)
            session.flush()
            job = queue.enqueue(
                session,
                caller,
                kind=JobKind.CAPTURE_IMAGE,
                resource=(ResourceKind.IMAGE, image.id),
                account_id=instance.account_id,
                event_type=EventType.TEMPLATE_CREATE,
                description=f"capturing image {name} from instance i-{instance.ref}",
            )
            accepted = Accepted(to_view(image), job.id)
        self._wake()
        return accepted

    def register(
        self,
        caller: Caller,
        source: Path,
        *,
        name: str,
        public: bool = False,
        description: str = "",
    ) -> ImageView:
        disk_format, virtual_size = inspect(source)
        with self._db.transaction() as session:
            self._check_name(session, caller, name)
        image_id = uuid.uuid4()
        self._images_dir.mkdir(parents=True, exist_ok=True)
        stored = self._images_dir / f"{image_id}.{disk_format.value}"
        partial = stored.with_suffix(".partial")
        shutil.copyfile(source, partial)
        partial.replace(stored)
        stored.chmod(0o644)
        try:
            with self._db.transaction() as session:
                image = Image(
                    id=image_id,
                    account_id=caller.account_id,
                    name=name,
                    description=description,
                    is_public=public and caller.is_admin,
                    disk_format=disk_format,
                    path=str(stored),
                    virtual_size=virtual_size,
                    checksum=sha256_of(stored),
                )
                session.add(image)
                session.flush()
                events.record(
                    session,
                    account_id=caller.account_id,
                    user_id=caller.user_id,
                    type=EventType.TEMPLATE_CREATE,
                    state=EventState.COMPLETED,
                    description=f"image {name} registered",
                    resource=(ResourceKind.IMAGE, image.id),
                )
                return to_view(image)
        except BaseException:
            stored.unlink(missing_ok=True)  # no file without its row
            raise

    def list_images(
        self, caller: Caller, *, image_tags: Mapping[str, Sequence[str]] | None = None
    ) -> list[ImageView]:
        statement = visible_images(caller, LISTED_STATES).where(
            *tags.filter_clauses(Image.id, image_tags or {})
        )
        with self._db.transaction() as session:
            rows = session.scalars(statement.order_by(Image.created_at))
            return [to_view(image) for image in rows]

    def get_image(self, caller: Caller, text: str) -> ImageView:
        with self._db.transaction() as session:
            return to_view(find_image(session, caller, text, LISTED_STATES))
