"""Logging: a rotating file in the data folder. Bugs are logged with their traceback here, never shown
raw; nothing logged carries patient data (ids and codes only)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from refdesk.paths import data_dir

LOG_NAME = "refdesk.log"


def configure_logging(level: int = logging.INFO) -> Path | None:
    """Send RefDesk's log to ``<data folder>/logs/refdesk.log``; returns its path (None when unwritable)."""
    root = logging.getLogger()
    root.setLevel(level)
    try:
        folder = data_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / LOG_NAME
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        handler, path = logging.StreamHandler(), None
        handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return path
