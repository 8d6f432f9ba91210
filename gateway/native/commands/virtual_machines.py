"""Virtual machines: deploy, list, and the life-cycle actions, each an async job."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from typing import Final, Protocol

from core import LaunchRequest
from core.enums import Settle
from core.states import InstanceState
from core.views import Accepted, Caller, InstanceQuery, InstanceView, StateChange
from gateway.common import NotBase64, decode_user_data
from gateway.native import objects
from gateway.native.jobs import settled
from gateway.native.registry import (
    ACCOUNT_LIST_PARAMS,
    TAGS_PARAM,
    Call,
    CommandSet,
    Listing,
    Param,
    ParamType,
    Reply,
    Single,
    Submitted,
    param_error,
)
from translations.native import instance_states

commands = CommandSet()

_ID: Final = Param("id", ParamType.UUID, "The virtual machine", required=True)


class Action(Protocol):
    def __call__(
        self, caller: Caller, refs: Sequence[str], *, settle: Settle
    ) -> list[Accepted[StateChange]]: ...


def _user_data(text: str | None) -> bytes:
    try:
        return decode_user_data(text)
    except NotBase64:
        raise param_error("User data is not base64 encoded") from None


def _security_groups(call: Call) -> tuple[str, ...]:
    ids, names = call.args.get("securitygroupids"), call.args.get("securitygroupnames")
    if ids and names:
        raise param_error(
            "securitygroupids parameter is mutually exclusive with securitygroupnames parameter"
        )
    return tuple(ids or names or ())


def _network(call: Call) -> str | None:
    networks = call.args.get("networkids") or ()
    if len(networks) > 1:
        raise param_error("one network per virtual machine is supported")
    return networks[0] if networks else None


@commands.command(
    "deployVirtualMachine",
    "Creates and (unless startvm=false) starts a virtual machine",
    (
        Param("serviceofferingid", ParamType.UUID, "The offering", required=True),
        Param("templateid", ParamType.UUID, "The template", required=True),
        Param("zoneid", ParamType.UUID, "The zone", required=True, related="listZones"),
        Param("name", ParamType.STRING, "Host name of the VM"),
        Param("displayname", ParamType.STRING, "Display name of the VM"),
        Param("keypair", ParamType.STRING, "Name of an SSH key pair"),
        Param("keypairs", ParamType.LIST, "Names of SSH key pairs (the first is used)"),
        Param("userdata", ParamType.STRING, "Base64 user data", length=1_048_576),
        Param("securitygroupids", ParamType.LIST, "Security group ids"),
        Param("securitygroupnames", ParamType.LIST, "Security group names"),
        Param("networkids", ParamType.LIST, "The network (one)"),
        Param("startvm", ParamType.BOOLEAN, "Start the VM (default true)"),
        Param("hypervisor", ParamType.STRING, "KVM"),
        Param("group", ParamType.STRING, "An optional group name (informative)"),
        Param("account", ParamType.STRING, "Deploy for this account (admins)"),
        Param("domainid", ParamType.UUID, "Domain of the account"),
    ),
    is_async=True,
    response_key="virtualmachine",
)
def deploy_virtual_machine(call: Call) -> Reply:
    call.require_zone(call.args["zoneid"])
    keys = call.args.get("keypairs") or ()
    hypervisor = call.args.get("hypervisor")
    if hypervisor is not None and hypervisor.upper() != "KVM":
        raise param_error(f"Hypervisor {hypervisor} is not available; KVM is")
    name = call.args.get("name") or call.args.get("displayname")
    reservation = call.services.compute.launch(
        call.scope if call.args.get("account") else call.caller,
        LaunchRequest(
            image=str(call.args["templateid"]),
            flavor=str(call.args["serviceofferingid"]),
            key_name=call.args.get("keypair") or (keys[0] if keys else None),
            user_data=_user_data(call.args.get("userdata")),
            name=name,
            network=_network(call),
            security_groups=_security_groups(call),
            start=call.args.get("startvm", True),
        ),
    )
    [instance] = reservation.instances
    [job_id] = reservation.job_ids
    return Submitted(job_id, instance.id)


def _given(call: Call, name: str) -> tuple[str, ...]:
    """A parameter that narrows a listing to one value, as a query field."""
    value = call.args.get(name)
    return () if value is None else (str(value),)


@commands.command(
    "listVirtualMachines",
    "Lists virtual machines",
    (
        *ACCOUNT_LIST_PARAMS,
        TAGS_PARAM,
        Param("id", ParamType.UUID, "The virtual machine"),
        Param("ids", ParamType.LIST, "Several virtual machines"),
        Param("name", ParamType.STRING, "The name"),
        Param("state", ParamType.STRING, "Running, Stopped, Destroyed …"),
        Param("zoneid", ParamType.UUID, "The zone"),
        Param("templateid", ParamType.UUID, "The template"),
        Param("serviceofferingid", ParamType.UUID, "The offering"),
        Param("networkid", ParamType.UUID, "A network of the VM"),
        Param("keypair", ParamType.STRING, "The key pair"),
        Param("details", ParamType.LIST, "Detail groups wanted (all are returned)"),
    ),
    response_key="virtualmachine",
)
def list_virtual_machines(call: Call) -> Reply:
    state = call.args.get("state")
    states = instance_states(state) if state else ()
    if state and not states:
        return call.page("virtualmachine", [])
    one, name = call.args.get("id"), call.args.get("name")
    query = InstanceQuery(
        ids=(str(one),) if one else tuple(call.args.get("ids") or ()),
        states=states,
        names=(name,) if name else (),
        name_contains=call.args.get("keyword") or "",
        tags=call.args.tags(),
        zones=_given(call, "zoneid"),
        images=_given(call, "templateid"),
        flavors=_given(call, "serviceofferingid"),
        networks=_given(call, "networkid"),
        key_names=_given(call, "keypair"),
        include_terminated=False,
        offset=call.window.offset,
        limit=call.window.limit,
    )
    page = call.services.compute.list_instances(call.scope, query)
    domain = objects.domain(call.services)
    rendered = [objects.virtual_machine(i, domain) for i in page.items]
    return Listing("virtualmachine", rendered, page.total)


def _act(call: Call, action: Action) -> Submitted:
    """One VM's life-cycle action as a job, whatever happens (refused: a failed job)."""
    target: uuid.UUID = call.args["id"]
    instance = call.services.compute.get_instance(call.caller, str(target))
    if instance.state is InstanceState.TERMINATED:
        raise param_error(f"Unable to find virtual machine by id={target}")
    [accepted] = action(call.caller, [str(target)], settle=Settle.AS_JOB)
    return settled(accepted)


