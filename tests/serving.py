"""Serve an ASGI app with real uvicorn, or a folder of files, on 127.0.0.1 (a free port) in a
thread, for a test."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette


@contextmanager
def served(app: Starlette, *, lifespan: Literal["on", "off"] = "on") -> Iterator[str]:
    """Yields the base URL; the server stops when the block ends. With ``lifespan="off"`` the
    caller owns start-up and shutdown of the services behind the app."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan=lifespan,
            server_header=False,  # as `cloudgate serve`: each API names the server itself
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Tests read outcomes, not access logs."""


@contextmanager
def served_folder(root: Path) -> Iterator[tuple[str, http.server.ThreadingHTTPServer]]:
    """Yields the base URL of ``root``'s files and the server, which a test may shut down
    early to play an unreachable source."""
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="files-under-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        if thread.is_alive():
            server.shutdown()
        server.server_close()
        thread.join(10)
