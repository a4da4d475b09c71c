"""`python -m inductiva_mock` / `inductiva-mock`: run the mock server with uvicorn.

Signals: SIGTERM and SIGINT are recorded, never raised from their handler. An
exception raised from a signal handler surfaces in whatever code runs at that
moment, and some of it swallows exceptions (a weakref callback prints "Exception
ignored in" and carries on): an early SIGTERM was lost that way and the server
kept running. Before uvicorn serves, a recorded signal is acted on at the next
step; once uvicorn's own handlers are installed, a signal recorded earlier is
handed to them. The server then shuts down (runners stopped, a private data dir
removed) and exits with 128 + the signal's number (143 for SIGTERM, 130 for SIGINT).
The heavy imports come after the handlers are installed, so the window in which a
signal still has its default action (the process dies, nothing to clean yet) is
only the interpreter's start.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from .config import Config

__all__ = ["StopSignals", "main"]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignals:
    """The handler of SIGTERM/SIGINT: records the first signal, raises nothing."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum

    def install(self) -> None:
        """Handle the stop signals from now on."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, self)

    @property
    def exit_code(self) -> int:
        """128 + the signal's number once one was received, else 0."""
        return 0 if self.signum is None else 128 + self.signum


def main(argv: list[str] | None = None) -> int:
    """Parse options, print the startup line and serve until interrupted."""
    stop = StopSignals()
    stop.install()

    from .config import parse_args

    cfg = parse_args(argv)
    busy = _port_in_use(cfg.host, cfg.port)
    if busy:  # before the banner and the data dir: one line saying what to do
        print(f"inductiva-mock: error: {busy}", file=sys.stderr, flush=True)
        return 1
    logging.basicConfig(level=cfg.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    os.umask(0o077)  # every file of the server's state is private to its user
    from .app import create_app
    from .datadir import DataDirInUse

    try:
        app = create_app(cfg)
    except DataDirInUse as exc:
        print(f"inductiva-mock: error: {exc}", file=sys.stderr, flush=True)
        return 1
    backend = app.app.state.backend
    try:
        if stop.signum is not None:  # stopped while starting: nothing served
            return stop.exit_code
        _announce(cfg, backend.data_dir)
        _serve(app, cfg, stop)
    finally:
        backend.close()
    return stop.exit_code


def _serve(app: Any, cfg: Config, stop: StopSignals) -> None:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, told of a stop signal received before its handlers were in."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                if stop.signum is not None:
                    self.handle_exit(stop.signum, None)
                yield
            # uvicorn gave our handler back and raised the signals it caught again:
            # `stop` recorded them, so main() exits with the signal's code.

    config = uvicorn.Config(
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
    Server(config).run()


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
