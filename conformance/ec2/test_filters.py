"""``Filter.N.Name`` / ``Filter.N.Value.M`` (spec §2.9) on security groups, key pairs and tags,
which need no instance: ``*`` and ``?`` wildcards, ``\\`` escapes, values OR-ed within a filter
and filters AND-ed, ``tag:K``, ``tag-key`` and ``tag-value``, case-sensitive names and values,
and ``InvalidParameterValue`` for a filter name the action does not know.

Three tagged groups and two key pairs are made once for the module, under a fresh ``cf-`` prefix;
only those are looked at, so other groups in a shared account do not disturb the checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.ec2.checks import refused
from conformance.ec2.client import Ec2, Resources, new_name

# name suffix → (description, tags)
GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "web1": ("cf web servers", {"role": "web", "tier": "?", "Name": "front"}),
    "web2": ("cf web servers", {"role": "web", "tier": "any"}),
    "db1": ("cf databases", {"role": "db", "tier": "*"}),
}


@dataclass(frozen=True, slots=True)
class World:
    prefix: str
    group_ids: dict[str, str]  # suffix → GroupId
    key_pairs: dict[str, dict[str, Any]]  # suffix → CreateKeyPair's answer

    def suffix_of(self, name: str) -> str | None:
        head = f"{self.prefix}-"
        return name.removeprefix(head) if name.startswith(head) else None


@pytest.fixture(scope="module")
def world(ec2: Ec2, zone: str) -> Iterator[World]:
    resources = Resources(ec2, zone)
    prefix = new_name()
    try:
        group_ids = {
            suffix: resources.security_group(f"{prefix}-{suffix}", description, **tags)["GroupId"]
            for suffix, (description, tags) in GROUPS.items()
        }
        key_pairs = {s: resources.key_pair(f"{prefix}-{s}") for s in ("k1", "k2")}
        yield World(prefix, group_ids, key_pairs)
    finally:
        resources.close()


def by(name: str, *values: str) -> dict[str, Any]:
    """One ``Filter``: its name and values."""
    return {"Name": name, "Values": list(values)}


def groups(ec2: Ec2, world: World, filters: Sequence[dict[str, Any]]) -> set[str]:
    """The suffixes of the module's groups that ``DescribeSecurityGroups`` returns."""
    found = ec2.describe_security_groups(Filters=list(filters))["SecurityGroups"]
    return {s for g in found if (s := world.suffix_of(g["GroupName"])) is not None}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        pytest.param("web*", {"web1", "web2"}, id="star"),
        pytest.param("*1", {"web1", "db1"}, id="star-first"),
        pytest.param("db1*", {"db1"}, id="star-matches-nothing"),
        pytest.param("web?", {"web1", "web2"}, id="question-mark"),
        pytest.param("we?", set(), id="question-mark-is-exactly-one"),
        pytest.param("d?1", {"db1"}, id="question-mark-inside"),
        pytest.param("web", set(), id="whole-value-must-match"),
        pytest.param("WEB1", set(), id="case-sensitive"),
    ],
)
def test_wildcards_in_group_names(ec2: Ec2, world: World, pattern: str, expected: set[str]) -> None:
    assert groups(ec2, world, [by("group-name", f"{world.prefix}-{pattern}")]) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("\\*", {"db1"}, id="escaped-star"),
        pytest.param("\\?", {"web1"}, id="escaped-question-mark"),
        pytest.param("*", {"web1", "web2", "db1"}, id="star"),
        pytest.param("?", {"web1", "db1"}, id="question-mark"),
    ],
)
def test_backslash_makes_a_wildcard_literal(
    ec2: Ec2, world: World, value: str, expected: set[str]
) -> None:
    """The tag ``tier`` is ``?`` on web1, ``any`` on web2 and ``*`` on db1."""
    assert groups(ec2, world, [by("tag:tier", value)]) == expected