@commands.command(
    "startVirtualMachine",
    "Starts a stopped VM",
    (_ID,),
    is_async=True,
    response_key="virtualmachine",
)
def start_virtual_machine(call: Call) -> Reply:
    return _act(call, call.services.compute.start_instances)


@commands.command(
    "stopVirtualMachine",
    "Stops a running VM (ACPI, then forced after a timeout)",
    (_ID, Param("forced", ParamType.BOOLEAN, "Power off at once")),
    is_async=True,
    response_key="virtualmachine",
)
def stop_virtual_machine(call: Call) -> Reply:
    def stop(caller: Caller, refs: Sequence[str], *, settle: Settle) -> list[Accepted[StateChange]]:
        forced = bool(call.args.get("forced"))
        return call.services.compute.stop_instances(caller, refs, force=forced, settle=settle)

    return _act(call, stop)


@commands.command(
    "rebootVirtualMachine",
    "Reboots a running VM",
    (_ID,),
    is_async=True,
    response_key="virtualmachine",
)
def reboot_virtual_machine(call: Call) -> Reply:
    return _act(call, call.services.compute.reboot_instances)


@commands.command(
    "destroyVirtualMachine",
    "Destroys a VM: recoverable until expunged (at once with expunge=true, else after a delay)",
    (_ID, Param("expunge", ParamType.BOOLEAN, "Expunge at once")),
    is_async=True,
    response_key="virtualmachine",
)
def destroy_virtual_machine(call: Call) -> Reply:
    compute = call.services.compute
    return _act(
        call, compute.expunge_instances if call.args.get("expunge") else compute.destroy_instances
    )


@commands.command(
    "expungeVirtualMachine",
    "Expunges a destroyed VM at once",
    (_ID,),
    is_async=True,
    response_key="virtualmachine",
)
def expunge_virtual_machine(call: Call) -> Reply:
    return _act(call, call.services.compute.expunge_instances)


