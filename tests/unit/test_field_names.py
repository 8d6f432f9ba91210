"""Each API names a refused argument its own way: the field table in ``translations`` against
what core raises, and the message EC2 builds from it."""

from __future__ import annotations

import pytest

from core.errors import InvalidArgument
from gateway.ec2.errors import from_core
from tests.unit.core_source import invalid_argument_fields
from translations.fields import FIELDS, ec2_field, native_field


def test_every_row_names_a_field_core_raises() -> None:
    assert set(FIELDS) - set(invalid_argument_fields()) == set()


@pytest.mark.parametrize(
    ("field", "ec2", "native"),
    [
        pytest.param("size", "Size", "size", id="size"),
        pytest.param("group_name", "GroupName", "name", id="group-name"),
        pytest.param("protocol", "IpProtocol", "protocol", id="protocol"),
        pytest.param("icmp_type", "FromPort", "icmptype", id="icmp-type"),
        pytest.param("peer_cidr", "CidrIp", "cidrlist", id="peer-cidr"),
        pytest.param("client_token", "ClientToken", "client_token", id="ec2-only"),
        pytest.param("url", "url", "url", id="no-row"),
    ],
)
def test_each_api_shows_its_own_name(field: str, ec2: str, native: str) -> None:
    assert (ec2_field(field), native_field(field)) == (ec2, native)


def test_ec2_message_names_its_member_as_before() -> None:
    refused = InvalidArgument("size", "must be between 1 and 16384 GiB")
    assert from_core(refused).message == (
        "Value for parameter Size is invalid: must be between 1 and 16384 GiB"
    )
