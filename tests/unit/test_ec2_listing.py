"""What a Describe call costs when a filter left to the rendered page thins core's windows:
it tops its page up at most ``listing.MAX_READS`` times, so a filter that matches nothing
costs each call the same whatever the number of rows (it once read them all, a few at a time)."""

from __future__ import annotations

from typing import Any

from core.services.container import Services
from core.views import Caller
from gateway.ec2.actions.security_groups import describe_security_groups
from gateway.ec2.call import Call
from tests.unit.helpers import counted

NOTHING = [{"Name": "description", "Values": ["no such description"]}]


def described(services: Services, caller: Caller, **args: Any) -> tuple[int, Any]:
    call = Call(services, caller, args, "request-1", "http://127.0.0.1/")
    with counted(services) as seen:
        answer = describe_security_groups(call)
    return len(seen), answer


def test_a_filter_matching_nothing_costs_each_call_the_same(
    services: Services, alice: Caller
) -> None:
    def make(start: int, count: int) -> None:
        for n in range(start, start + count):
            services.security_groups.create_group(alice, f"g{n}", "plain")

    make(0, 30)
    described(services, alice)  # the first listing of an account makes its default group
    at_30, answer = described(services, alice, Filters=NOTHING, MaxResults=5)
    assert answer["SecurityGroups"] == [] and answer["NextToken"]
    make(30, 60)
    at_90, _ = described(services, alice, Filters=NOTHING, MaxResults=5)
    assert at_90 == at_30
