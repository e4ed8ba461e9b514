"""Where RefDesk's files live: the one place that decides data, database and resource locations.

Data lives in the local (non-roaming) user data folder from platformdirs, so a roaming profile never
copies patient data around. ``REFDESK_HOME`` overrides it (tests, portable installs, the IT person
who wants the data on a second drive); ``--db PATH`` overrides the database file alone.
"""

from __future__ import annotations

import json
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
AUDIT_KEY_NAME = "audit.key"
WORKSTATION_FILE_NAME = "workstation.json"
_RESOURCE_PACKAGE = "refdesk_resources"


def data_dir() -> Path:
    """The folder that holds the database, backups and keys (created on first use)."""
    override = os.environ.get(HOME_ENV)
    path = (
        Path(override).expanduser()
        if override
        else Path(user_data_dir(APP_NAME, appauthor=False, roaming=False))
    )
    if not path.is_dir():
        # Owner-only from the start: it holds the database, the backups and the audit key.
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def default_backup_dir() -> Path:
    """``backups`` in the data folder, where backups go until Settings names another folder."""
    return data_dir() / BACKUP_DIR_NAME


def backup_dir() -> Path:
    """The backup folder: the one chosen in Settings (a USB disk or a second drive), else the default.
    Created readable by its owner only, since every backup holds the patients' data.

    The choice is kept in the workstation file, not in the database: the recovery screen must find the
    backups when the database itself is what is damaged.
    """
    chosen = workstation_setting("backup_folder")
    path = Path(chosen).expanduser() if isinstance(chosen, str) and chosen else default_backup_dir()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix" and path == default_backup_dir():
        path.chmod(0o700)
    return path


def set_backup_dir(folder: Path | None) -> None:
    """Choose the backup folder (``None``: back to the default in the data folder)."""
    set_workstation_setting("backup_folder", str(Path(folder).expanduser()) if folder else None)


def audit_key_path() -> Path:
    """The key that seals the audit trail's hash chain. It lives outside the database on purpose: who
    edits the database file with an outside tool must not also hold the key (owner-only file)."""
    return data_dir() / AUDIT_KEY_NAME


def workstation_file() -> Path:
    """Settings of this computer that must outlive the database (``workstation.json``)."""
    return data_dir() / WORKSTATION_FILE_NAME


def workstation_setting(name: str) -> object:
    """One value from the workstation file; ``None`` when unset or the file is unreadable."""
    try:
        values = json.loads(workstation_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return values.get(name) if isinstance(values, dict) else None


def set_workstation_setting(name: str, value: object) -> None:
    """Set (or, with ``None``, remove) one workstation value; written to a temporary file and renamed,
    so a crash leaves the old file or the new one."""
    target = workstation_file()
    try:
        values = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        values = {}
    if not isinstance(values, dict):
        values = {}
    if value is None:
        values.pop(name, None)
    else:
        values[name] = value
    temporary = target.with_name(f"{target.name}.tmp")
    temporary.write_text(json.dumps(values, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(temporary, target)


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