def test_values_of_one_filter_are_ored(ec2: Ec2, world: World) -> None:
    names = (f"{world.prefix}-web1", f"{world.prefix}-db1")
    assert groups(ec2, world, [by("group-name", *names)]) == {"web1", "db1"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param(
            [by("description", "cf web servers"), by("tag:tier", "any")],
            {"web2"},
            id="both-hold",
        ),
        pytest.param(
            [by("description", "cf databases"), by("tag:role", "web")],
            set(),
            id="one-fails",
        ),
    ],
)
def test_filters_are_anded(
    ec2: Ec2, world: World, filters: list[dict[str, Any]], expected: set[str]
) -> None:
    assert groups(ec2, world, filters) == expected


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        pytest.param("tag:role", "web", {"web1", "web2"}, id="tag-key-and-value"),
        pytest.param("tag:role", "WEB", set(), id="tag-value-case-sensitive"),
        pytest.param("tag:Role", "web", set(), id="tag-key-case-sensitive"),
        pytest.param("tag:role", "d*", {"db1"}, id="tag-value-wildcard"),
        pytest.param("tag-key", "Name", {"web1"}, id="tag-key"),
        pytest.param("tag-value", "db", {"db1"}, id="tag-value"),
        pytest.param("tag-value", "fro?t", {"web1"}, id="tag-value-wildcard-any-key"),
    ],
)
def test_tag_filters(ec2: Ec2, world: World, name: str, value: str, expected: set[str]) -> None:
    assert groups(ec2, world, [by(name, value)]) == expected


def test_group_id_filter(ec2: Ec2, world: World) -> None:
    assert groups(ec2, world, [by("group-id", world.group_ids["web2"])]) == {"web2"}


def key_pairs(ec2: Ec2, world: World, filters: Sequence[dict[str, Any]]) -> set[str]:
    found = ec2.describe_key_pairs(Filters=list(filters))["KeyPairs"]
    return {s for k in found if (s := world.suffix_of(k["KeyName"])) is not None}


def test_key_pair_filters(ec2: Ec2, world: World) -> None:
    prefix = world.prefix
    assert key_pairs(ec2, world, [by("key-name", f"{prefix}-k*")]) == {"k1", "k2"}
    assert key_pairs(ec2, world, [by("key-name", f"{prefix}-k?")]) == {"k1", "k2"}
    assert key_pairs(ec2, world, [by("key-name", f"{prefix}-k1", f"{prefix}-k3")]) == {"k1"}
    fingerprint = world.key_pairs["k2"]["KeyFingerprint"]
    assert key_pairs(ec2, world, [by("fingerprint", fingerprint)]) == {"k2"}
    both = [by("key-name", f"{prefix}-*"), by("fingerprint", fingerprint)]
    assert key_pairs(ec2, world, both) == {"k2"}


def test_tags_filters(ec2: Ec2, world: World) -> None:
    """``DescribeTags`` filters on ``resource-id``, ``resource-type``, ``key`` and ``value``."""
    web1, db1 = world.group_ids["web1"], world.group_ids["db1"]

    def tags(*filters: dict[str, Any]) -> set[tuple[str, str, str]]:
        found = ec2.describe_tags(Filters=[*filters, by("resource-id", web1, db1)])["Tags"]
        return {(t["ResourceId"], t["Key"], t["Value"]) for t in found}

    assert tags(by("key", "role")) == {(web1, "role", "web"), (db1, "role", "db")}
    assert tags(by("key", "ti?r"), by("value", "\\*")) == {(db1, "tier", "*")}
    assert tags(by("resource-type", "security-group"), by("key", "N*")) == {(web1, "Name", "front")}
    assert tags(by("resource-type", "volume")) == set()
    everything = tags()
    assert len(everything) == 7 and all(t[0] in (web1, db1) for t in everything)


@pytest.mark.parametrize(
    "describe",
    [
        pytest.param(lambda e, f: e.describe_security_groups(Filters=f), id="security-groups"),
        pytest.param(lambda e, f: e.describe_key_pairs(Filters=f), id="key-pairs"),
        pytest.param(lambda e, f: e.describe_tags(Filters=f), id="tags"),
        pytest.param(lambda e, f: e.describe_volumes(Filters=f), id="volumes"),
        pytest.param(lambda e, f: e.describe_instances(Filters=f), id="instances"),
    ],
)
def test_unknown_filter_name_is_invalid_parameter_value(
    ec2: Ec2, describe: Callable[[Ec2, list[dict[str, Any]]], dict[str, Any]]
) -> None:
    """Ignoring it would return everything; AWS says ``The filter 'x' is invalid``."""
    answer = refused(lambda: describe(ec2, [by("cf-no-such-filter", "x")]))
    assert answer == ("InvalidParameterValue", 400)