def _rendered(call: Call, instance: InstanceView) -> Single:
    return Single(
        "virtualmachine", objects.virtual_machine(instance, objects.domain(call.services))
    )


@commands.command(
    "recoverVirtualMachine",
    "Recovers a destroyed VM (it comes back stopped)",
    (_ID,),
    response_key="virtualmachine",
)
def recover_virtual_machine(call: Call) -> Reply:
    target = str(call.args["id"])
    call.services.compute.recover_instances(call.caller, [target])
    return _rendered(call, call.services.compute.get_instance(call.caller, target))


@commands.command(
    "restoreVirtualMachine",
    "Reinstalls a VM's root disk from its template, or from templateid which becomes its template",
    (
        Param("virtualmachineid", ParamType.UUID, "The virtual machine", required=True),
        Param("templateid", ParamType.UUID, "A template to restore from instead"),
    ),
    is_async=True,
    response_key="virtualmachine",
    envelope="restorevmresponse",
)
def restore_virtual_machine(call: Call) -> Reply:
    template = call.args.get("templateid")
    accepted = call.services.compute.restore_instance(
        call.caller,
        str(call.args["virtualmachineid"]),
        image=None if template is None else str(template),
        settle=Settle.AS_JOB,
    )
    return settled(accepted)


@commands.command(
    "updateVirtualMachine",
    "Updates a VM's display name or user data (new user data reaches the guest at next start)",
    (
        _ID,
        Param("displayname", ParamType.STRING, "New display name"),
        Param("userdata", ParamType.STRING, "New base64 user data", length=1_048_576),
        Param("group", ParamType.STRING, "Group name (informative)"),
        Param("haenable", ParamType.BOOLEAN, "High availability (not offered)"),
    ),
    response_key="virtualmachine",
)
def update_virtual_machine(call: Call) -> Reply:
    userdata = call.args.get("userdata")
    updated = call.services.compute.update_instance(
        call.caller,
        str(call.args["id"]),
        name=call.args.get("displayname"),
        user_data=None if userdata is None else _user_data(userdata),
    )
    return _rendered(call, updated)


@commands.command(
    "changeServiceForVirtualMachine",
    "Gives a stopped VM another service offering",
    (_ID, Param("serviceofferingid", ParamType.UUID, "The new offering", required=True)),
    response_key="virtualmachine",
)
def change_service_for_virtual_machine(call: Call) -> Reply:
    changed = call.services.compute.change_flavor(
        call.caller, str(call.args["id"]), str(call.args["serviceofferingid"])
    )
    return _rendered(call, changed)


@commands.command(
    "resetSSHKeyForVirtualMachine",
    "Gives a stopped VM another SSH key pair (installed by the config drive at next start)",
    (
        _ID,
        Param("keypair", ParamType.STRING, "Name of the key pair"),
        Param("keypairs", ParamType.LIST, "Names of key pairs (the first is used)"),
        Param("account", ParamType.STRING, "Owner of the key pair (admins)"),
        Param("domainid", ParamType.UUID, "Domain of the account"),
    ),
    is_async=True,
    response_key="virtualmachine",
)
def reset_ssh_key_for_virtual_machine(call: Call) -> Reply:
    keys = call.args.get("keypairs") or ()
    key = call.args.get("keypair") or (keys[0] if keys else None)
    if key is None:
        raise param_error(
            "Unable to execute API command resetsshkeyforvirtualmachine due to missing "
            "parameter keypair"
        )
    target = str(call.args["id"])
    return settled(call.services.compute.reset_key(call.caller, target, key, settle=Settle.AS_JOB))


@commands.command(
    "getVirtualMachineUserData",
    "Returns a VM's user data, base64",
    (Param("virtualmachineid", ParamType.UUID, "The virtual machine", required=True),),
    response_key="virtualmachineuserdata",
)
def get_virtual_machine_user_data(call: Call) -> Reply:
    found = call.services.compute.get_instance(call.caller, str(call.args["virtualmachineid"]))
    return Single(
        "virtualmachineuserdata",
        {
            "virtualmachineid": str(found.id),
            "userdata": base64.b64encode(found.user_data).decode(),
        },
    )
