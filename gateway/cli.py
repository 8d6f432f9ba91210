"""``cloudgate``: the command line that scripts and users depend on (its contract is in the README).

Commands act on the database and hosts through core services directly; only ``serve`` starts
the HTTP server and the background workers.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from core import ADMIN_ACCOUNT, Services, ensure_installation
from core.errors import CoreError, NotFound
from core.views import AccountQuery, ImageQuery, ImageView, NewAccount
from gateway.config import ConfigError, GatewayConfig, load

TINY_IMAGE_NAME = "tiny-linux"
Command = Callable[[argparse.Namespace, Services], int]


def _print_table(rows: Sequence[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(list(rows), indent=2, default=str))
        return
    if not rows:
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns))


def _print_admin_keys(services: Services) -> None:
    result = ensure_installation(services)
    if result.admin is not None:
        print("Created the admin account. Its keys are shown only this once:")
        print(json.dumps(_account_json(result.admin), indent=2))
    if result.host is not None:
        print(
            f"Registered host {result.host.uri} ({result.host.virt_type.value}, "
            f"{result.host.cpus} CPUs, {result.host.memory_mib} MiB)"
        )
    sys.stdout.flush()


def _print_registered(image: ImageView) -> None:
    size = f"{image.virtual_size} bytes, {image.disk_format.value}"
    print(f"Registered {image.name} as {image.id} ({size})")


def _account_json(new: NewAccount) -> dict[str, str]:
    return {
        "account_id": str(new.account.id),
        "account": new.account.name,
        "username": new.username,
        "password": new.password,
        "access_key": new.access_key,
        "secret_key": new.secret_key,
    }


def cmd_serve(args: argparse.Namespace, services: Services) -> int:
    import uvicorn

    from gateway.app import create_app, freeze_startup_heap
    from gateway.common import RateLimit

    _print_admin_keys(services)
    config: GatewayConfig = args.config_loaded
    limit = RateLimit(config.api_requests_per_second, config.api_request_burst)
    app = create_app(services, rate_limit=limit, max_request_bytes=config.max_request_bytes)
    freeze_startup_heap()
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        log_level="info",
        access_log=False,  # uvicorn's writes query strings (signatures); gateway.access doesn't
        server_header=False,  # each API names the server itself (OCCI: "OCCI/1.1")
    )
    return 0


def cmd_init(_args: argparse.Namespace, services: Services) -> int:
    _print_admin_keys(services)
    print(f"Installation {services.installation} is ready.")
    return 0


def cmd_account_create(args: argparse.Namespace, services: Services) -> int:
    new = services.identity.create_account(args.name, admin=args.admin)
    print(json.dumps(_account_json(new), indent=None if args.json else 2))
    return 0


def cmd_account_list(args: argparse.Namespace, services: Services) -> int:
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    rows = [
        {"id": str(a.id), "name": a.name, "admin": a.is_admin, "created": a.created_at.isoformat()}
        for a in services.identity.list_accounts(admin, AccountQuery()).items
    ]
    _print_table(rows, args.json)
    return 0


def cmd_host_add(args: argparse.Namespace, services: Services) -> int:
    host = services.catalog.add_host(args.uri, services.settings.zone)
    print(
        f"Registered host {host.uri} ({host.virt_type.value}, {host.cpus} CPUs, "
        f"{host.memory_mib} MiB, {host.disk_gib} GiB)"
    )
    return 0


def cmd_host_list(args: argparse.Namespace, services: Services) -> int:
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    rows = [
        {
            "id": str(h.id),
            "uri": h.uri,
            "hostname": h.hostname,
            "zone": h.zone_name,
            "virt": h.virt_type.value,
            "cpus": h.cpus,
            "memory_mib": h.memory_mib,
            "disk_gib": h.disk_gib,
        }
        for h in services.catalog.list_hosts(admin)
    ]
    _print_table(rows, args.json)
    return 0


def cmd_image_build_tiny(args: argparse.Namespace, services: Services) -> int:
    from core import build_tiny_image

    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    try:
        existing = services.images.get_image(admin, TINY_IMAGE_NAME)
    except NotFound:
        existing = None
    if existing is not None and existing.owner_account_id == admin.account_id:
        print(f"{TINY_IMAGE_NAME} is already registered as {existing.id}")
        return 0
    cache = services.settings.data_dir / "cache"
    built = build_tiny_image(cache / "tiny-linux.qcow2", cache_dir=cache / "debs")
    image = services.images.register(
        admin,
        built,
        name=TINY_IMAGE_NAME,
        public=True,
        description="Cloudgate's tiny busybox test guest",
    )
    _print_registered(image)
    return 0


def cmd_image_import(args: argparse.Namespace, services: Services) -> int:
    owner = services.identity.caller_for(args.account)
    image = services.images.register(owner, Path(args.file), name=args.name, public=args.public)
    _print_registered(image)
    return 0


def cmd_image_list(args: argparse.Namespace, services: Services) -> int:
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    rows = [
        {
            "id": str(i.id),
            "name": i.name,
            "format": i.disk_format.value,
            "size": i.virtual_size,
            "public": i.is_public,
        }
        for i in services.images.list_images(admin, ImageQuery()).items
    ]
    _print_table(rows, args.json)
    return 0


def cmd_flavor_list(args: argparse.Namespace, services: Services) -> int:
    rows = [
        {"name": f.name, "vcpus": f.vcpus, "memory_mib": f.memory_mib, "disk_gib": f.disk_gib}
        for f in services.catalog.list_flavors()
    ]
    _print_table(rows, args.json)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cloudgate", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="TOML configuration file")
    commands = parser.add_subparsers(dest="command", required=True)

    def add(sub: Any, name: str, func: Command, help: str, *, json_flag: bool = False) -> Any:
        command = sub.add_parser(name, help=help)
        command.set_defaults(func=func)
        if json_flag:
            command.add_argument("--json", action="store_true", help="print JSON")
        return command

    serve = add(commands, "serve", cmd_serve, "run the gateway")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (default 8080)")
    add(commands, "init", cmd_init, "create the database, admin account and local host")

    account = commands.add_parser("account", help="accounts (tenants)").add_subparsers(
        dest="action", required=True
    )
    create = add(account, "create", cmd_account_create, "create an account", json_flag=True)
    create.add_argument("name")
    create.add_argument("--admin", action="store_true", help="the account administers the cloud")
    add(account, "list", cmd_account_list, "list accounts", json_flag=True)

    host = commands.add_parser("host", help="KVM hosts").add_subparsers(
        dest="action", required=True
    )
    add(host, "add", cmd_host_add, "register a libvirt URI as a host").add_argument("uri")
    add(host, "list", cmd_host_list, "list hosts", json_flag=True)

    image = commands.add_parser("image", help="guest images").add_subparsers(
        dest="action", required=True
    )
    add(image, "build-tiny", cmd_image_build_tiny, "build and register the tiny-linux image")
    imported = add(image, "import", cmd_image_import, "register a qcow2 or raw image file")
    imported.add_argument("file")
    imported.add_argument("--name", required=True)
    imported.add_argument("--public", action="store_true", help="visible to every account")
    imported.add_argument("--account", default=ADMIN_ACCOUNT, help="owner (default admin)")
    add(image, "list", cmd_image_list, "list images", json_flag=True)

    flavor = commands.add_parser("flavor", help="instance types").add_subparsers(
        dest="action", required=True
    )
    add(flavor, "list", cmd_flavor_list, "list flavors", json_flag=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        args.config_loaded = load(
            args.config, host=getattr(args, "host", None), port=getattr(args, "port", None)
        )
    except ConfigError as exc:
        print(f"cloudgate: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        services = Services(args.config_loaded.core)
    except (CoreError, OperationalError) as exc:  # a full disk, an unreadable file
        reason = exc.orig if isinstance(exc, OperationalError) else exc
        print(f"cloudgate: cannot open the database: {reason}", file=sys.stderr)
        return 1
    try:
        code: int = args.func(args, services)
        return code
    except CoreError as exc:
        print(f"cloudgate: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.func is not cmd_serve:
            services.close()


if __name__ == "__main__":
    sys.exit(main())
