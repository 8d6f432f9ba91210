"""DescribeImages (boto3) and listTemplates (``cs``) over one core image query: owners, filters,
tags and pages chosen in SQL must look to the clients exactly as they did when every image was
read and filtered in the front end."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from cs import CloudStack

from core.bootstrap import ADMIN_ACCOUNT
from core.enums import ResourceKind
from core.views import ImageView, NewAccount
from tests.contract.conftest import ServedCloud
from tests.contract.ec2 import client

NAMES = ("web-1", "web-2", "db-1", "web-3", "web-4", "web-5")  # registration order


@pytest.fixture(scope="module")
def ec2_account(served_cloud: ServedCloud) -> NewAccount:
    """One account for the module's tests, which only read its images."""
    return served_cloud.account("ec2-user")


@pytest.fixture(scope="module")
def owned(served_cloud: ServedCloud, ec2_account: NewAccount) -> dict[str, ImageView]:
    """Six images of the account, tagged ``role``, the last one made public by the admin,
    beside the cloud's public one."""
    served_cloud.image()
    services = served_cloud.services
    owner = services.identity.caller_for(ec2_account.username)
    made = {}
    for name in NAMES:
        disk = served_cloud.folder / f"{name}.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
        image = services.images.register(owner, disk, name=name, description=f"the {name} image")
        services.tags.create_tags(owner, ResourceKind.IMAGE, [image.ref], {"role": name[:-2]})
        made[name] = image
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    services.images.update_image(admin, made["web-5"].ref, public=True)
    return made


def image_ids(answer: dict[str, Any]) -> list[str]:
    return [i["ImageId"] for i in answer["Images"]]


def ami(*images: ImageView) -> list[str]:
    return [f"ami-{i.ref}" for i in images]


def test_owners_select_by_scope_and_account(
    served_cloud: ServedCloud, ec2_account: NewAccount, owned: dict[str, ImageView]
) -> None:
    ec2 = client(served_cloud.url, ec2_account)
    public = served_cloud.image()
    mine = ami(*owned.values())
    assert image_ids(ec2.describe_images(Owners=["self"])) == mine
    assert image_ids(ec2.describe_images(Owners=["amazon"])) == ami(public)  # not its own
    assert image_ids(ec2.describe_images(Owners=[str(ec2_account.account.id)])) == mine
    assert image_ids(ec2.describe_images(Owners=["self", "amazon"])) == [*ami(public), *mine]
    assert image_ids(ec2.describe_images(Owners=["123456789012"])) == []
    mixed = ["123456789012", str(ec2_account.account.id)]  # an owner unknown here admits nothing
    assert image_ids(ec2.describe_images(Owners=mixed)) == mine
    assert image_ids(ec2.describe_images(ExecutableUsers=["all"])) == ami(public, owned["web-5"])
    assert image_ids(ec2.describe_images(Owners=["self"], ExecutableUsers=["all"])) == ami(
        owned["web-5"]
    )


def test_filters_and_tags_combine(
    served_cloud: ServedCloud, ec2_account: NewAccount, owned: dict[str, ImageView]
) -> None:
    ec2 = client(served_cloud.url, ec2_account)
    web = [{"Name": "tag:role", "Values": ["web"]}, {"Name": "is-public", "Values": ["false"]}]
    assert image_ids(ec2.describe_images(Filters=web)) == ami(
        *(owned[n] for n in ("web-1", "web-2", "web-3", "web-4"))
    )
    wildcard = [{"Name": "name", "Values": ["*-1"]}, {"Name": "tag-key", "Values": ["role"]}]
    assert image_ids(ec2.describe_images(Filters=wildcard)) == ami(owned["web-1"], owned["db-1"])
    [described] = ec2.describe_images(ImageIds=ami(owned["db-1"]))["Images"]
    assert (described["Tags"], described["Public"]) == ([{"Key": "role", "Value": "db"}], False)
    with pytest.raises(ec2.exceptions.ClientError) as absent:
        ec2.describe_images(ImageIds=[*ami(owned["db-1"]), "ami-0123456789abcdef0"])
    assert absent.value.response["Error"]["Code"] == "InvalidAMIID.NotFound"


def test_pages_walk_every_image_once(
    served_cloud: ServedCloud, ec2_account: NewAccount, owned: dict[str, ImageView]
) -> None:
    ec2 = client(served_cloud.url, ec2_account)
    pages = ec2.get_paginator("describe_images").paginate(
        Owners=["self"], PaginationConfig={"PageSize": 5}
    )
    seen = [image_ids(page) for page in pages]
    assert [len(page) for page in seen] == [5, 1]
    assert [ref for page in seen for ref in page] == ami(*owned.values())


def test_list_templates_filters_and_pages(
    served_cloud: ServedCloud, ec2_account: NewAccount, owned: dict[str, ImageView]
) -> None:
    cs = CloudStack(
        endpoint=f"{served_cloud.url}/client/api",
        key=ec2_account.access_key,
        secret=ec2_account.secret_key,
    )

    def listed(**params: Any) -> list[str]:
        answer = cs.listTemplates(**params)
        return [t["name"] for t in answer.get("template", [])]

    assert listed(templatefilter="self") == list(NAMES)
    assert listed(templatefilter="featured") == ["tiny-linux", "web-5"]
    assert listed(templatefilter="executable") == ["tiny-linux", *NAMES]
    assert listed(templatefilter="self", keyword="WEB") == [n for n in NAMES if "web" in n]
    assert listed(templatefilter="self", page=2, pagesize=4) == ["web-4", "web-5"]
    assert cs.listTemplates(templatefilter="self", page=2, pagesize=4)["count"] == 6
    assert listed(templatefilter="self", **{"tags[0].key": "role", "tags[0].value": "db"}) == [
        "db-1"
    ]
    [db] = cs.listTemplates(templatefilter="self", id=str(owned["db-1"].id))["template"]
    assert db["tags"][0]["key"] == "role" and db["tags"][0]["value"] == "db"
    assert listed(templatefilter="all", hypervisor="XenServer") == []
