"""Every native command, by lowercase name; each module of ``commands`` holds one area's."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.native.commands import (
    accounts,
    catalog,
    discovery,
    events,
    jobs,
    keypairs,
    network,
    security_groups,
    storage,
    tags,
    templates,
    usage,
    virtual_machines,
)
from gateway.native.registry import Command


def command_table() -> Mapping[str, Command]:
    commands = [
        command
        for module in (
            accounts,
            catalog,
            events,
            jobs,
            keypairs,
            network,
            security_groups,
            storage,
            tags,
            templates,
            usage,
            virtual_machines,
        )
        for command in module.commands
    ]
    commands.append(discovery.list_apis_command(commands))
    return {command.name.lower(): command for command in commands}
