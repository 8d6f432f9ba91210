"""The download behind an image registered from a URL (CloudStack registerTemplate), and the
copy behind an image copied from another (EC2 CopyImage): the same job, from another source.

The file is streamed into ``<path>.partial`` in the image store, with a size cap, then checked:
the format ``qemu-img info`` detects must be the one registered, a backing file or an external
data file is refused (either would let a guest read the host's files), and a digest given at
registration must match. Only then is it renamed into place, so a file at an image's path is
always a checked one. A failure removes both files and leaves the image FAILED with the reason.

Running again after a crash is safe: a partial download starts over, and a file already renamed
into place is checked again instead of being fetched again. An image deregistered while its
download was queued or running is not made available, and its file is removed.

Redirects are followed to http and https URLs only; the process's proxy settings
(``https_proxy``, ``no_proxy``) apply, as for any urllib client.
"""

from __future__ import annotations

import hashlib
import http.client
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, ClassVar, Final

from sqlalchemy.orm import Session

from core.db.database import Database
from core.db.models import Image
from core.enums import DiskFormat, EventType, ImageState, JobKind
from core.errors import HostError, InvalidArgument
from core.jobs.queue import ClaimedJob
from core.jobs.worker import JobHandler
from core.services.images import inspect, sha256_of
from core.states import IMAGES, ImageTransition

_CHUNK: Final = 1024 * 1024
_SCHEMES: Final = ("http", "https")
DEFAULT_TIMEOUT: Final = 60.0  # seconds any one connect or read may take


class _WebRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """urllib would also follow a redirect to ftp://; a registration promised http(s)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme.lower() not in _SCHEMES:
            raise InvalidArgument("url", "the server redirected to a URL that is not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def partial_path(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


class DownloadImage:
    event_type: ClassVar[EventType] = EventType.TEMPLATE_CREATE

    def __init__(self, db: Database, *, max_bytes: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._db = db
        self._max_bytes = max_bytes
        self._timeout = timeout

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        with self._db.transaction() as session:
            image = session.get_one(Image, job.resource_id)
            if image.state is not ImageState.PENDING:
                return {}  # deregistered before its download began: nothing to fetch
            path, declared = Path(image.path), image.disk_format
        partial = partial_path(path)
        try:
            if path.exists():  # a run before a crash checked and renamed it already
                virtual_size = _check(path, declared)
                partial.unlink(missing_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                if "copy_of" in job.params:
                    _copy(Path(str(job.params["copy_of"])), partial)
                else:
                    self._fetch(str(job.params["url"]), partial, _digest(job.params))
                virtual_size = _check(partial, declared)
                partial.replace(path)
                path.chmod(0o644)
        except BaseException:
            partial.unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            raise
        return {"virtual_size": virtual_size, "checksum": sha256_of(path)}

    def _fetch(self, url: str, partial: Path, digest: tuple[str, str] | None) -> None:
        hasher = hashlib.new(digest[0]) if digest else None
        request = urllib.request.Request(url, headers={"User-Agent": "cloudgate-image-download"})
        opener = urllib.request.build_opener(_WebRedirectsOnly)
        try:
            response = opener.open(request, timeout=self._timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise InvalidArgument(
                "url", f"the server answered HTTP {exc.code} {exc.reason}"
            ) from None
        except urllib.error.URLError as exc:
            raise InvalidArgument("url", f"cannot download: {exc.reason}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise InvalidArgument("url", f"cannot download: {exc}") from None
        with response:
            announced = _content_length(response.headers.get("Content-Length"))
            if announced is not None and announced > self._max_bytes:
                raise self._too_large()
            received = 0
            try:
                target = partial.open("wb")
            except OSError as exc:
                raise HostError(f"cannot store the image: {exc.strerror}") from None
            with target:
                while chunk := _read(response):
                    received += len(chunk)
                    if received > self._max_bytes:
                        raise self._too_large()
                    if hasher is not None:
                        hasher.update(chunk)
                    try:
                        target.write(chunk)
                    except OSError as exc:
                        raise HostError(f"cannot store the image: {exc.strerror}") from None
            if announced is not None and received != announced:
                raise InvalidArgument(
                    "url", f"the download broke off after {received} of {announced} bytes"
                )
        if digest is not None and hasher is not None and hasher.hexdigest() != digest[1]:
            raise InvalidArgument(
                "checksum", f"the file's {digest[0]} is {hasher.hexdigest()}, not {digest[1]}"
            )

    def _too_large(self) -> InvalidArgument:
        return InvalidArgument(
            "url", f"the image is larger than the limit of {self._max_bytes} bytes"
        )

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
        image = session.get_one(Image, job.resource_id)
        if image.state is ImageState.PENDING:
            image.state = IMAGES.next_state(image.state, ImageTransition.SETTLE, ref=image.ref)
            image.state_reason = ""
            image.virtual_size = int(result["virtual_size"])
            image.checksum = str(result["checksum"])
        elif image.state is ImageState.DEREGISTERED:
            _remove_files(image)

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        image = session.get_one(Image, job.resource_id)
        if image.state is ImageState.PENDING:
            image.state = IMAGES.next_state(image.state, ImageTransition.FAIL, ref=image.ref)
            image.state_reason = reason
        if image.state is not ImageState.AVAILABLE:
            _remove_files(image)


def _copy(source: Path, partial: Path) -> None:
    """CopyImage: the source image's file, from the same store."""
    try:
        shutil.copyfile(source, partial)
    except FileNotFoundError:
        raise InvalidArgument(
            "image", "the source image was deregistered before it was copied"
        ) from None
    except OSError as exc:
        raise HostError(f"cannot store the image: {exc.strerror}") from None


def _remove_files(image: Image) -> None:
    path = Path(image.path)
    partial_path(path).unlink(missing_ok=True)
    path.unlink(missing_ok=True)


def _digest(params: Mapping[str, Any]) -> tuple[str, str] | None:
    if "digest" not in params:
        return None
    return str(params["digest_algorithm"]), str(params["digest"])


def _content_length(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None


def _read(response: http.client.HTTPResponse) -> bytes:
    try:
        return response.read(_CHUNK)
    except (OSError, http.client.HTTPException) as exc:
        raise InvalidArgument("url", f"the download broke off: {exc!r}") from None


def _check(path: Path, declared: DiskFormat) -> int:
    """The file must be a ``declared`` image with no backing or data file (``inspect``);
    returns its virtual size."""
    try:
        disk_format, virtual_size = inspect(path)
    except InvalidArgument as exc:  # without the store's path, which is no business of users
        raise InvalidArgument("file", exc.why.replace(str(path), "the download")) from None
    if disk_format is not declared:
        raise InvalidArgument(
            "format",
            f"the file is a {disk_format.value} image, not {declared.value} as registered",
        )
    return virtual_size


def image_handlers(
    db: Database, *, max_bytes: int, timeout: float = DEFAULT_TIMEOUT
) -> dict[JobKind, JobHandler]:
    return {JobKind.DOWNLOAD_IMAGE: DownloadImage(db, max_bytes=max_bytes, timeout=timeout)}
