"""Usage figures per account, summed by core, so a billing job or a log shipper (fluentd's
CloudStack input sums memory, cpunumber, and volume sizes by type itself) reads them directly.

The reply keeps listUsageRecords' envelope (``usagerecord`` items with ``account``,
``accountid``, ``domainid``) and CloudStack's own total names where AccountResponse has one
(``vmrunning``, ``cputotal``, ``primarystoragetotal`` …). The figures are the allocation at the
moment of the call: there is no usage history yet, so no date window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from core.enums import VolumeType
from core.states import InstanceState
from core.views import AccountUsage
from gateway.native import objects
from gateway.native.envelope import timestamp
from gateway.native.registry import ACCOUNT_LIST_PARAMS, Call, CommandSet, Reply
from translations.states import INSTANCE_STATES

commands = CommandSet()
MIB: Final = 1024**2
GIB: Final = 1024**3


def _record(usage: AccountUsage, domain: str, now: str) -> dict[str, Any]:
    volume_bytes = usage.volume_bytes
    return {
        **objects.owner_fields(usage.account_name, domain),
        "accountid": str(usage.account_id),
        "date": now,
        "vmrunning": usage.vms_running,
        "vmstopped": usage.vms.get(InstanceState.STOPPED, 0),
        "vmtotal": usage.vms_total,
        "vmstates": [
            {"state": INSTANCE_STATES[state].native, "count": count}
            for state, count in sorted(usage.vms.items(), key=lambda item: item[0].value)
        ],
        "cpunumber": usage.vcpus_running,
        "memory": usage.memory_mib_running,
        "memorybytes": usage.memory_mib_running * MIB,
        "cputotal": usage.vcpus,
        "memorytotal": usage.memory_mib,
        "serviceofferings": [
            {"name": name, "running": count}
            for name, count in sorted(usage.running_by_offering.items())
        ],
        "volumetotal": sum(usage.volumes.values()),
        "rootvolumes": usage.volumes[VolumeType.ROOT],
        "datavolumes": usage.volumes[VolumeType.DATADISK],
        "rootvolumesize": volume_bytes[VolumeType.ROOT],
        "datavolumesize": volume_bytes[VolumeType.DATADISK],
        "primarystoragetotal": -(-sum(volume_bytes.values()) // GIB),
        "diskofferings": [
            {"name": name, "count": count}
            for name, count in sorted(usage.data_volumes_by_offering.items())
        ],
        "snapshottotal": usage.snapshots,
        "snapshotsize": usage.snapshot_bytes,
        "iptotal": usage.addresses,
    }


@commands.command(
    "listUsageRecords",
    "Each account's usage now: VMs by state, vCPUs and memory, volume sizes by type, snapshots"
    " and public IPs (an admin with listall=true sees every account)",
    ACCOUNT_LIST_PARAMS,
    response_key="usagerecord",
)
def list_usage_records(call: Call) -> Reply:
    domain = objects.domain(call.services)
    now = timestamp(dt.datetime.now(dt.UTC))
    found = call.services.usage.usage(call.scope)
    return call.page("usagerecord", [_record(u, domain, now) for u in found])
