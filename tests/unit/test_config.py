"""Configuration layers: defaults < TOML file < environment < command-line flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import ConfigError, load


def test_defaults_without_file_or_environment(tmp_path: Path) -> None:
    config = load(environ={"CLOUDGATE_CONFIG": str(tmp_path / "absent.toml")})
    assert (config.host, config.port) == ("127.0.0.1", 8080)
    assert config.core.libvirt_uri == "qemu:///system"
    assert config.core.data_dir == Path("/var/lib/cloudgate")
    assert config.core.database_url == "sqlite:////var/lib/cloudgate/cloudgate.db"
    assert config.max_request_bytes == 1024 * 1024


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    file = tmp_path / "cloudgate.toml"
    file.write_text(
        'data_dir = "/srv/cg"\nport = 9000\nstop_timeout = 5\nworkers = 2\n'
        'libvirt_uri = "qemu+ssh://kvm1/system"\napi_request_burst = 20\n'
    )
    config = load(file, environ={"CLOUDGATE_WORKERS": "8", "CLOUDGATE_PORT": "9100"}, port=9200)
    assert config.core.data_dir == Path("/srv/cg")
    assert config.core.database_url == "sqlite:////srv/cg/cloudgate.db"
    assert config.core.libvirt_uri == "qemu+ssh://kvm1/system"
    assert (config.core.stop_timeout, config.core.workers, config.port) == (5.0, 8, 9200)
    assert (config.api_requests_per_second, config.api_request_burst) == (100.0, 20)


def test_environment_names_the_file(tmp_path: Path) -> None:
    file = tmp_path / "other.toml"
    file.write_text('database_url = "postgresql://cg@db/cg"\n')
    config = load(environ={"CLOUDGATE_CONFIG": str(file)})
    assert config.core.database_url == "postgresql://cg@db/cg"


@pytest.mark.parametrize(
    ("text", "environ", "message"),
    [
        pytest.param("prot = 1\n", {}, "unknown setting(s) prot", id="typo-in-file"),
        pytest.param('port = "eighty"\n', {}, "'eighty' is not a valid int", id="bad-port-text"),
        pytest.param("port = 99999\n", {}, "not a TCP port", id="port-out-of-range"),
        pytest.param("workers = true\n", {}, "got a boolean", id="boolean"),
        pytest.param("workers = [1]\n", {}, "expected int, got list", id="list"),
        pytest.param("port = \n", {}, "Invalid value", id="broken-toml"),
        pytest.param("", {"CLOUDGATE_STOP_TIMEOUT": "soon"}, "not a valid float", id="bad-env"),
        pytest.param('public_pool = "198.51.100.7/24"\n', {}, "public_pool:", id="bad-pool"),
        pytest.param("", {"CLOUDGATE_NETWORK_SUPERNET": "ten"}, "network_supernet:", id="bad-net"),
        pytest.param("api_request_burst = 0\n", {}, "must be positive", id="no-burst"),
        pytest.param("max_request_bytes = 0\n", {}, "must be positive", id="no-body"),
    ],
)
def test_bad_configuration_is_named(
    tmp_path: Path, text: str, environ: dict[str, str], message: str
) -> None:
    file = tmp_path / "cloudgate.toml"
    file.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load(file, environ=environ)
    assert message in str(refused.value)


def test_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load(tmp_path / "absent.toml", environ={})
