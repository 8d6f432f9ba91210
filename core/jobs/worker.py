"""A pool of threads that claim jobs from the queue and carry them out off the request path.

Each job kind has a handler: ``run`` does the host work (no database writes), then one
transaction records the outcome with ``succeeded`` or ``failed`` and the job's Completed event.
At start-up, jobs a dead process left running are put back in the queue, or failed cleanly once
they have used up their attempts, so a kill -9 loses no job. A job that fails because its host
could not be reached (the driver retried for as long as it may) is failed; a handler that is
``HostBound`` then leaves its resource as the host last reported it instead of in error.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

from sqlalchemy.orm import Session

from core.db.database import Database
from core.enums import EventType, JobKind, JobStatus
from core.errors import CoreError, ErrorKind
from core.hosts.driver import HostUnreachable
from core.jobs import queue
from core.jobs.queue import ClaimedJob

log = logging.getLogger(__name__)


class JobHandler(Protocol):
    event_type: ClassVar[EventType]

    def run(self, job: ClaimedJob) -> Mapping[str, Any]: ...

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None: ...

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None: ...


@runtime_checkable
class HostBound(JobHandler, Protocol):
    """A handler whose resource has a state on a host, which an unreachable host leaves as it
    was: ``unreachable`` records the failure without calling the resource broken."""

    def unreachable(self, session: Session, job: ClaimedJob, reason: str) -> None: ...


class WorkerPool:
    def __init__(
        self,
        db: Database,
        handlers: Mapping[JobKind, JobHandler],
        *,
        size: int,
        max_attempts: int = 3,
        poll_seconds: float = 0.5,
    ) -> None:
        self._db = db
        self._handlers = handlers
        self._size = size
        self._max_attempts = max_attempts
        self._poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._name = f"worker-{uuid.uuid4().hex[:8]}"
        self._started_events = {kind: handler.event_type for kind, handler in handlers.items()}

    def recover(self) -> None:
        with self._db.transaction() as session:
            for job in queue.interrupted(session):
                if job.attempts < self._max_attempts:
                    log.info("job %s (%s) was interrupted; queued again", job.id, job.kind.value)
                    job.status = JobStatus.PENDING
                    job.claimed_by = None
                    continue
                claimed = ClaimedJob(
                    job.id,
                    job.kind,
                    job.account_id,
                    job.user_id,
                    job.resource_id,
                    dict(job.params),
                    job.attempts,
                    job.scheduled_event_seq,
                )
                reason = f"interrupted {job.attempts} times; giving up"
                handler = self._handlers[job.kind]
                handler.failed(session, claimed, reason)
                queue.finish(
                    session,
                    job.id,
                    event_type=handler.event_type,
                    error=(ErrorKind.INTERNAL, reason),
                )

    def start(self) -> None:
        self.recover()
        for index in range(self._size):
            thread = threading.Thread(
                target=self._loop,
                args=(f"{self._name}-{index}",),
                name=f"cloudgate-{self._name}-{index}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """Called after an enqueue so an idle worker starts now instead of at its next poll."""
        self._wake.set()

    def stop(self, timeout: float = 60.0) -> None:
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def run_pending(self) -> int:
        """Run queued jobs in the calling thread until none is left; returns how many ran."""
        ran = 0
        while self.run_one(f"{self._name}-inline"):
            ran += 1
        return ran

    def run_one(self, worker: str) -> bool:
        job = queue.claim(self._db, worker, self._started_events)
        if job is None:
            return False
        self._execute(job)
        return True

    def _loop(self, worker: str) -> None:
        while not self._stopping.is_set():
            try:
                if self.run_one(worker):
                    continue
            except Exception:
                log.exception("worker %s could not claim or finish a job", worker)
            self._wake.wait(self._poll_seconds)
            self._wake.clear()

    def _execute(self, job: ClaimedJob) -> None:
        handler = self._handlers[job.kind]
        result: Mapping[str, Any] = {}
        error: tuple[ErrorKind, str] | None = None
        unreachable = False
        try:
            result = handler.run(job)
        except CoreError as exc:
            log.info("job %s (%s) failed: %s", job.id, job.kind.value, exc)
            error = (exc.kind_of_error, str(exc))
            unreachable = isinstance(exc, HostUnreachable)
        except Exception:
            log.exception("job %s (%s) failed unexpectedly", job.id, job.kind.value)
            error = (ErrorKind.INTERNAL, "internal error; the gateway log has the details")
        with self._db.transaction() as session:
            if error is None:
                handler.succeeded(session, job, result)
            elif unreachable and isinstance(handler, HostBound):
                handler.unreachable(session, job, error[1])
            else:
                handler.failed(session, job, error[1])
            queue.finish(
                session,
                job.id,
                event_type=handler.event_type,
                result=result if error is None else None,
                error=error,
            )
