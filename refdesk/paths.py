"""Where RefDesk's files live: the one place that decides data, database and resource locations.

Data lives in the local (non-roaming) user data folder from platformdirs, so a roaming profile never
copies patient data around. ``REFDESK_HOME`` overrides it (tests, portable installs, the IT person
who wants the data on a second drive); ``--db PATH`` overrides the database file alone.
"""

from __future__ import annotations

import os
import sys
from importlib import resources as importlib_resources
from pathlib import Path

from platformdirs import user_data_dir

from refdesk import APP_NAME

HOME_ENV = "REFDESK_HOME"
DATABASE_NAME = "refdesk.db"
DEMO_DATABASE_NAME = "refdesk-demo.db"
BACKUP_DIR_NAME = "backups"
_RESOURCE_PACKAGE = "refdesk_resources"


def data_dir() -> Path:
    """The folder that holds the database, backups and keys (created on first use)."""
    override = os.environ.get(HOME_ENV)
    path = (
        Path(override).expanduser()
        if override
        else Path(user_data_dir(APP_NAME, appauthor=False, roaming=False))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def backup_dir() -> Path:
    """The default backup folder (Settings may name another: a USB disk or a second drive). Created
    readable by its owner only, since every backup holds the patients' data."""
    path = data_dir() / BACKUP_DIR_NAME
    path.mkdir(mode=0o700, exist_ok=True)
    if os.name == "posix":
        path.chmod(0o700)
    return path


def default_database_path() -> Path:
    return data_dir() / DATABASE_NAME


def demo_database_path() -> Path:
    """The demo database is a separate file so demo patients never mix with real ones."""
    return data_dir() / DEMO_DATABASE_NAME


def resource_dir() -> Path:
    """The folder with icons, fonts, the style sheet and default intake scripts.

    Three cases, in this order: a PyInstaller bundle (``sys._MEIPASS``/resources), a source checkout
    (``resources/`` beside the ``refdesk`` package) and an installed wheel (the ``refdesk_resources``
    data package).
    """
    bundle_root = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle_root:
        return Path(bundle_root) / "resources"
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if checkout.is_dir():
        return checkout
    return Path(str(importlib_resources.files(_RESOURCE_PACKAGE)))


def resource_path(*parts: str) -> Path:
    """A file inside the resources folder; raises FileNotFoundError naming it when it is missing."""
    path = resource_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"RefDesk resource missing: {'/'.join(parts)} (looked in {resource_dir()})")
    return path
