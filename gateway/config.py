"""Configuration: built-in defaults, then a TOML file, then ``CLOUDGATE_*`` environment variables.

The TOML file is flat, with the same names as the variables (lower case, without the prefix)::

    database_url = "postgresql+psycopg://cloudgate@db/cloudgate"
    libvirt_uri = "qemu:///system"
    data_dir = "/var/lib/cloudgate"
    port = 8080

An unknown key or a value of the wrong type is an error, so a typo can't silently be ignored.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from core.settings import CoreSettings
from gateway.common import DEFAULT_MAX_REQUEST_BYTES

ENV_PREFIX: Final = "CLOUDGATE_"
DEFAULT_CONFIG_FILE: Final = Path("/etc/cloudgate/cloudgate.toml")
DEFAULT_DATA_DIR: Final = Path("/var/lib/cloudgate")


class ConfigError(Exception):
    """A configuration value is unknown, malformed or of the wrong type."""


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    core: CoreSettings
    host: str = "127.0.0.1"
    port: int = 8080
    api_requests_per_second: float = 100.0  # each account's request rate, every API ...
    api_request_burst: int = 200  # ... and the burst it may send at once
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES  # the largest body any API reads


_PARSERS: Final[dict[str, type]] = {"str": str, "int": int, "float": float, "Path": Path}
_CORE_TYPES: Final = {f.name: _PARSERS[str(f.type)] for f in dataclasses.fields(CoreSettings)}
_GATEWAY_TYPES: Final[dict[str, type]] = {
    "host": str,
    "port": int,
    "api_requests_per_second": float,
    "api_request_burst": int,
    "max_request_bytes": int,
}
_TYPES: Final = _CORE_TYPES | _GATEWAY_TYPES


def _coerce(name: str, value: Any) -> Any:
    """Environment values arrive as text and TOML values typed; both end as the field's type."""
    target = _TYPES[name]
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected {target.__name__}, got a boolean")
    if isinstance(value, str) or (target is float and isinstance(value, int)):
        try:
            return target(value)
        except ValueError:
            raise ConfigError(f"{name}: {value!r} is not a valid {target.__name__}") from None
    if not isinstance(value, target):
        raise ConfigError(f"{name}: expected {target.__name__}, got {type(value).__name__}")
    return value


def load(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None, **overrides: Any
) -> GatewayConfig:
    """Merge the layers; ``overrides`` are command-line flags and win over everything."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or (
        Path(environ[f"{ENV_PREFIX}CONFIG"])
        if f"{ENV_PREFIX}CONFIG" in environ
        else DEFAULT_CONFIG_FILE
    )
    if config_file is not None or path.exists():
        try:
            values.update(tomllib.loads(path.read_text()))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    unknown = set(values) - set(_TYPES)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    for name in _TYPES:
        env_name = ENV_PREFIX + name.upper()
        if env_name in environ:
            values[name] = environ[env_name]
    values.update({k: v for k, v in overrides.items() if v is not None})
    typed = {name: _coerce(name, value) for name, value in values.items()}
    data_dir = typed.setdefault("data_dir", DEFAULT_DATA_DIR)
    typed.setdefault("database_url", f"sqlite:///{data_dir}/cloudgate.db")
    typed.setdefault("libvirt_uri", "qemu:///system")
    gateway = {k: typed.pop(k) for k in list(typed) if k in _GATEWAY_TYPES}
    if "port" in gateway and not 0 <= gateway["port"] <= 65535:
        raise ConfigError(f"port: {gateway['port']} is not a TCP port")
    if gateway.get("api_requests_per_second", 1.0) <= 0 or gateway.get("api_request_burst", 1) < 1:
        raise ConfigError("api_requests_per_second and api_request_burst must be positive")
    if gateway.get("max_request_bytes", 1) < 1:
        raise ConfigError("max_request_bytes must be positive")
    for name in ("network_supernet", "public_pool"):
        if name in typed:
            try:
                ipaddress.IPv4Network(typed[name])
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc}") from None
    return GatewayConfig(core=CoreSettings(**typed), **gateway)
