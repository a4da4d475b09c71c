"""`python -m inductiva_mock` / `inductiva-mock`: run the mock server with uvicorn."""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

import uvicorn

from .app import create_app
from .config import Config, parse_args
from .datadir import DataDirInUse


def main(argv: list[str] | None = None) -> int:
    """Parse options, print the startup line and serve until interrupted."""
    cfg = parse_args(argv)
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
