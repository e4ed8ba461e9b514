"""Clinic-wide settings stored in the database (so a backup carries them): clinic name, letterhead, ...

Per-workstation preferences (window geometry, last filters) live in QSettings instead.
"""

from __future__ import annotations

from typing import Any

from refdesk.domain.models import Setting
from refdesk.services.actor import Actor
from refdesk.services.audit import audited
from refdesk.storage import Database

CLINIC_NAME = "clinic.name"


def get(db: Database, key: str, default: Any = None) -> Any:
    with db.session() as session:
        row = session.get(Setting, key)
        return default if row is None else row.value


def put(db: Database, actor: Actor, key: str, value: Any) -> None:
    with audited(db, actor, "setting.update", "setting") as scope:
        row = scope.session.get(Setting, key)
        old = None if row is None else row.value
        if row is None:
            scope.session.add(Setting(key=key, value=value))
        else:
            row.value = value
        scope.detail.update({"key": key, "old": old, "new": value})


def clinic_name(db: Database) -> str:
    name = get(db, CLINIC_NAME)
    return name if isinstance(name, str) and name.strip() else ""
