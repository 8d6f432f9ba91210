"""A classic boto 2 script, as users kept them: SigV2 against ``/awsapi`` on a custom port.

Run by tests/contract/test_ec2_boto2.py as ``python boto2_walkthrough.py URL KEY SECRET AMI``;
it prints one JSON line of what it saw, and exits non-zero on any error.
"""

import json
import sys
import time
from urllib.parse import urlsplit

import boto.ec2
from boto.ec2.regioninfo import RegionInfo


def main() -> None:
    url, key, secret, ami = sys.argv[1:5]
    parts = urlsplit(url)
    conn = boto.connect_ec2(
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        is_secure=False,
        region=RegionInfo(name="cloudgate-1", endpoint=parts.hostname),
        port=parts.port,
        path="/awsapi",
    )
    seen = {}
    seen["zones"] = [z.name for z in conn.get_all_zones()]
    pair = conn.create_key_pair("boto2-key")
    seen["fingerprint"] = pair.fingerprint
    group = conn.create_security_group("boto2-web", "web servers")
    group.authorize("tcp", 22, 22, "10.0.0.0/8")
    reservation = conn.run_instances(
        ami, instance_type="t2.nano", key_name="boto2-key", security_groups=["boto2-web"]
    )
    instance = reservation.instances[0]
    for _ in range(60):
        instance.update()
        if instance.state == "running":
            break
        time.sleep(1)
    seen["state"] = instance.state
    conn.create_tags([instance.id], {"Name": "classic"})
    tagged = conn.get_all_instances(filters={"tag:Name": "classic"})
    seen["tagged"] = [i.id for r in tagged for i in r.instances]
    seen["instance"] = instance.id
    volume = conn.create_volume(1, "cloudgate-1a")
    for _ in range(60):
        volume.update()
        if volume.status == "available":
            break
        time.sleep(1)
    seen["volume"] = volume.status
    address = conn.allocate_address(domain="vpc")
    seen["address"] = address.public_ip
    conn.release_address(allocation_id=address.allocation_id)
    seen["groups"] = sorted(
        (g.name, [(r.ip_protocol, r.from_port, r.to_port) for r in g.rules])
        for g in conn.get_all_security_groups()
    )
    seen["terminated"] = [i.id for i in conn.terminate_instances([instance.id])]
    conn.delete_volume(volume.id)
    conn.delete_key_pair("boto2-key")
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
