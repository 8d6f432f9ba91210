"""Two real guests on an isolated network: DHCP leases as the API reports them, a security
group enforced by nwfilter, and no passing it from a forged address, checked only from inside
guest A (its console).

Guest B listens on TCP 8080 and answers PONG; guest A tries B every second and prints what it
got. The host never connects to a guest address.
"""

from __future__ import annotations

import ipaddress
import re

from core.bootstrap import ADMIN_ACCOUNT
from core.network.rules import Direction
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.views import RuleRequest
from tests.integration.conftest import wait_for
from tests.integration.test_lifecycle import console, ready_console

PORT = 8080
LISTENER = f"""#!/bin/sh
( nc -ll -p {PORT} -e /bin/echo PONG ) >/dev/console 2>&1 &
""".encode()


def prober(target: str) -> bytes:
    return f"""#!/bin/sh
(
  n=0
  while :; do
    n=$((n + 1))
    got=$(echo ping | nc -w 1 {target} {PORT} 2>/dev/null)
    echo "cloudgate-probe $n: [$got]"
    sleep 1
  done
) >/dev/console 2>&1 &
""".encode()


def _probes(text: str) -> list[tuple[int, bool]]:
    return [
        (int(n), got == "PONG") for n, got in re.findall(r"cloudgate-probe (\d+): \[(\w*)\]", text)
    ]


def _answers_after(cloud: Services, ref: str, since: int, wanted: bool) -> bool:
    """Three probes in a row, all numbered after ``since``, that got (or did not get) PONG."""
    later = [ok for n, ok in _probes(console(cloud, ref)) if n > since]
    return len(later) >= 3 and later[-3:] == [wanted] * 3


def _last_probe(cloud: Services, ref: str) -> int:
    return max((n for n, _ in _probes(console(cloud, ref))), default=0)


def test_leases_and_a_security_group_between_two_guests(cloud: Services) -> None:
    admin = cloud.identity.caller_for(ADMIN_ACCOUNT)
    network = cloud.networks.create_network(admin, "it-net")
    web = cloud.security_groups.create_group(admin, "web", "B's listener")
    cloud.security_groups.authorize(
        admin, web.ref, Direction.INGRESS, [RuleRequest("tcp", PORT, PORT, cidr=network.cidr)]
    )

    [b] = cloud.compute.launch(
        admin,
        LaunchRequest(
            "tiny-linux",
            "t1.micro",
            user_data=LISTENER,
            name="b",
            network=network.ref,
            security_groups=("web",),
        ),
    ).instances
    b_ip = wait_for(
        "B's DHCP lease in the API", lambda: cloud.compute.get_instance(admin, b.ref).private_ip
    )
    wait_for("B ready", lambda: ready_console(cloud, b.ref))
    assert f"cloudgate-dhcp: eth0 {b_ip}" in console(cloud, b.ref)  # what the guest got
    [a] = cloud.compute.launch(
        admin,
        LaunchRequest("tiny-linux", "t1.micro", user_data=prober(b_ip), name="a", network="it-net"),
    ).instances
    a_ip = wait_for(
        "A's DHCP lease in the API", lambda: cloud.compute.get_instance(admin, a.ref).private_ip
    )
    assert a_ip != b_ip
    wait_for("A ready", lambda: ready_console(cloud, a.ref))
    assert f"cloudgate-dhcp: eth0 {a_ip}" in console(cloud, a.ref)
    assert cloud.compute.get_instance(admin, a.ref).nics[0].network_id == network.id

    wait_for("A to reach B", lambda: _answers_after(cloud, a.ref, 0, True), timeout=60)

    revoked_at = _last_probe(cloud, a.ref)
    cloud.security_groups.revoke(
        admin, web.ref, Direction.INGRESS, [RuleRequest("tcp", PORT, PORT, cidr=network.cidr)]
    )
    wait_for("A to be cut off", lambda: _answers_after(cloud, a.ref, revoked_at, False), timeout=60)

    allowed_at = _last_probe(cloud, a.ref)
    cloud.security_groups.authorize(
        admin, web.ref, Direction.INGRESS, [RuleRequest("tcp", PORT, PORT, source_group="default")]
    )
    wait_for(
        "A let in again as a member of default",
        lambda: _answers_after(cloud, a.ref, allowed_at, True),
        timeout=60,
    )


def spoofer(target: str, forged: str) -> bytes:
    """Pings ``target`` every second from the guest's own address and from ``forged``, an
    address it takes on as well (and answers ARP for), and prints which got a reply."""
    return f"""#!/bin/sh
(
  ip addr add {forged}/32 dev eth0
  n=0
  while :; do
    n=$((n + 1))
    own=no; forged=no
    ping -c 1 -W 1 {target} >/dev/null 2>&1 && own=yes
    ping -c 1 -W 1 -I {forged} {target} >/dev/null 2>&1 && forged=yes
    echo "cloudgate-spoof $n: own=$own forged=$forged"
    sleep 1
  done
) >/dev/console 2>&1 &
""".encode()


def _spoof_rounds(cloud: Services, ref: str) -> list[tuple[bool, bool]]:
    found = re.findall(r"cloudgate-spoof \d+: own=(\w+) forged=(\w+)", console(cloud, ref))
    return [(own == "yes", forged == "yes") for own, forged in found]


def test_a_guest_cannot_pass_a_rule_from_an_address_not_its_own(cloud: Services) -> None:
    """B's group lets ICMP in from its peers (a source-group rule) and from one trusted
    address that no guest holds. A takes that address on too and pings B from both: only its
    own address gets through. libvirt's clean-traffic on A's NIC drops what A sends from any
    other, as it would a member's address that A took to pass a source-group rule."""
    admin = cloud.identity.caller_for(ADMIN_ACCOUNT)
    network = cloud.networks.create_network(admin, "spoof-net")
    trusted = str(ipaddress.ip_network(network.cidr)[200])
    pinged = cloud.security_groups.create_group(admin, "pinged", "B")
    cloud.security_groups.authorize(
        admin,
        pinged.ref,
        Direction.INGRESS,
        [RuleRequest("icmp", source_group="default"), RuleRequest("icmp", cidr=f"{trusted}/32")],
    )
    [b] = cloud.compute.launch(
        admin,
        LaunchRequest(
            "tiny-linux", "t1.micro", name="b", network=network.ref, security_groups=("pinged",)
        ),
    ).instances
    b_ip = wait_for("B's lease", lambda: cloud.compute.get_instance(admin, b.ref).private_ip)
    [a] = cloud.compute.launch(
        admin,
        LaunchRequest(
            "tiny-linux",
            "t1.micro",
            user_data=spoofer(b_ip, trusted),
            name="a",
            network=network.ref,
        ),
    ).instances
    a_ip = wait_for("A's lease", lambda: cloud.compute.get_instance(admin, a.ref).private_ip)
    assert trusted not in (a_ip, b_ip)
    wait_for(
        "ten rounds in which A's own pings got through",
        lambda: sum(own for own, _ in _spoof_rounds(cloud, a.ref)) >= 10,
        timeout=120,
    )
    rounds = _spoof_rounds(cloud, a.ref)
    assert not any(forged for _, forged in rounds), rounds
