"""The ``cloudgate`` command line, run as a user runs it, against test:///default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest


def cloudgate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CLOUDGATE_CONFIG": str(tmp_path / "absent.toml"),
        "CLOUDGATE_DATA_DIR": str(tmp_path / "data"),
        "CLOUDGATE_LIBVIRT_URI": "test:///default",
        "CLOUDGATE_POOL_NAME": f"cg-cli-{tmp_path.name[-12:]}",
    }
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def initialised(tmp_path: Path) -> Path:
    done = cloudgate(tmp_path, "init")
    assert done.returncode == 0, done.stderr
    assert "Its keys are shown only this once" in done.stdout
    assert "Registered host test:///default (test," in done.stdout
    again = cloudgate(tmp_path, "init")
    assert "shown only this once" not in again.stdout  # keys are printed once, ever
    return tmp_path


def test_account_create_prints_its_keys_as_json(initialised: Path) -> None:
    done = cloudgate(initialised, "account", "create", "bob", "--json")
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    assert set(created) == {
        "account_id",
        "account",
        "username",
        "password",
        "access_key",
        "secret_key",
    }
    uuid.UUID(created["account_id"])
    assert (created["account"], created["username"]) == ("bob", "bob")
    assert len(created["access_key"]) == 20
    listed = json.loads(cloudgate(initialised, "account", "list", "--json").stdout)
    assert [(a["name"], a["admin"]) for a in listed] == [("admin", True), ("bob", False)]


def test_listings(initialised: Path) -> None:
    hosts = json.loads(cloudgate(initialised, "host", "list", "--json").stdout)
    assert [(h["uri"], h["virt"]) for h in hosts] == [("test:///default", "test")]
    flavors = {
        f["name"]: f for f in json.loads(cloudgate(initialised, "flavor", "list", "--json").stdout)
    }
    assert {"t2.micro", "m1.small", "m1.medium"} <= set(flavors)
    assert (flavors["t2.micro"]["vcpus"], flavors["t2.micro"]["memory_mib"]) == (1, 1024)


def test_image_import_and_list(initialised: Path) -> None:
    disk = initialised / "disk.raw"
    disk.write_bytes(b"\0" * 1024 * 1024)
    done = cloudgate(initialised, "image", "import", str(disk), "--name", "my-raw", "--public")
    assert done.returncode == 0, done.stderr
    [image] = json.loads(cloudgate(initialised, "image", "list", "--json").stdout)
    assert (image["name"], image["format"], image["size"], image["public"]) == (
        "my-raw",
        "raw",
        1024 * 1024,
        True,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("account", "create", "admin"),
            "an account with this name exists",
            id="duplicate-account",
        ),
        pytest.param(("account", "create", "bad name!"), "name: 1-63 letters", id="bad-name"),
        pytest.param(
            ("image", "import", "/nonexistent.qcow2", "--name", "x"),
            "not a readable file",
            id="missing-file",
        ),
    ],
)
def test_errors_are_one_line_not_a_traceback(
    initialised: Path, args: tuple[str, ...], message: str
) -> None:
    done = cloudgate(initialised, *args)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_configuration_errors_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("prot = 1\n")
    done = cloudgate(tmp_path, "--config", str(bad), "flavor", "list")
    assert done.returncode == 2
    assert "unknown setting(s) prot" in done.stderr


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "data" / "cloudgate.db").mkdir(parents=True)  # where the database file goes
    done = cloudgate(tmp_path, "flavor", "list")
    assert done.returncode == 1
    assert "cloudgate: cannot open the database: unable to open database file" in done.stderr
    assert "Traceback" not in done.stderr
