"""A filter left to the rendered page (a description, a wildcard) thins what core's window
returns; a call tops its page up a bounded number of times and may answer a short page with a
NextToken, as EC2 may (tests/unit/test_ec2_listing.py counts what a call costs). boto3's
paginator still walks every match once."""

from __future__ import annotations

from typing import Any


def groups(ec2: Any, start: int, count: int, description: str = "plain") -> None:
    for n in range(start, start + count):
        ec2.create_security_group(GroupName=f"g{n}", Description=description)


def test_short_pages_still_walk_every_match_once(ec2: Any) -> None:
    groups(ec2, 0, 20)
    groups(ec2, 20, 3, description="special")
    pages = list(
        ec2.get_paginator("describe_security_groups").paginate(
            Filters=[{"Name": "description", "Values": ["spec*"]}],
            PaginationConfig={"PageSize": 5},
        )
    )
    assert (pages[0]["SecurityGroups"], bool(pages[0]["NextToken"])) == ([], True)  # a short page
    found = [g["GroupName"] for p in pages for g in p["SecurityGroups"]]
    assert found == ["g20", "g21", "g22"]
    assert all(len(p["SecurityGroups"]) <= 5 for p in pages)
