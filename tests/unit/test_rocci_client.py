"""The real rOCCI-cli runs here as ``scripts/setup-rocci.sh`` left it (its unmodified sources,
Debian's Ruby 3.1 and gems, our shim), before any contract test points it at the gateway."""

from __future__ import annotations

import re
import socket
import subprocess

from tests.rocci import VERSION, Basic, occi_command, run_occi


def occi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*occi_command(), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def closed_port() -> int:
    """A loopback port nothing listens on: the kernel's pick, released at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_client_prints_its_version() -> None:
    """The client leaves through ``exit!``, which drops unflushed output: the shim's unbuffered
    streams are what let a pipe see the version at all."""
    done = occi("--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{VERSION}\n", "")


def test_the_help_lists_the_options_the_tests_use() -> None:
    done = occi("--help")
    assert (done.returncode, done.stderr) == (0, "")
    # Nothing before the usage line: hashie 5's warnings about rOCCI's attributes are silenced.
    assert done.stdout.startswith("Usage: occi [OPTIONS]\n")
    options = set(re.findall(r"^\s+-\w, (--[a-z-]+)", done.stdout, re.MULTILINE))
    assert {
        "--endpoint",
        "--auth",
        "--username",
        "--password",
        "--token",
        "--media-type",
        "--resource",
        "--action",
        "--attribute",
        "--mixin",
        "--link",
        "--trigger-action",
        "--context",
    } <= options


def test_a_command_reaches_the_endpoint_and_says_when_nothing_answers() -> None:
    """Past option checking (which refused every command on Ruby 3.1 without the shim's
    ``filter`` lookup), the client connects, and a refusal is one line on stderr."""
    endpoint = f"http://127.0.0.1:{closed_port()}/occi/"
    done = run_occi(endpoint, "--action", "list", "--resource", "compute", auth=Basic("u", "p"))
    assert (done.returncode, done.stdout) == (1, "")
    assert f'Connection refused by "{endpoint}"!' in done.stderr
