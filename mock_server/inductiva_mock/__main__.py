"""`python -m inductiva_mock` / `inductiva-mock`: run the mock server with uvicorn."""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import uvicorn

from .app import create_app
from .config import Config, parse_args
from .datadir import DataDirInUse


def main(argv: list[str] | None = None) -> int:
    """Parse options, print the startup line and serve until interrupted."""
    cfg = parse_args(argv)
    busy = _port_in_use(cfg.host, cfg.port)
    if busy:  # before the banner and the data dir: one line saying what to do
        print(f"inductiva-mock: error: {busy}", file=sys.stderr, flush=True)
        return 1
    logging.basicConfig(level=cfg.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    os.umask(0o077)  # every file of the server's state is private to its user
    # A SIGTERM before uvicorn takes over still unwinds, so a private data dir is removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        app = create_app(cfg)
    except DataDirInUse as exc:
        print(f"inductiva-mock: error: {exc}", file=sys.stderr, flush=True)
        return 1
    backend = app.app.state.backend
    try:
        _announce(cfg, backend.data_dir)
        uvicorn.run(
            app,
            host=cfg.host,
            port=cfg.port,
            log_level=cfg.log_level,
            timeout_graceful_shutdown=2,
            access_log=False,
            # Idle keep-alive connections stay open a minute (as cloud load balancers do),
            # not uvicorn's 5 s: clients polling every 5 s keep reusing theirs.
            timeout_keep_alive=65,
            # httptools and uvloop (the `mock` extra) when present; --baseline-stack: h11.
            http="h11" if cfg.baseline_stack else "auto",
            loop="asyncio" if cfg.baseline_stack else "auto",
        )
    finally:
        backend.close()
    return 0


def _port_in_use(host: str, port: int) -> str:
    """Why the server could not listen on ``host:port`` (e.g. the port is taken), or ""."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return (
                f"port {port} on {host} is already in use (another inductiva-mock?); "
                "choose another with --port N"
            )
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}; check --host and --port"
    return ""


def _announce(cfg: Config, data_dir: Path) -> None:
    """Print the startup lines: URL, data dir, API keys and (with --admin) the admin token."""
    keys = ", ".join(cfg.api_keys)
    note = " (generated; pass --api-key to choose)" if cfg.generated_key else ""
    where = "" if cfg.data_dir else " (private, removed at exit; pass --data-dir to keep it)"
    print(
        f"Inductiva mock server on http://{cfg.host}:{cfg.port} "
        f"data-dir={data_dir}{where} api-keys={keys}{note}",
        flush=True,
    )
    if cfg.admin:
        how = " (generated; pass --admin-token to choose)" if cfg.generated_admin_token else ""
        print(
            f"Admin endpoints on /__mock__/ with 'Authorization: Bearer {cfg.admin_token}'{how}",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
