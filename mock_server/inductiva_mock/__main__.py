"""`python -m inductiva_mock`: run the mock server with uvicorn."""

from __future__ import annotations

import logging
import sys

import uvicorn

from .app import create_app
from .config import parse_args


def main(argv: list[str] | None = None) -> int:
    """Parse options, print the startup line and serve until interrupted."""
    cfg = parse_args(argv)
    logging.basicConfig(level=cfg.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    app = create_app(cfg)
    keys = ", ".join(cfg.api_keys)
    note = " (generated; pass --api-key to choose)" if cfg.generated_key else ""
    print(
        f"Inductiva mock server on http://{cfg.host}:{cfg.port} data-dir={cfg.data_dir} "
        f"api-keys={keys}{note}",
        flush=True,
    )
    uvicorn.run(
        app,
        host=cfg.host,
        port=cfg.port,
        log_level=cfg.log_level,
        timeout_graceful_shutdown=2,
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
