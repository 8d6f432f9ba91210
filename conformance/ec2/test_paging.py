"""``MaxResults`` / ``NextToken`` (spec §2.10) on ``DescribeSecurityGroups``: 5 to 1000 items a
page, a token that is the same for the same request and absent on the last page, refusals for
a value below 5, a bogus token and ``MaxResults`` with explicit ids, and botocore's paginator
seeing every group exactly once.

Seven groups are made once for the module; with the account's own default group that is more
than one page of five, whatever else a shared account holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import pytest

from conformance.ec2.checks import refused
from conformance.ec2.client import Ec2, Resources, new_name

GROUPS: Final = 7
PAGE: Final = 5


@pytest.fixture(scope="module")
def paged(ec2: Ec2, zone: str) -> Iterator[set[str]]:
    """The ids of the module's groups."""
    resources = Resources(ec2, zone)
    prefix = new_name()
    try:
        yield {
            resources.security_group(f"{prefix}-{n}", "cf paging")["GroupId"] for n in range(GROUPS)
        }
    finally:
        resources.close()


def group_ids(page: dict[str, Any]) -> list[str]:
    return [g["GroupId"] for g in page["SecurityGroups"]]


def test_pages_of_five_end_without_a_token(ec2: Ec2, paged: set[str]) -> None:
    first = ec2.describe_security_groups(MaxResults=PAGE)
    assert len(first["SecurityGroups"]) == PAGE
    token = first.get("NextToken")
    assert token, "a full first page without a NextToken"
    again = ec2.describe_security_groups(MaxResults=PAGE)
    assert again.get("NextToken") == token, "the same request gave another token"

    seen = group_ids(first)
    pages = 1
    while token:
        page = ec2.describe_security_groups(MaxResults=PAGE, NextToken=token)
        assert 0 < len(page["SecurityGroups"]) <= PAGE
        assert page.get("NextToken") != token, "a page handed back its own token"
        seen += group_ids(page)
        token = page.get("NextToken")
        pages += 1
        assert pages <= 1000, "the tokens never end"
    assert len(seen) == len(set(seen)), "a group was listed twice"
    assert paged <= set(seen)


def test_max_results_above_1000_is_capped(ec2: Ec2, paged: set[str]) -> None:
    """ec2api-tempest-plugin sends 1100: accepted, as 1000."""
    answer = ec2.describe_security_groups(MaxResults=1100)
    assert paged <= set(group_ids(answer))


def test_paginator_walks_every_group_once(ec2: Ec2, paged: set[str]) -> None:
    pages = ec2.get_paginator("describe_security_groups").paginate(
        PaginationConfig={"PageSize": PAGE}
    )
    seen = [i for page in pages for i in group_ids(page)]
    assert len(seen) == len(set(seen)), "a group was listed twice"
    assert paged <= set(seen)
    assert set(seen) == set(group_ids(ec2.describe_security_groups()))


def test_max_results_below_five_is_invalid_parameter_value(unchecked: Ec2) -> None:
    """botocore knows the minimum and would not send it; a client without validation does."""
    assert refused(lambda: unchecked.describe_security_groups(MaxResults=4)) == (
        "InvalidParameterValue",
        400,
    )


def test_bogus_token_is_refused(ec2: Ec2) -> None:
    """A token the server never issued must not restart the listing (Terraform loops on it);
    the code's name differs between implementations (spec §2.6)."""
    code, status = refused(
        lambda: ec2.describe_security_groups(MaxResults=PAGE, NextToken="cf-bogus-token")
    )
    assert status == 400
    assert code in {"InvalidParameterValue", "InvalidNextToken", "InvalidPaginationToken"}, code


def test_max_results_with_group_ids_is_invalid_parameter_combination(
    ec2: Ec2, paged: set[str]
) -> None:
    some = sorted(paged)[:2]
    assert refused(lambda: ec2.describe_security_groups(GroupIds=some, MaxResults=PAGE)) == (
        "InvalidParameterCombination",
        400,
    )
