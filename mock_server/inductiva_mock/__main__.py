"""`python -m inductiva_mock` / `inductiva-mock`: run the mock server with uvicorn."""

from __future__ import annotations

import logging
import os
import sys

import uvicorn

from .app import create_app
from .config import parse_args
from .datadir import DataDirInUse


def main(argv: list[str] | None = None) -> int:
    """Parse options, print the startup line and serve until interrupted."""
    cfg = parse_args(argv)
    logging.basicConfig(level=cfg.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    os.umask(0o077)  # every file of the server's state is private to its user
    try:
        app = create_app(cfg)
    except DataDirInUse as exc:
        print(f"inductiva-mock: error: {exc}", file=sys.stderr, flush=True)
        return 1
    backend = app.app.state.backend
    keys = ", ".join(cfg.api_keys)
    note = " (generated; pass --api-key to choose)" if cfg.generated_key else ""
    where = "" if cfg.data_dir else " (private, removed at exit; pass --data-dir to keep it)"
    print(
        f"Inductiva mock server on http://{cfg.host}:{cfg.port} "
        f"data-dir={backend.data_dir}{where} api-keys={keys}{note}",
        flush=True,
    )
    if cfg.admin:
        how = " (generated; pass --admin-token to choose)" if cfg.generated_admin_token else ""
        print(
            f"Admin endpoints on /__mock__/ with 'Authorization: Bearer {cfg.admin_token}'{how}",
            flush=True,
        )
    try:
        uvicorn.run(
            app,
            host=cfg.host,
            port=cfg.port,
            log_level=cfg.log_level,
            timeout_graceful_shutdown=2,
            access_log=False,
        )
    finally:
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
