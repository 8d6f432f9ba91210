"""VPC, subnet and address listings through boto3 and cs, where core filters and pages in SQL
and the front end matches the rest on the rendered page: the client must not see the seam."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack

from core.views import NewAccount
from tests.contract.conftest import ServedCloud
from tests.contract.native import NativeUser


def vpc_ids(answer: dict[str, Any]) -> list[str]:
    return [v["VpcId"] for v in answer["Vpcs"]]


def subnet_ids(answer: dict[str, Any]) -> list[str]:
    return [s["SubnetId"] for s in answer["Subnets"]]


def test_vpcs_filter_and_page(ec2: Any, ec2_account: NewAccount) -> None:
    [default] = vpc_ids(ec2.describe_vpcs())
    made = [ec2.create_vpc(CidrBlock=f"10.{40 + n}.0.0/16")["Vpc"]["VpcId"] for n in range(6)]
    mine = {"Name": "owner-id", "Values": [str(ec2_account.account.id)]}
    assert vpc_ids(ec2.describe_vpcs(Filters=[mine])) == made
    assert vpc_ids(ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])) == [
        default
    ]
    by_cidr = [{"Name": "cidr", "Values": ["10.41.0.0/16", "10.4?.0.0/16"]}]
    assert vpc_ids(ec2.describe_vpcs(Filters=by_cidr)) == made[:6]
    assert vpc_ids(ec2.describe_vpcs(VpcIds=[made[2], default])) == [default, made[2]]
    pages = list(ec2.get_paginator("describe_vpcs").paginate(PaginationConfig={"PageSize": 5}))
    assert [len(p["Vpcs"]) for p in pages] == [5, 2]
    assert [v for p in pages for v in vpc_ids(p)] == [default, *made]
    with pytest.raises(ClientError) as absent:
        ec2.describe_vpcs(VpcIds=["vpc-0123456789abcdef0"])
    assert absent.value.response["Error"]["Code"] == "InvalidVpcID.NotFound"


def test_subnets_filter_by_vpc_and_page(ec2: Any) -> None:
    [default_subnet] = ec2.describe_subnets()["Subnets"]
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    made = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{n}.0/24")["Subnet"]["SubnetId"]
        for n in range(6)
    ]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    assert subnet_ids(ec2.describe_subnets(Filters=in_vpc)) == made
    in_default = [{"Name": "vpc-id", "Values": [default_subnet["VpcId"]]}]
    assert subnet_ids(ec2.describe_subnets(Filters=in_default)) == [default_subnet["SubnetId"]]
    default_for_az = [{"Name": "default-for-az", "Values": ["false"]}]
    first = ec2.describe_subnets(Filters=default_for_az, MaxResults=5)
    rest = ec2.describe_subnets(Filters=default_for_az, MaxResults=5, NextToken=first["NextToken"])
    assert (subnet_ids(first) + subnet_ids(rest), rest.get("NextToken")) == (made, None)
    wildcard = [{"Name": "cidr-block", "Values": ["10.60.*"]}]
    assert subnet_ids(ec2.describe_subnets(Filters=wildcard, SubnetIds=made[:2])) == made[:2]


def test_addresses_filter_by_id_ip_and_association(ec2: Any) -> None:
    made = [ec2.allocate_address(Domain="vpc") for _ in range(3)]
    ips = [a["PublicIp"] for a in made]

    def listed(**kwargs: Any) -> list[str]:
        return [a["PublicIp"] for a in ec2.describe_addresses(**kwargs)["Addresses"]]

    assert listed() == ips
    assert listed(PublicIps=[ips[2]], AllocationIds=[made[0]["AllocationId"]]) == [ips[0], ips[2]]
    by_ip = [{"Name": "public-ip", "Values": [ips[1]]}]
    assert listed(Filters=by_ip) == [ips[1]]
    associated = [{"Name": "association-id", "Values": ["eipassoc-*"]}]
    assert listed(Filters=associated) == []
    with pytest.raises(ClientError) as absent:
        ec2.describe_addresses(PublicIps=["203.0.113.77"])
    assert absent.value.response["Error"]["Code"] == "InvalidAddress.NotFound"
    for address in made:
        ec2.release_address(AllocationId=address["AllocationId"])


def test_native_network_and_address_listings(native_user: NativeUser) -> None:
    cs = CloudStack(endpoint=native_user.endpoint, key=native_user.key, secret=native_user.secret)
    [zone] = cs.listZones()["zone"]
    for n in range(4):
        cs.createNetwork(name=f"lab-{n}", displaytext=f"Lab number {n}", zoneid=zone["id"])
    listed = cs.listNetworks(keyword="NUMBER", page=2, pagesize=3)
    assert (listed["count"], [n["name"] for n in listed["network"]]) == (4, ["lab-3"])
    [default] = cs.listNetworks(type="Shared")["network"]
    assert (default["name"], default["isdefault"]) == ("default", True)
    assert cs.listNetworks(type="L2") == {}
    assert len(cs.listNetworks(isdefault=False, zoneid=zone["id"])["network"]) == 4
    addresses = [
        cs.associateIpAddress(zoneid=zone["id"], fetch_result=True)["ipaddress"] for _ in range(3)
    ]
    one = cs.listPublicIpAddresses(ipaddress=addresses[1]["ipaddress"])
    assert (one["count"], one["publicipaddress"][0]["id"]) == (1, addresses[1]["id"])
    page = cs.listPublicIpAddresses(isstaticnat=False, page=1, pagesize=2)
    assert (page["count"], len(page["publicipaddress"])) == (3, 2)


def test_interfaces_filter_by_instance_and_mac_and_page(
    ec2: Any, served_cloud: ServedCloud
) -> None:
    image = served_cloud.image()
    launched = ec2.run_instances(
        ImageId=f"ami-{image.ref}", MinCount=6, MaxCount=6, InstanceType="t2.nano"
    )["Instances"]
    mine = [i["InstanceId"] for i in launched]
    try:
        by_instance = [{"Name": "attachment.instance-id", "Values": mine}]
        listed = ec2.describe_network_interfaces(Filters=by_instance)["NetworkInterfaces"]
        assert sorted(i["Attachment"]["InstanceId"] for i in listed) == sorted(mine)
        pages = ec2.get_paginator("describe_network_interfaces").paginate(
            Filters=by_instance, PaginationConfig={"PageSize": 5}
        )
        seen = [[i["NetworkInterfaceId"] for i in p["NetworkInterfaces"]] for p in pages]
        assert [len(p) for p in seen] == [5, 1]
        assert sorted(n for p in seen for n in p) == sorted(i["NetworkInterfaceId"] for i in listed)
        first = listed[0]
        [named] = ec2.describe_network_interfaces(
            NetworkInterfaceIds=[first["NetworkInterfaceId"]]
        )["NetworkInterfaces"]
        assert named == first
        by_mac = [{"Name": "mac-address", "Values": [first["MacAddress"]]}]
        assert ec2.describe_network_interfaces(Filters=by_mac)["NetworkInterfaces"] == [first]
        tagged = [{"Name": "tag:role", "Values": ["web"]}]  # interfaces carry no tags here
        assert ec2.describe_network_interfaces(Filters=tagged)["NetworkInterfaces"] == []
        with pytest.raises(ClientError) as absent:
            ec2.describe_network_interfaces(NetworkInterfaceIds=["eni-0123456789abcdef0"])
        assert absent.value.response["Error"]["Code"] == "InvalidNetworkInterfaceID.NotFound"
    finally:
        ec2.terminate_instances(InstanceIds=mine)
