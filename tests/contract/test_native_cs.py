"""The ``cs`` client from PyPI, unmodified: its sync client (GET and POST, job polling, paging),
its asyncio client and its command line, against the gateway on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cs import AIOCloudStack, CloudStack, CloudStackApiException

from core.views import ImageView
from tests.contract.native import NativeUser


def _client(user: NativeUser, **options: Any) -> CloudStack:
    return CloudStack(endpoint=user.endpoint, key=user.key, secret=user.secret, **options)


def _deploy(cs: CloudStack, image: ImageView, **more: Any) -> dict[str, Any]:
    [zone] = cs.listZones()["zone"]
    [offering] = [
        o for o in cs.listServiceOfferings()["serviceoffering"] if o["name"] == "t1.micro"
    ]
    result: dict[str, Any] = cs.deployVirtualMachine(
        zoneid=zone["id"],
        serviceofferingid=offering["id"],
        templateid=str(image.id),
        fetch_result=True,
        **more,
    )
    return result


@pytest.mark.parametrize("method", ["get", "post"])
def test_deploy_polls_the_job_to_a_running_vm(
    native_user: NativeUser, image: ImageView, method: str
) -> None:
    cs = _client(native_user, method=method, poll_interval=0.2, job_timeout=60)
    deployed = _deploy(cs, image, name="web-1", userdata="IyEvYmluL3NoCmVjaG8gaGk=")
    vm = deployed["virtualmachine"]
    assert vm["state"] == "Running"
    assert vm["name"] == "web-1"
    assert vm["userdata"] == "IyEvYmluL3NoCmVjaG8gaGk="
    assert vm["nic"][0]["isdefault"] is True
    assert vm["tags"] == []
    stopped = cs.stopVirtualMachine(id=vm["id"], fetch_result=True)
    assert stopped["virtualmachine"]["state"] == "Stopped"
    destroyed = cs.destroyVirtualMachine(id=vm["id"], expunge=True, fetch_result=True)
    assert "virtualmachine" in destroyed
    assert cs.listVirtualMachines() == {}


def test_fetch_list_pages_through_every_item(native_user: NativeUser, image: ImageView) -> None:
    cs = _client(native_user)
    for index in range(7):
        cs.createSecurityGroup(name=f"group-{index}")
    listed = cs.listSecurityGroups(fetch_list=True, pagesize=3)
    assert sorted(g["name"] for g in listed) == ["default", *(f"group-{i}" for i in range(7))]
    page = cs.listSecurityGroups(page=2, pagesize=3)
    assert page["count"] == 8 and len(page["securitygroup"]) == 3


def test_a_failed_job_is_reported_with_its_error(native_user: NativeUser, image: ImageView) -> None:
    cs = _client(native_user, poll_interval=0.2)
    vm = _deploy(cs, image)["virtualmachine"]
    with pytest.raises(CloudStackApiException) as raised:
        cs.startVirtualMachine(id=vm["id"], fetch_result=True)  # it is running already
    assert raised.value.args[0] == "Job failure"
    assert raised.value.error["errorcode"] == 431
    assert "running" in raised.value.error["errortext"]


def test_icmp_any_is_minus_one_and_refusals_name_cloudstack_parameters(
    native_user: NativeUser,
) -> None:
    cs = _client(native_user, poll_interval=0.2)
    group = cs.createSecurityGroup(name="pings")["securitygroup"]["id"]
    rule = {"securitygroupid": group, "cidrlist": "10.0.0.0/8", "fetch_result": True}
    cs.authorizeSecurityGroupIngress(protocol="icmp", icmptype=-1, icmpcode=-1, **rule)
    [shown] = cs.listSecurityGroups(id=group)["securitygroup"][0]["ingressrule"]
    assert (shown["protocol"], shown["icmptype"], shown["icmpcode"]) == ("icmp", -1, -1)
    cs.authorizeSecurityGroupIngress(protocol="-1", **rule)  # all protocols
    rules = cs.listSecurityGroups(id=group)["securitygroup"][0]["ingressrule"]
    assert sorted(r["protocol"] for r in rules) == ["all", "icmp"]
    with pytest.raises(CloudStackApiException) as refused:
        cs.authorizeSecurityGroupIngress(protocol="tcp", startport=70000, endport=70000, **rule)
    assert refused.value.error["errortext"].startswith("startport: port 70000 is outside")
    cs.deleteSecurityGroup(id=group)


def test_api_errors_carry_cloudstack_codes(native_user: NativeUser) -> None:
    cs = _client(native_user)
    with pytest.raises(CloudStackApiException) as unknown:
        cs.fooBar()
    assert unknown.value.response.status_code == 432
    assert unknown.value.error["errorcode"] == 432
    with pytest.raises(CloudStackApiException) as missing:
        cs.createSSHKeyPair()
    assert missing.value.error["errorcode"] == 431
    assert missing.value.error["cserrorcode"] == 4350
    assert "missing parameter name" in missing.value.error["errortext"]
    with pytest.raises(CloudStackApiException) as unsigned:
        CloudStack(endpoint=native_user.endpoint, key=native_user.key, secret="wrong").listZones()
    assert unsigned.value.response.status_code == 401


def test_asyncio_client(native_user: NativeUser, image: ImageView) -> None:
    async def scenario() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        async with AIOCloudStack(
            endpoint=native_user.endpoint,
            key=native_user.key,
            secret=native_user.secret,
            poll_interval=0.2,
        ) as cs:
            zones = await cs.listZones(fetch_list=True)
            offering = (await cs.listServiceOfferings(name="t1.micro"))["serviceoffering"][0]
            deployed = await cs.deployVirtualMachine(
                zoneid=zones[0]["id"],
                serviceofferingid=offering["id"],
                templateid=str(image.id),
                fetch_result=True,
            )
            return zones, deployed

    zones, deployed = asyncio.run(scenario())
    assert len(zones) == 1
    assert deployed["virtualmachine"]["state"] == "Running"


def test_command_line(native_user: NativeUser, image: ImageView, tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "CLOUDSTACK_ENDPOINT": native_user.endpoint,
        "CLOUDSTACK_KEY": native_user.key,
        "CLOUDSTACK_SECRET": native_user.secret,
        "CLOUDSTACK_POLL_INTERVAL": "0.2",
        "HOME": str(tmp_path),
    }
    command = [str(Path(sys.executable).with_name("cs"))]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *args], env=environment, capture_output=True, text=True, timeout=60
        )

    created = run("createSecurityGroup", "name=from-cli", "description=made by cs")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["securitygroup"]["name"] == "from-cli"
    rule = run(
        "--post",
        "authorizeSecurityGroupIngress",
        "securitygroupname=from-cli",
        "protocol=tcp",
        "startport=22",
        "endport=22",
        "cidrlist=10.0.0.0/8",
    )
    assert rule.returncode == 0, rule.stderr
    assert json.loads(rule.stdout)["securitygroup"]["ingressrule"][0]["startport"] == 22
    refused = run("deleteSecurityGroup", "name=nope")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["deletesecuritygroupresponse"]["errorcode"] == 431


def test_public_ip_allocation_and_static_nat(native_user: NativeUser, image: ImageView) -> None:
    cs = _client(native_user, poll_interval=0.2)
    vm = _deploy(cs, image)["virtualmachine"]
    [zone] = cs.listZones()["zone"]
    address = cs.associateIpAddress(zoneid=zone["id"], fetch_result=True)["ipaddress"]
    assert address["ipaddress"].startswith("198.51.100.")
    assert cs.enableStaticNat(ipaddressid=address["id"], virtualmachineid=vm["id"]) == {
        "success": "true"
    }
    [bound] = cs.listPublicIpAddresses(isstaticnat=True)["publicipaddress"]
    assert (bound["id"], bound["virtualmachineid"]) == (address["id"], vm["id"])
    assert bound["virtualmachinename"] == bound["virtualmachinedisplayname"] == vm["name"]
    assert (
        cs.listVirtualMachines(id=vm["id"])["virtualmachine"][0]["publicip"] == bound["ipaddress"]
    )
    assert cs.disableStaticNat(ipaddressid=address["id"], fetch_result=True) == {"success": True}
    assert cs.listPublicIpAddresses(isstaticnat=True) == {}
    cs.disassociateIpAddress(id=address["id"], fetch_result=True)
    assert cs.listPublicIpAddresses() == {}
    with pytest.raises(CloudStackApiException) as gone:
        cs.disassociateIpAddress(id=address["id"])
    assert gone.value.error["errorcode"] == 431
