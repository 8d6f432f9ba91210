"""Ansible's CloudStack modules (``ngine_io.cloudstack`` as shipped in the ``ansible`` package),
unmodified, run one playbook against the gateway: key pairs, a security group and its rule, an
instance through deploy, stop and start, a data volume through attach and detach, and the
teardown. The create tasks run twice, and the second run must change nothing."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cs import CloudStack

from core.views import ImageView
from tests.contract.native import NativeUser

COLLECTION: Final = "ngine_io.cloudstack"
ZONE: Final = "{{ zones.zones[0].name }}"
USER_DATA: Final = "#cloud-config\nhostname: web-1\n"


def _task(title: str, module: str, /, **args: Any) -> dict[str, Any]:
    return {"name": title, f"{COLLECTION}.{module}": args}


def _instance(title: str, state: str) -> dict[str, Any]:
    return _task(
        title,
        "cs_instance",
        name="web-1",
        state=state,
        zone=ZONE,
        template="tiny-linux",
        service_offering="t1.micro",
        ssh_key="deploy",
        security_groups=["web"],
        user_data=USER_DATA,
        tags=[{"key": "role", "value": "web"}],
    )


def _volume(title: str, state: str, **more: Any) -> dict[str, Any]:
    return _task(title, "cs_volume", name="data", zone=ZONE, state=state, **more)


def _playbook(public_key: str) -> list[dict[str, Any]]:
    creates = [
        _task("import key", "cs_sshkeypair", name="deploy", public_key=public_key),
        _task("create group", "cs_securitygroup", name="web", description="web servers"),
        _task(
            "allow ssh",
            "cs_securitygroup_rule",
            security_group="web",
            protocol="tcp",
            start_port=22,
            end_port=22,
            cidr="10.0.0.0/8",
        ),
        _instance("deploy", "present"),
        _volume("create volume", "present", disk_offering="Small"),
    ]
    again = [{**task, "name": f"{task['name']} again"} for task in creates]
    tasks = [
        {**_task("zones", "cs_zone_info"), "register": "zones"},
        _task("generate key", "cs_sshkeypair", name="generated"),
        *creates,
        *again,
        _instance("stop", "stopped"),
        _instance("start", "started"),
        _task("describe", "cs_instance_info", name="web-1"),
        _volume("attach", "attached", vm="web-1"),
        _volume("attach again", "attached", vm="web-1"),
        _volume("detach", "detached"),
        _volume("delete volume", "absent"),
        _instance("expunge", "expunged"),
        _task("delete group", "cs_securitygroup", name="web", state="absent"),
        _task("delete key", "cs_sshkeypair", name="deploy", state="absent"),
        _task("delete generated key", "cs_sshkeypair", name="generated", state="absent"),
    ]
    return [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]


def _run_playbook(user: NativeUser, tmp_path: Path, public_key: str) -> dict[str, dict[str, Any]]:
    """Runs the playbook hermetically and returns each task's result by task name."""
    home = tmp_path / "ansible"
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(json.dumps(_playbook(public_key)))  # JSON is YAML
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "CLOUDSTACK_"))
    }
    environment = {
        **inherited,
        "HOME": str(tmp_path),
        "CLOUDSTACK_ENDPOINT": user.endpoint,
        "CLOUDSTACK_KEY": user.key,
        "CLOUDSTACK_SECRET": user.secret,
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
        "ANSIBLE_REMOTE_TEMP": str(home / "tmp"),
        "ANSIBLE_COLLECTIONS_PATH": str(home / "collections"),  # only the ``ansible`` package's
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,  # the modules import ``cs`` from this venv
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "false",
    }
    finished = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "--inventory",
            "localhost,",
            str(playbook),
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        output = json.loads(finished.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"not JSON:\n{finished.stdout}\n{finished.stderr}") from None
    [play] = output["plays"]
    results = {t["task"]["name"]: t["hosts"]["localhost"] for t in play["tasks"]}
    failed = {name: r.get("msg") for name, r in results.items() if r.get("failed")}
    assert finished.returncode == 0 and not failed, (failed, finished.stderr)
    return results


def _md5_fingerprint(public_key: str) -> str:
    digest = hashlib.md5(base64.b64decode(public_key.split()[1]), usedforsecurity=False)
    return ":".join(f"{byte:02x}" for byte in digest.digest())


def test_playbook(native_user: NativeUser, image: ImageView, tmp_path: Path) -> None:
    public_key = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
        .decode()
    )
    results = _run_playbook(native_user, tmp_path, public_key)

    changed = {name: result["changed"] for name, result in results.items()}
    assert changed == {
        "zones": False,
        "generate key": True,
        "import key": True,
        "create group": True,
        "allow ssh": True,
        "deploy": True,
        "create volume": True,
        "import key again": False,
        "create group again": False,
        "allow ssh again": False,
        "deploy again": False,
        "create volume again": False,
        "stop": True,
        "start": True,
        "describe": False,
        "attach": True,
        "attach again": False,
        "detach": True,
        "delete volume": True,
        "expunge": True,
        "delete group": True,
        "delete key": True,
        "delete generated key": True,
    }

    [zone] = results["zones"]["zones"]
    assert (zone["network_type"], zone["securitygroups_enabled"]) == ("Advanced", True)
    assert results["generate key"]["private_key"].startswith("-----BEGIN")
    assert results["import key"]["fingerprint"] == _md5_fingerprint(public_key)
    assert results["import key again"]["fingerprint"] == _md5_fingerprint(public_key)
    rule = results["allow ssh"]
    assert (rule["protocol"], rule["start_port"], rule["end_port"], rule["cidr"]) == (
        "tcp",
        22,
        22,
        "10.0.0.0/8",
    )

    deployed = results["deploy"]
    assert deployed["state"] == "Running"
    assert deployed["zone"] == zone["name"]
    assert (deployed["template"], deployed["service_offering"]) == ("tiny-linux", "t1.micro")
    assert (deployed["ssh_key"], deployed["security_groups"]) == ("deploy", ["web"])
    assert deployed["user_data"] == base64.b64encode(USER_DATA.encode()).decode()
    assert deployed["tags"] == [{"key": "role", "value": "web"}]
    assert results["deploy again"]["id"] == deployed["id"]
    assert results["stop"]["state"] == "Stopped"
    assert results["start"]["state"] == "Running"

    [described] = results["describe"]["instances"]
    assert (described["id"], described["state"]) == (deployed["id"], "Running")
    [nic] = described["nic"]
    assert (nic["isdefault"], nic["networkname"]) == (True, "default")
    assert [v["type"] for v in described["volumes"]] == ["ROOT"]

    created = results["create volume"]
    assert (created["type"], created["size"], created["state"]) == (
        "DATADISK",
        5 * 1024**3,
        "Ready",
    )
    assert "vm" not in created
    attached = results["attach"]
    assert attached["id"] == created["id"]
    assert (attached["vm"], attached["device_id"]) == ("web-1", 1)
    assert "attached" in attached
    assert "vm" not in results["detach"] and "attached" not in results["detach"]
    assert results["expunge"]["id"] == deployed["id"]

    cs = CloudStack(endpoint=native_user.endpoint, key=native_user.key, secret=native_user.secret)
    assert cs.listVirtualMachines() == {}
    assert cs.listVolumes(type="DATADISK") == {}
    assert cs.listSSHKeyPairs() == {}
    assert [g["name"] for g in cs.listSecurityGroups()["securitygroup"]] == ["default"]
