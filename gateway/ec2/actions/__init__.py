"""Every EC2 action this endpoint serves, by its exact name: one line each, greppable. An action
in botocore's model but not here answers ``Unsupported``; a name in neither, ``InvalidAction``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from gateway.ec2.actions import (
    addresses,
    images,
    instances,
    key_pairs,
    regions,
    security_groups,
    tags,
    volumes,
    vpcs,
)
from gateway.ec2.call import Handler

ACTIONS: Final[Mapping[str, Handler]] = MappingProxyType(
    {
        "DescribeRegions": regions.describe_regions,
        "DescribeAvailabilityZones": regions.describe_availability_zones,
        "DescribeAccountAttributes": regions.describe_account_attributes,
        "DescribeInstanceTypes": regions.describe_instance_types,
        "RunInstances": instances.run_instances,
        "DescribeInstances": instances.describe_instances,
        "StartInstances": instances.start_instances,
        "StopInstances": instances.stop_instances,
        "RebootInstances": instances.reboot_instances,
        "TerminateInstances": instances.terminate_instances,
        "DescribeInstanceStatus": instances.describe_instance_status,
        "GetConsoleOutput": instances.get_console_output,
        "GetPasswordData": instances.get_password_data,
        "DescribeInstanceAttribute": instances.describe_instance_attribute,
        "ModifyInstanceAttribute": instances.modify_instance_attribute,
        "CreateKeyPair": key_pairs.create_key_pair,
        "ImportKeyPair": key_pairs.import_key_pair,
        "DescribeKeyPairs": key_pairs.describe_key_pairs,
        "DeleteKeyPair": key_pairs.delete_key_pair,
        "DescribeImages": images.describe_images,
        "RegisterImage": images.register_image,
        "CreateImage": images.create_image,
        "DeregisterImage": images.deregister_image,
        "CopyImage": images.copy_image,
        "DescribeImageAttribute": images.describe_image_attribute,
        "ModifyImageAttribute": images.modify_image_attribute,
        "ResetImageAttribute": images.reset_image_attribute,
        "CreateSecurityGroup": security_groups.create_security_group,
        "DescribeSecurityGroups": security_groups.describe_security_groups,
        "DeleteSecurityGroup": security_groups.delete_security_group,
        "AuthorizeSecurityGroupIngress": security_groups.authorize_security_group_ingress,
        "AuthorizeSecurityGroupEgress": security_groups.authorize_security_group_egress,
        "RevokeSecurityGroupIngress": security_groups.revoke_security_group_ingress,
        "RevokeSecurityGroupEgress": security_groups.revoke_security_group_egress,
        "CreateVolume": volumes.create_volume,
        "DescribeVolumes": volumes.describe_volumes,
        "DeleteVolume": volumes.delete_volume,
        "AttachVolume": volumes.attach_volume,
        "DetachVolume": volumes.detach_volume,
        "ModifyVolume": volumes.modify_volume,
        "CreateSnapshot": volumes.create_snapshot,
        "DescribeSnapshots": volumes.describe_snapshots,
        "DeleteSnapshot": volumes.delete_snapshot,
        "CopySnapshot": volumes.copy_snapshot,
        "AllocateAddress": addresses.allocate_address,
        "AssociateAddress": addresses.associate_address,
        "DisassociateAddress": addresses.disassociate_address,
        "ReleaseAddress": addresses.release_address,
        "DescribeAddresses": addresses.describe_addresses,
        "DescribeVpcs": vpcs.describe_vpcs,
        "CreateVpc": vpcs.create_vpc,
        "DeleteVpc": vpcs.delete_vpc,
        "DescribeSubnets": vpcs.describe_subnets,
        "CreateSubnet": vpcs.create_subnet,
        "DeleteSubnet": vpcs.delete_subnet,
        "DescribeNetworkInterfaces": vpcs.describe_network_interfaces,
        "CreateTags": tags.create_tags,
        "DeleteTags": tags.delete_tags,
        "DescribeTags": tags.describe_tags,
    }
)
