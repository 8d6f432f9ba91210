"""Images: registering a user's qcow2/raw file or URL, listing what a caller may launch, and
deregistering.

A registered file is inspected with ``qemu-img info`` (format, virtual size, and no backing
file or external data file: a qcow2 pointing at another file would let a user read the host's
disk), then copied into the installation's image store so the user's copy can move or change
without breaking guests. A URL is downloaded by a job (``core.jobs.image_jobs``) and goes
through the same inspection before it becomes available.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
import urllib.parse
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import Session

from core import events, filtering, idempotency, paging, tags
from core.db.database import Database, rehearsing
from core.db.models import Account, Image, Instance
from core.enums import (
    DiskFormat,
    EventState,
    EventType,
    ImageScope,
    ImageState,
    JobKind,
    ResourceKind,
    Settle,
)
from core.errors import Conflict, InvalidArgument, InvalidState, NotFound, NotPermitted
from core.jobs import queue, settling
from core.jobs.deregistration import deregister_row, image_file_needed
from core.services.lookup import contains_text, identity_clause, identity_clauses
from core.states import InstanceState
from core.views import Accepted, Caller, ImageQuery, ImageView, Page

_FORMATS: Final = {"qcow2": DiskFormat.QCOW2, "raw": DiskFormat.RAW}
_HASH_CHUNK: Final = 1024 * 1024
_URL_SCHEMES: Final = ("http", "https")
_MAX_URL_LENGTH: Final = 2048
#: Digest algorithms a URL registration may be checked against, and their hex lengths.
DIGEST_LENGTHS: Final = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}


@dataclass(frozen=True, slots=True)
class Digest:
    """What the downloaded file must hash to: a ``hashlib`` name and a lowercase hex digest."""

    algorithm: str
    hexdigest: str


def to_view(image: Image) -> ImageView:
    return ImageView(
        image.id,
        image.ref,
        image.name,
        image.description,
        image.account_id,
        image.account.name,
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
    if info.get("format-specific", {}).get("data", {}).get("data-file"):
        raise InvalidArgument("file", "images with an external data file are refused")
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


def _without_credentials(url: urllib.parse.SplitResult) -> str:
    """The URL as events may show it: no user:password, no query (it may hold a token)."""
    host = url.hostname or ""
    netloc = f"{host}:{url.port}" if url.port else host
    return urllib.parse.urlunsplit((url.scheme, netloc, url.path, "", ""))


def visible_images(
    caller: Caller, states: tuple[ImageState, ...] = (ImageState.AVAILABLE,)
) -> Select[Image]:
    """Images the caller may see: public ones and its own (admins: all)."""
    query = select(Image).where(Image.state.in_(states))
    if not caller.is_admin:
        query = query.where(or_(Image.is_public, Image.account_id == caller.account_id))
    return query


def _whose(caller: Caller, owners: Sequence[ImageScope | uuid.UUID]) -> ColumnElement[bool]:
    """Images any of ``owners`` admits: a scope relative to the caller, or an owning account."""
    mine = Image.account_id == caller.account_id
    scopes = {
        ImageScope.OWN: mine,
        ImageScope.PUBLIC: Image.is_public,
        ImageScope.SHARED: and_(Image.is_public, ~mine),
    }
    accounts = [o for o in owners if isinstance(o, uuid.UUID)]
    clauses = [scopes[o] for o in owners if isinstance(o, ImageScope)]
    return or_(*clauses, Image.account_id.in_(accounts))


def listing_fields(caller: Caller) -> filtering.Fields:
    """What ``ImageQuery.where`` can name: the view's fields, as ``caller`` sees them (the
    tags of others' public images and instances it may not see are not shown, so they match
    nothing)."""
    source = [Instance.id == Image.source_instance_id]
    tags_shown = None
    if not caller.is_admin:
        source.append(Instance.account_id == caller.account_id)
        tags_shown = Image.account_id == caller.account_id
    own = (
        "id",
        "ref",
        "name",
        "description",
        "account_id",
        "is_public",
        "disk_format",
        "virtual_size",
        "checksum",
        "state",
        "created_at",
        "state_reason",
        "source_instance_id",
    )
    return filtering.Fields(
        {
            **{name: getattr(Image, name) for name in own},
            "owner_account_id": Image.account_id,
            "account_name": filtering.scalar(Account.name, Account.id == Image.account_id),
            "source_instance_ref": filtering.scalar(Instance.ref, *source),
        },
        filtering.Tagged(ResourceKind.IMAGE, Image.id, tags_shown),
    )


def _rich_views(session: Session, caller: Caller, images: Sequence[Image]) -> list[ImageView]:
    """Views with tags and source instances, read for all ``images`` at once. Tags belong to
    their account: a public image shows them to its owner (and admins) only, as on EC2."""
    visible = [i.id for i in images if caller.is_admin or i.account_id == caller.account_id]
    found = tags.of(session, visible)
    sources = _source_refs(session, caller, images)
    return [
        dataclasses.replace(
            to_view(i),
            tags=found.get(i.id, {}),
            source_instance_ref=sources.get(i.source_instance_id),
        )
        for i in images
    ]


def _source_refs(
    session: Session, caller: Caller, images: Sequence[Image]
) -> dict[uuid.UUID | None, str]:
    """The refs of the instances ``images`` were captured from, those the caller may see."""
    wanted = {i.source_instance_id for i in images if i.source_instance_id is not None}
    if not wanted:
        return {}
    statement = select(Instance.id, Instance.ref).where(Instance.id.in_(wanted))
    if not caller.is_admin:
        statement = statement.where(Instance.account_id == caller.account_id)
    return {row.id: row.ref for row in session.execute(statement)}


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
        image_tags: Mapping[str, str] | None = None,
    ) -> Accepted[ImageView]:
        """A new image from an instance's root disk (EC2 CreateImage, CloudStack
        createTemplate, CIMI capture, OCCI save). A running instance is copied as it runs:
        the copy is crash-consistent, like EC2's NoReboot."""
        wanted = dict(image_tags or {})
        tags.validate(wanted)
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
            accepted = self._pending(
                session,
                caller,
                Image(
                    account_id=instance.account_id,
                    name=name,
                    description=description,
                    is_public=public and caller.is_admin,
                    disk_format=DiskFormat.QCOW2,
                    source_instance_id=instance.id,
                ),
                wanted,
                JobKind.CAPTURE_IMAGE,
                f"capturing image {name} from instance {instance.name}",
            )
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

    def register_from_url(
        self,
        caller: Caller,
        url: str,
        *,
        name: str,
        disk_format: DiskFormat,
        description: str = "",
        public: bool = False,
        digest: Digest | None = None,
        image_tags: Mapping[str, str] | None = None,
    ) -> Accepted[ImageView]:
        """A new image downloaded from ``url`` (CloudStack registerTemplate). The image is
        PENDING until its DOWNLOAD_IMAGE job has fetched the file and found it to be a
        ``disk_format`` image without a backing file (and, with ``digest``, with that hash);
        then AVAILABLE, else FAILED with the reason and no file left behind."""
        wanted = dict(image_tags or {})
        tags.validate(wanted)
        if len(url) > _MAX_URL_LENGTH:
            raise InvalidArgument("url", f"at most {_MAX_URL_LENGTH} characters")
        try:
            parsed = urllib.parse.urlsplit(url)
            parsed.port  # noqa: B018 -- urlsplit checks the port only when it is read
        except ValueError as exc:
            raise InvalidArgument("url", f"not a URL: {exc}") from None
        if parsed.scheme.lower() not in _URL_SCHEMES or not parsed.hostname:
            raise InvalidArgument("url", "an http:// or https:// URL with a host is expected")
        if digest is not None:
            length = DIGEST_LENGTHS.get(digest.algorithm)
            if length is None:
                raise InvalidArgument("checksum", f"one of {', '.join(DIGEST_LENGTHS)} expected")
            if len(digest.hexdigest) != length or not all(
                c in "0123456789abcdef" for c in digest.hexdigest
            ):
                raise InvalidArgument("checksum", f"{length} lowercase hex digits expected")
        with self._db.transaction() as session:
            self._check_name(session, caller, name)
            params: dict[str, str] = {"url": url}
            if digest is not None:
                params |= {"digest_algorithm": digest.algorithm, "digest": digest.hexdigest}
            accepted = self._pending(
                session,
                caller,
                Image(
                    account_id=caller.account_id,
                    name=name,
                    description=description,
                    is_public=public and caller.is_admin,
                    disk_format=disk_format,
                ),
                wanted,
                JobKind.DOWNLOAD_IMAGE,
                f"downloading image {name} from {_without_credentials(parsed)}",
                params,
            )
        self._wake()
        return accepted

    def _pending(
        self,
        session: Session,
        caller: Caller,
        image: Image,
        wanted_tags: Mapping[str, str],
        job_kind: JobKind,
        what: str,
        params: Mapping[str, object] | None = None,
    ) -> Accepted[ImageView]:
        """Store a new image as PENDING, its file to come in the image store from the job
        (a capture, a download or a copy), with its tags."""
        image.id = uuid.uuid4()
        image.path = str(self._images_dir / f"{image.id}.{image.disk_format.value}")
        image.virtual_size, image.checksum, image.state = 0, "", ImageState.PENDING
        session.add(image)
        session.flush()
        tags.add(session, image.account_id, ResourceKind.IMAGE, image.id, wanted_tags)
        job = queue.enqueue(
            session,
            caller,
            kind=job_kind,
            resource=(ResourceKind.IMAGE, image.id),
            account_id=image.account_id,
            event_type=EventType.TEMPLATE_CREATE,
            description=what,
            params=params,
        )
        return Accepted(to_view(image), job.id)

    def update_image(
        self,
        caller: Caller,
        ref: str,
        *,
        description: str | None = None,
        public: bool | None = None,
    ) -> ImageView:
        """Change what an image's owner may change; only an administrator publishes an image
        or withdraws it from the public catalogue, as only they can register public ones."""
        if description is not None and len(description) > 255:
            raise InvalidArgument("description", "at most 255 characters")
        with self._db.transaction() as session:
            image = find_image(session, caller, ref, LISTED_STATES)
            if image.account_id != caller.account_id and not caller.is_admin:
                raise NotPermitted("image", image.ref, "belongs to another account")
            if public is not None and public != image.is_public and not caller.is_admin:
                raise NotPermitted("image", image.ref, "only an administrator publishes images")
            if description is not None:
                image.description = description
            if public is not None:
                image.is_public = public
            return to_view(image)

    def copy_image(
        self,
        caller: Caller,
        ref: str,
        *,
        name: str,
        description: str | None = None,
        image_tags: Mapping[str, str] | None = None,
        client_token: str | None = None,
    ) -> Accepted[ImageView]:
        """A new image of the caller's own with the same disk (EC2 CopyImage), PENDING until
        its DOWNLOAD_IMAGE job has copied the file within the image store. A ``client_token``
        used before returns that copy when the source and name are the same."""
        wanted = dict(image_tags or {})
        tags.validate(wanted)
        idempotency.check(client_token)
        with self._db.transaction() as session:
            source = find_image(session, caller, ref)
            if client_token is not None:
                made = idempotency.made_before(
                    session,
                    select(Image),
                    Image.account_id,
                    Image.client_token,
                    caller.account_id,
                    client_token,
                )
                if made:
                    earlier = made[0]
                    idempotency.require_same(
                        client_token, (earlier.source_image_id, earlier.name), (source.id, name)
                    )
                    return Accepted(to_view(earlier), None)
            self._check_name(session, caller, name)
            accepted = self._pending(
                session,
                caller,
                Image(
                    account_id=caller.account_id,
                    name=name,
                    description=source.description if description is None else description,
                    is_public=False,
                    disk_format=source.disk_format,
                    source_image_id=source.id,
                    client_token=client_token,
                ),
                wanted,
                JobKind.DOWNLOAD_IMAGE,
                f"copying image {source.name} as {name}",
                {"copy_of": source.path},
            )
        self._wake()
        return accepted

    def deregister(
        self, caller: Caller, ref: str, *, settle: Settle = Settle.RAISE
    ) -> Accepted[ImageView]:
        """Done within the call; settled as a job, the job is over at once. The answer is the
        image as it was before."""
        return settling.settle_on(
            self._db,
            caller,
            settle,
            lambda: Accepted(self._deregister(caller, ref), None),
            kind=JobKind.DELETE_IMAGE,
            event=EventType.TEMPLATE_DELETE,
            resource=ResourceKind.IMAGE,
            read=lambda: self.get_image(caller, ref),
            text=lambda found: f"deregistering image {found.name}",
            done_at_once=True,
        )

    def _deregister(self, caller: Caller, ref: str) -> ImageView:
        """The image can no longer be listed or launched (CloudStack deleteTemplate, EC2
        DeregisterImage); only its owner or an admin may do it, others get NotFound.

        What instances still need: a root disk is a qcow2 *overlay* whose backing file is the
        image's base volume ``image-<id>.<format>`` in each host's pool (see
        ``LibvirtDriver.create_guest``), uploaded from the file in the image store on the first
        launch on that host. So the base volume must outlive the image for as long as any
        instance launched from it is not terminated: the reconciler counts such images as
        owned and does not remove their base volumes, and removes them as orphans once the last
        of those instances is terminated. The file in the image store is kept under the same
        condition (a launch still queued uploads it; a restore rebuilds the root disk from it)
        and is removed here when nothing needs it, otherwise later by
        ``remove_unneeded_files``, which the reconciler runs as a chore.
        Snapshots, volumes and captured images are full copies and need neither.

        The row stays, for the events and instances that name it, under a changed name, so the
        owner can register a new image with the old name (CloudStack allows that).
        """
        with self._db.transaction() as session:
            clause = identity_clause(Image, ref)
            query = select(Image).where(
                clause if clause is not None else Image.name == ref,
                Image.state != ImageState.DEREGISTERED,
            )
            if not caller.is_admin:
                query = query.where(Image.account_id == caller.account_id)
            image = session.scalars(query.order_by(Image.created_at).with_for_update()).first()
            if image is None:
                raise NotFound("image", ref)
            before = to_view(image)
            unneeded = deregister_row(session, image, user_id=caller.user_id, why="deregistered")
        if unneeded is not None and not rehearsing():
            unneeded.unlink(missing_ok=True)
        return before

    def remove_unneeded_files(self) -> list[Path]:
        """Remove the store's files of deregistered images that nothing needs any more (the
        last instance launched from one was terminated); a reconciler chore."""
        with self._db.transaction() as session:
            rows = session.execute(
                select(Image.id, Image.path).where(Image.state == ImageState.DEREGISTERED)
            ).all()
            leftover = [
                Path(path)
                for image_id, path in rows
                if Path(path).exists() and not image_file_needed(session, image_id)
            ]
        for path in leftover:
            path.unlink(missing_ok=True)
        return leftover

    def list_images(self, caller: Caller, query: ImageQuery) -> Page[ImageView]:
        """The images ``query`` selects among those the caller may see, in SQL, with their
        tags and the instances they were captured from."""
        statement = visible_images(caller, LISTED_STATES)
        if query.states:  # within the listed ones: a deregistered image is gone for good
            statement = statement.where(Image.state.in_(query.states))
        if query.ids:
            statement = statement.where(identity_clauses(Image, tuple(query.ids)))
        if query.names:
            statement = statement.where(Image.name.in_(query.names))
        if query.text_contains:
            statement = statement.where(
                contains_text(query.text_contains, Image.name, Image.description)
            )
        if query.owners:
            statement = statement.where(_whose(caller, query.owners))
        if query.launchable:
            statement = statement.where(_whose(caller, query.launchable))
        if query.public is not None:
            statement = statement.where(Image.is_public.is_(query.public))
        fields = listing_fields(caller)
        statement = statement.where(
            *tags.selecting(Image.id, query), *fields.selecting(query.where)
        )
        with self._db.transaction() as session:
            return paging.read_page(
                session,
                fields.ordered(statement, query),
                Image,
                query.window,
                lambda shown: _rich_views(session, caller, shown),
            )

    def get_image(self, caller: Caller, text: str) -> ImageView:
        with self._db.transaction() as session:
            [view] = _rich_views(
                session, caller, [find_image(session, caller, text, LISTED_STATES)]
            )
            return view
