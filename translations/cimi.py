"""CIMI's names for core states and jobs (DSP0263 §5.x state models, the Job resource). Only
data. The Machine column is in ``states``.

* A Job's ``action`` is the operation it carries out: CIMI's bare CRUD words (``add``,
  ``delete``, ``edit``) or an action URI under ``http://schemas.dmtf.org/cimi/1/action/``; core
  jobs CIMI has no word for take a URI of ours under ``…/cimi/1/action/`` too, so a CIMI client
  can still read every job whichever API started it.
* A queued core job is ``QUEUED``; CIMI has no ``CANCELLED``, and core never cancels.
* Volumes being attached or detached stay ``AVAILABLE`` (CIMI's Volume has no such states; the
  MachineVolume shows the attachment); a volume in error is ``ERROR``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from core.enums import (
    EventLevel,
    EventState,
    JobKind,
    JobStatus,
    NetworkState,
    SnapshotState,
    VolumeState,
)

ACTION: Final = "http://schemas.dmtf.org/cimi/1/action/"
EVENT: Final = "http://schemas.dmtf.org/cimi/1/event/"

JOB_STATES: Final[Mapping[JobStatus, str]] = MappingProxyType(
    {
        JobStatus.PENDING: "QUEUED",
        JobStatus.RUNNING: "RUNNING",
        JobStatus.SUCCEEDED: "SUCCESS",
        JobStatus.FAILED: "FAILED",
    }
)

K = JobKind

JOB_ACTIONS: Final[Mapping[JobKind, str]] = MappingProxyType(
    {
        K.LAUNCH_INSTANCE: "add",
        K.START_INSTANCE: f"{ACTION}start",
        K.STOP_INSTANCE: f"{ACTION}stop",
        K.REBOOT_INSTANCE: f"{ACTION}restart",
        K.TERMINATE_INSTANCE: "delete",
        K.CREATE_VOLUME: "add",
        K.DELETE_VOLUME: "delete",
        K.ATTACH_VOLUME: "add",  # a MachineVolume is added to the Machine's volumes
        K.DETACH_VOLUME: "delete",  # and removed from them
        K.CREATE_SNAPSHOT: "add",  # a VolumeImage
        K.DELETE_SNAPSHOT: "delete",
        K.CAPTURE_IMAGE: f"{ACTION}capture",
        K.AUTHORIZE_INGRESS: f"{ACTION}authorize-ingress",
        K.REVOKE_INGRESS: f"{ACTION}revoke-ingress",
        K.AUTHORIZE_EGRESS: f"{ACTION}authorize-egress",
        K.REVOKE_EGRESS: f"{ACTION}revoke-egress",
        K.DELETE_SECURITY_GROUP: "delete",
        K.DELETE_NETWORK: "delete",
        K.CREATE_TAGS: "edit",
        K.DELETE_TAGS: "edit",
        K.ALLOCATE_ADDRESS: "add",
        K.RELEASE_ADDRESS: "delete",
        K.DISASSOCIATE_ADDRESS: "edit",
        K.DESTROY_INSTANCE: "delete",
        K.EXPUNGE_INSTANCE: "delete",
        K.RESTORE_INSTANCE: f"{ACTION}restore",
        K.RESIZE_VOLUME: "edit",
        K.DOWNLOAD_IMAGE: "add",
        K.DELETE_IMAGE: "delete",
        K.DELETE_ACCOUNT: "delete",
        K.RESET_KEY: "edit",
    }
)

VOLUME_STATES: Final[Mapping[VolumeState, str]] = MappingProxyType(
    {
        VolumeState.CREATING: "CREATING",
        VolumeState.AVAILABLE: "AVAILABLE",
        VolumeState.ATTACHING: "AVAILABLE",
        VolumeState.IN_USE: "AVAILABLE",
        VolumeState.DETACHING: "AVAILABLE",
        VolumeState.DELETING: "DELETING",
        VolumeState.DELETED: "DELETING",
        VolumeState.ERROR: "ERROR",
    }
)

NETWORK_STATES: Final[Mapping[NetworkState, str]] = MappingProxyType(
    {
        NetworkState.AVAILABLE: "STARTED",
        NetworkState.DELETING: "DELETING",
        NetworkState.DELETED: "DELETING",
    }
)

SNAPSHOT_STATES: Final[Mapping[SnapshotState, str]] = MappingProxyType(
    {
        SnapshotState.PENDING: "CREATING",
        SnapshotState.COMPLETED: "AVAILABLE",
        SnapshotState.DELETING: "DELETING",
        SnapshotState.DELETED: "DELETING",
        SnapshotState.ERROR: "ERROR",
    }
)

# Core events record state changes; an error-level one is an alarm (CIMI's event types:
# state, alarm, model, access).
EVENT_TYPES: Final[Mapping[EventLevel, str]] = MappingProxyType(
    {EventLevel.INFO: "state", EventLevel.WARN: "alarm", EventLevel.ERROR: "alarm"}
)
EVENT_SEVERITIES: Final[Mapping[EventLevel, str]] = MappingProxyType(
    {EventLevel.INFO: "low", EventLevel.WARN: "medium", EventLevel.ERROR: "high"}
)
EVENT_OUTCOMES: Final[Mapping[EventState, str]] = MappingProxyType(
    {
        EventState.CREATED: "Status",
        EventState.SCHEDULED: "Pending",
        EventState.STARTED: "Pending",
        EventState.COMPLETED: "Success",
    }
)
